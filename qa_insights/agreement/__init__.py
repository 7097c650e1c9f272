"""Inter-rater agreement: percent agreement, kappas, Krippendorff alpha, Gwet AC1/AC2,
consensus labels (majority vote, Dawid-Skene), and the registry of coefficients."""
