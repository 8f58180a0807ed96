"""The evidence table: each published estimate beside its virtual experiment's estimates.

``evidence.csv`` has one row per study and quantity of ``calibration/evidence/published.csv``:
the published value and interval (and what the interval is), where it was read, and from the
replicates of the virtual experiment (:mod:`mfgplan.calibration.experiments`) the simulated
median and 5-95% range. The checks:

- a published value (with or without an interval): ``published_in_simulated`` - the value
  lies inside the simulated 5-95% range; ``simulated_in_published`` - the simulated median
  lies inside the published interval (empty without one);
- a published sign only (the estimate of each replicate is then its t statistic):
  ``sign_agreement`` - the share of replicates with the study's finding, a significant effect of
  the published sign (|t| > 1.96) or, for a published null (sign ``0``), no significant effect;
- a quantity the model has no mechanism for (``modelled`` starts with ``no``), or a number that
  could not be read: listed with why, not filled in.

``verdict`` says it in a word: ``consistent`` / ``inconsistent`` (value inside or outside the
simulated range; sign agreement at least 90% or at most 10%), ``mixed``, ``not modelled``,
``not read``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = [
    "SIGNIFICANT",
    "coverage",
    "evidence_table",
    "parameter_links",
    "replicate_table",
    "studies",
]

#: |t| above which a simulated estimate is significant (two-sided 5%)
SIGNIFICANT = 1.96


def replicate_table(
    estimates: Mapping[tuple[str, int], Mapping[tuple[str, str], float]],
) -> pd.DataFrame:
    """Every replicate's estimate: ``experiment, replicate, study, quantity, estimate``."""
    rows = [
        {"experiment": name, "replicate": r, "study": s, "quantity": q, "estimate": v}
        for (name, r), values in sorted(estimates.items())
        for (s, q), v in values.items()
    ]
    return pd.DataFrame(rows, columns=["experiment", "replicate", "study", "quantity", "estimate"])


def _agreement(t: np.ndarray, sign: str) -> float:
    if sign == "+":
        return float(np.mean(t > SIGNIFICANT))
    if sign == "-":
        return float(np.mean(t < -SIGNIFICANT))
    return float(np.mean(np.abs(t) <= SIGNIFICANT))


def evidence_table(published: pd.DataFrame, replicates: pd.DataFrame) -> pd.DataFrame:
    """The evidence table (see the module doc)."""
    rows: list[dict[str, object]] = []
    for p in published.itertuples(index=False):
        sim = replicates[(replicates["study"] == p.study) & (replicates["quantity"] == p.quantity)]
        values = sim["estimate"].to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        row: dict[str, object] = {
            "study": p.study, "quantity": p.quantity, "design": p.design, "units": p.units,
            "published_value": p.value, "published_low": p.low, "published_high": p.high,
            "interval": p.interval, "sign": p.sign, "where_read": p.where_read,
            "citation": p.citation, "status": p.status, "modelled": p.modelled,
            "replicates": int(values.size),
        }  # fmt: skip
        sign_only = pd.isna(p.value) and str(p.interval).startswith("sign only")
        if values.size and not sign_only:
            lo, med, hi = np.quantile(values, [0.05, 0.5, 0.95])
            row.update(simulated_median=med, simulated_p5=lo, simulated_p95=hi)
            if pd.notna(p.value):
                inside = bool(lo <= p.value <= hi)
                row["published_in_simulated"] = inside
                if pd.notna(p.low) and pd.notna(p.high):
                    row["simulated_in_published"] = bool(p.low <= med <= p.high)
                row["verdict"] = "consistent" if inside else "inconsistent"
        elif values.size and sign_only:
            t_lo, t_med, t_hi = np.quantile(values, [0.05, 0.5, 0.95])
            row.update(simulated_median=t_med, simulated_p5=t_lo, simulated_p95=t_hi)
            share = _agreement(values, str(p.sign))
            row["sign_agreement"] = share
            row["verdict"] = "consistent" if share >= 0.9 else (
                "inconsistent" if share <= 0.1 else "mixed")  # fmt: skip
        else:
            row["verdict"] = "not modelled" if str(p.modelled).startswith("no") else "not read"
        rows.append(row)
    return pd.DataFrame(rows)


def coverage(table: pd.DataFrame) -> tuple[int, int]:
    """Of the quantities with a published interval: how many lie inside the simulated range."""
    rows = table[table["published_low"].notna() & table["published_high"].notna()]
    rows = rows[rows.get("published_in_simulated", pd.Series(dtype=object)).notna()]
    return int(rows["published_in_simulated"].astype(bool).sum()), len(rows)


def studies(table: pd.DataFrame) -> Sequence[str]:
    """The studies that have at least one simulated quantity."""
    return sorted(set(table.loc[table["replicates"] > 0, "study"]))


def parameter_links(
    replicates: pd.DataFrame, names: Sequence[str], values: np.ndarray, top: int = 3
) -> pd.DataFrame:
    """Which parameters move each simulated estimate: Spearman correlation over the replicates.

    Replicate ``r`` ran parameter set ``r mod len(values)`` (``values[set, j]`` is parameter
    ``names[j]``); per study and quantity the ``top`` parameters by absolute rank correlation
    with the estimate. A rough guide to what a moment could identify, with the replicates'
    own noise in it (about ``1/sqrt(n)`` is noise).
    """
    from scipy.stats import spearmanr

    rows = []
    for (study, quantity), group in replicates.groupby(["study", "quantity"], sort=False):
        est = group["estimate"].to_numpy(dtype=float)
        ok = np.isfinite(est)
        if ok.sum() < 5:
            continue
        sets = values[group["replicate"].to_numpy()[ok] % len(values)]
        links = []
        for j, name in enumerate(names):
            column = sets[:, j]
            if np.ptp(column) == 0:
                continue
            rho = float(spearmanr(column, est[ok]).statistic)
            if np.isfinite(rho):
                links.append((abs(rho), name, rho))
        for _, name, rho in sorted(links, reverse=True)[:top]:
            rows.append({"study": study, "quantity": quantity, "parameter": name,
                         "spearman": rho, "replicates": int(ok.sum())})  # fmt: skip
    return pd.DataFrame(rows, columns=["study", "quantity", "parameter", "spearman", "replicates"])
