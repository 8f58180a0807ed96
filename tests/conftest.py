"""Shared fixtures: a synthetic statistical baseline so model tests do not depend on the data.

Every floating-point problem (division by zero, overflow, an invalid operation such as
``0/0``) raises in the test session (``numpy.seterr(all="raise")``): code that expects one
says so with ``numpy.errstate``. Underflow is the exception: a result below the smallest
double rounds to 0, which is the right value (a normal density far in its tail, a share of a
share of a yuan), and raising on it only made the property tests report boundary inputs such
as 2.2e-308 yuan.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mfgplan.inputs.parameters import Scenario

ROOT = Path(__file__).resolve().parents[1]

YEARS = np.arange(2015, 2026)


def strict_rules(scenario: Scenario) -> Scenario:
    """``scenario`` with every call by city quota, strict prefixes, 30% paid up front and
    uncommitted money pooled over the instruments (every rule but the shipped defaults)."""
    ins = scenario.programme.instruments
    changed = {
        name: rule.model_copy(
            update={"selection": "city_quota", "rationing": "strict_prefix", "upfront_share": 0.3}
        )
        for name, rule in ins
    }
    programme = scenario.programme.model_copy(
        update={"instruments": ins.model_copy(update=changed), "carryover": "roll_pool"}
    )
    return scenario.model_copy(update={"programme": programme})


def pytest_configure(config: pytest.Config) -> None:
    """Floating-point errors raise for the whole session (in this process), underflow aside."""
    np.seterr(all="raise")
    np.seterr(under="ignore")


def flat_baseline(years: np.ndarray = YEARS) -> dict[str, np.ndarray]:
    """A deterministic baseline path (hand-chosen round numbers, not data)."""
    n = len(years)
    growth = np.full(n, 0.08)
    return {
        "industrial_va": 4.5e11 * 1.1 ** np.arange(n),
        "manufacturing_va": 3.6e11 * 1.1 ** np.arange(n),
        "industrial_va_growth": growth,
        "va_deflator_growth": np.full(n, 0.02),
        "sei_share": np.full(n, 0.15),
        "hightech_share": np.full(n, 0.25),
        "cnc_rate": np.full(n, 0.33),
        "gdp": 1.67e12 * 1.08 ** np.arange(n),
        "rd_intensity": np.full(n, 0.0104),
        "enterprise_count": np.full(n, 9226.0),
    }


@pytest.fixture
def baseline() -> dict[str, np.ndarray]:
    return flat_baseline()


@pytest.fixture
def plan() -> Scenario:
    return Scenario(title="plan defaults")


def no_programme_scenario() -> Scenario:
    """The plan's defaults with every provincial instrument switched off."""
    from mfgplan.inputs.programme import GRANT_INSTRUMENTS

    return Scenario.model_validate(
        {
            "title": "no programme",
            "programme": {
                "annual_budget": 0,
                "allocation": dict.fromkeys(GRANT_INSTRUMENTS, 0),
                "investment_fund": {"size": 0, "annual_investment": 0},
            },
        }
    )


def small_scenario(
    folder: Path, base: str = "plan-2016.yaml", *, name: str = "plan", replicates: int = 4,
    extra: str = "",
) -> Path:  # fmt: skip
    """A shipped scenario with a small population (700 firms), for fast end-to-end tests."""
    path = folder / f"{name}.yaml"
    path.write_text(
        f"baseline: {ROOT / 'scenarios' / base}\ntitle: small {base}\nn_firms: 700\n"
        f"replicates: {replicates}\n{extra}",
        encoding="utf-8",
    )
    return path
