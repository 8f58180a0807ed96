"""The chart of ``mfgplan evidence``: published estimates against the virtual experiments."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from mfgplan.report.style import styled
from mfgplan.report.words import EVIDENCE, Language, say

__all__ = ["evidence_chart"]


@styled
def evidence_chart(table: pd.DataFrame, lang: Language = "both") -> Figure:
    """Left: each published value (= 1) with the simulated range relative to it; right: signs.

    Left, per quantity with a published value: the simulated 5-95% range and median divided by
    the published value, the published interval likewise (a value of 1 is the study's).
    Right, per quantity the study reports only as a sign: the share of replicates that find it.
    """
    values = table[table["published_value"].notna() & table["simulated_median"].notna()]
    signs = table[
        table["published_value"].isna() & table.get("sign_agreement", pd.Series()).notna()
    ]
    fig = Figure(figsize=(12, 0.5 * max(len(values), len(signs), 3) + 2.2), layout="constrained")
    left, right = fig.subplots(1, 2, width_ratios=[1.3, 1])
    y = np.arange(len(values))[::-1]
    for yi, r in zip(y, values.itertuples(index=False), strict=True):
        scale = float(r.published_value)
        left.plot([r.simulated_p5 / scale, r.simulated_p95 / scale], [yi, yi], color="tab:blue",
                  lw=6, alpha=0.5, solid_capstyle="butt")  # fmt: skip
        left.plot([r.simulated_median / scale], [yi], "o", color="tab:blue")
        if pd.notna(r.published_low) and pd.notna(r.published_high):
            left.plot([r.published_low / scale, r.published_high / scale], [yi - 0.25] * 2,
                      color="tab:red", lw=2)  # fmt: skip
        left.plot([1.0], [yi - 0.25], "D", color="tab:red")
    left.axvline(1.0, color="tab:red", lw=0.8, ls=":")
    left.axvline(0.0, color="black", lw=0.8)
    left.set_yticks(y, [f"{r.study}\n{r.quantity}" for r in values.itertuples()], fontsize=7)
    left.set_xlabel(say(EVIDENCE["ratio"], lang))
    left.set_title(say(EVIDENCE["values"], lang), fontsize=10)
    left.plot([], [], color="tab:blue", lw=6, alpha=0.5, label=say(EVIDENCE["simulated"], lang))
    left.plot([], [], "D-", color="tab:red", label=say(EVIDENCE["published"], lang))
    left.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2,
                frameon=False)  # fmt: skip
    left.grid(alpha=0.3, axis="x")
    ys = np.arange(len(signs))[::-1]
    right.barh(ys, 100 * signs["sign_agreement"].to_numpy(float), color="tab:green", alpha=0.8)
    right.set_yticks(ys, [f"{r.study}\n{r.quantity} ({r.sign})" for r in signs.itertuples()],
                     fontsize=7)  # fmt: skip
    right.set_xlim(0, 100)
    for level in (10, 90):
        right.axvline(level, color="0.5", ls=":", lw=1)
    right.set_xlabel(say(EVIDENCE["agreement"], lang, sep="\n"))
    right.set_title(say(EVIDENCE["signs"], lang), fontsize=10)
    right.grid(alpha=0.3, axis="x")
    fig.suptitle(say(EVIDENCE["title"], lang), fontsize=11)
    return fig
