"""Statistics: proportions and their intervals, tests of differences, LMDI, control charts,
shrinkage, sampling and experiments. Pure functions on counts; reads only the data layer."""
