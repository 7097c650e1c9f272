"""Calibration sessions: loading, agreement per session, raters against the expert, drift."""
