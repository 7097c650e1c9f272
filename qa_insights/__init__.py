"""qa-insights."""
