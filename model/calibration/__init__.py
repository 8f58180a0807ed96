"""Historical data, time-series baselines and (later) parameter estimation for mfgplan."""
