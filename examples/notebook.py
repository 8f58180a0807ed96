# %% [markdown]
# # mfgplan from a notebook
#
# The same numbers as the command line, in memory: a scenario, an ensemble of it, and a
# comparison on common random numbers. Run it as a script (`python examples/notebook.py`) or
# open it as a notebook (the `# %%` cells). `MFGPLAN_EXAMPLE_REPLICATES` sets the ensemble size
# (the tests use 4; 200 is what the shipped scenarios ask for).

# %%
import os
from pathlib import Path

import mfgplan

ROOT = Path(__file__).resolve().parents[1]
REPLICATES = int(os.environ.get("MFGPLAN_EXAMPLE_REPLICATES", "20"))
plan_file = ROOT / "scenarios" / "plan-2016.yaml"

# %% The scenario as validated (with every default filled in) and its calibration
plan = mfgplan.load_scenario(plan_file)
print(plan.scenario.title, "- calibrated as of", plan.parameters.as_of)
print("annual budget, yuan:", plan.scenario.budget_by_year())

# %% An ensemble: the Dataset mfgplan run writes to results.nc
ds = mfgplan.run(plan_file, replicates=REPLICATES, seed=5)
va2020 = ds["manufacturing_va"].sel(year=2020)
print(f"2020 manufacturing VA: median {float(va2020.median()) / 1e8:,.0f} 亿元")
print(f"P(VA above 1 trillion yuan in 2020) = {float((va2020 >= 1e12).mean()):.2f}")

# %% The programme's effect, replicate by replicate (both worlds share every draw)
effect = ds["manufacturing_va"] - ds["manufacturing_va_counterfactual"]
print(f"programme effect on 2020 VA: {float(effect.sel(year=2020).mean()) / 1e8:,.1f} 亿元")

# %% Two allocations side by side on common random numbers
cmp = mfgplan.compare(
    [ROOT / "scenarios" / "plan-2016.yaml", ROOT / "scenarios" / "retrofit-heavy.yaml"],
    replicates=REPLICATES,
)
print(cmp.table[["scenario", "target", "probability", "median", "diff_median"]])
