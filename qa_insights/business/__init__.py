"""Business review: actuals, targets and their setting and cascade, costs, what-if."""
