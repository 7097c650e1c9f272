"""Root cause: mix-versus-rate change, error reasons, comparisons, drivers and clusters."""
