"""Presentation: house-style plots, escaped tables and formats, labels, sentences from
numbers (findings), pseudonymisation."""
