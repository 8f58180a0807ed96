"""Analyses of ensembles: targets, comparisons, attribution, back-tests, planning questions."""
