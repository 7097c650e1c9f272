"""Quality metrics: accuracy and error rates with intervals, trends over time."""
