"""mfgplan: scenario simulation and forecasting of a provincial manufacturing plan."""

from mfgplan.provenance import __version__

__all__ = ["__version__"]
