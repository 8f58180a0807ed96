"""Mode B: the agents alone, without anchoring, against the history they were calibrated on.

In a projection the no-programme world is anchored to the statistical baseline (ODD 7.8), so
the baseline, not the agents, carries the trends. This check says how much the agents' own
dynamics carry: the model's no-programme world starts in the earliest base year the data
allows (2012: the first year with a CNC rate and an enterprise count), runs with the
parameter sets calibrated on the data up to then (``calibration/params/as-of-2012.json``) and
is compared, unanchored, with the published figures of the years after (2013-2015): the
high-tech share, the key-process CNC rate (national series, the proxy the calibration uses) and
the number of above-scale enterprises. Value added is not compared: the model takes its real
growth from the baseline path by construction (ODD 7.2), so it would only repeat the baseline.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mfgplan.calibration.forecast import fit_baseline
from mfgplan.calibration.series import load_history, series
from mfgplan.calibration.worlds import calibration_scenario
from mfgplan.economy.replicate import simulate_replicate
from mfgplan.inputs.sample import load_parameter_file
from mfgplan.paths import parameter_file

__all__ = ["MODE_B", "START", "mode_b"]

#: first year of the unanchored run (the earliest base year of the catalogue)
START = 2012
#: compared series: model record field -> (history indicator, what it is)
MODE_B = {
    "hightech_baseline": ("hightech_share", "high-tech share of industrial VA"),
    "cnc_baseline": ("cnc_rate_national", "key-process CNC rate (national series, proxy)"),
    "firms_baseline": ("enterprise_count", "above-scale industrial enterprises"),
}


def mode_b(replicates: int = 40, seed: int = 20160114, n_firms: int = 3000) -> pd.DataFrame:
    """The unanchored no-programme model from :data:`START` against the published figures.

    One row per series and observed year after the start: the observation and its standard
    error, the model's median and 5-95% range over ``replicates`` replicates (replicate ``r``
    on parameter set ``r mod size`` of the as-of-:data:`START` calibration), whether the
    observation lies inside, and the change since the start in the data and in the model. The
    enterprise count is in the province's units (the model's count divided by its sample
    fraction).
    """
    fit = fit_baseline(as_of=START)
    sample = load_parameter_file(parameter_file(START))
    scenario = calibration_scenario(START).model_copy(update={"horizon": 2015})
    province = fit.base_year_enterprises()
    history = load_history(as_of=2015)
    years = np.arange(START, 2016)
    runs = {name: np.empty((replicates, years.size)) for name in MODE_B}
    for r in range(replicates):
        updates = sample.behaviour_updates(r % sample.size)
        behaviour = scenario.behaviour.model_copy(update=updates)
        _, record = simulate_replicate(
            scenario.model_copy(update={"behaviour": behaviour}), fit, seed, r, n_firms,
            province_firms=province,
        )  # fmt: skip
        for name in MODE_B:
            values = np.asarray(getattr(record, name), dtype=float)
            runs[name][r] = values * (province / n_firms if name == "firms_baseline" else 1.0)
    rows = []
    for name, (indicator, description) in MODE_B.items():
        obs_years, obs, obs_se = series(history, indicator)
        start_obs = dict(zip(obs_years, obs, strict=True)).get(START)
        for y, value, se in zip(obs_years, obs, obs_se, strict=True):
            if y <= START:
                continue
            sim = runs[name][:, int(y) - START]
            lo, med, hi = np.quantile(sim, [0.05, 0.5, 0.95])
            rows.append(
                {
                    "series": indicator, "description": description, "year": int(y),
                    "observed": float(value), "observed_se": float(se),
                    "model_median": float(med), "model_p5": float(lo), "model_p95": float(hi),
                    "inside90": bool(lo - 1.645 * se <= value <= hi + 1.645 * se),
                    "observed_change": float(value - start_obs) if start_obs else np.nan,
                    "model_change": float(np.median(sim - runs[name][:, 0])),
                }
            )  # fmt: skip
    return pd.DataFrame(rows)
