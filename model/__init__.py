"""mfgplan: scenario simulation of a provincial manufacturing plan.

The package is the agent-based model (firms as arrays inside a ``mesa.Model``), its parameter
catalogue, scenario handling, ensembles, outputs and the command line. Time-series baselines and
data live in the sibling package :mod:`calibration`.
"""

__version__ = "0.3.0"
