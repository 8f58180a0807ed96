"""Runs: Monte Carlo ensembles, their replicates, anchoring, output folders and results."""
