"""The virtual experiments' estimators and the evidence table, against numbers worked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mfgplan.calibration.evidence import coverage, evidence_table, replicate_table
from mfgplan.calibration.experiments import VAT_CREDIT, published_table
from mfgplan.calibration.panel import balanced, ratio_did, twfe


def test_twfe_recovers_a_known_effect_and_ignores_firm_and_year_levels():
    # 4 firms x 4 years; firms 0-1 treated from year 2; y = firm level + year level + 0.3 D
    rows = []
    for firm, level in enumerate((1.0, 5.0, -2.0, 0.5)):
        for year, shock in zip(range(4), (0.0, 0.2, 0.7, 0.4), strict=True):
            d = 1.0 if firm < 2 and year >= 2 else 0.0
            rows.append({"firm_id": firm, "year": year, "y": level + shock + 0.3 * d, "d": d})
    est = twfe(pd.DataFrame(rows), "y", "d")
    assert est.value == pytest.approx(0.3, abs=1e-12)
    assert est.se == pytest.approx(0.0, abs=1e-9)  # no noise: nothing left to cluster


def test_ratio_did_by_hand():
    # treated mean 10 -> 15 (ln 1.5), controls 20 -> 22 (ln 1.1): ln(1.5/1.1) = 0.31015
    panel = pd.DataFrame(
        {"treated": [True, True, False, False], "post": [False, True, False, True],
         "investment": [10.0, 15.0, 20.0, 22.0]}
    )  # fmt: skip
    assert ratio_did(panel, "investment", "treated", "post") == pytest.approx(0.310155, abs=1e-6)


def test_balanced_keeps_only_firms_seen_every_year():
    panel = pd.DataFrame({"firm_id": [1, 1, 1, 2, 2, 3], "year": [1, 2, 3, 1, 3, 2]})
    assert sorted(balanced(panel, [1, 2, 3])["firm_id"].unique()) == [1]
    assert sorted(balanced(panel, [1, 3])["firm_id"].unique()) == [1, 2]


def test_the_vat_credit_is_the_equipment_share_of_17_percent_vat():
    # input VAT of 17% on a gross price is 17/117 of it; equipment 60% of investment
    assert abs(VAT_CREDIT - 0.0871795) < 1e-6


def test_the_evidence_table_says_what_agrees_and_what_does_not():
    published = pd.DataFrame(
        [
            # a value with an interval: 0.384 [0.332, 0.436]
            {"study": "a", "quantity": "inv", "design": "", "units": "log points", "value": 0.384,
             "low": 0.332, "high": 0.436, "interval": "placebo", "sign": "+", "where_read": "",
             "citation": "", "status": "read", "modelled": "yes"},
            # a sign only
            {"study": "b", "quantity": "peers", "design": "", "units": "sign", "value": np.nan,
             "low": np.nan, "high": np.nan, "interval": "sign only (significant)", "sign": "+",
             "where_read": "", "citation": "", "status": "read (sign)", "modelled": "yes"},
            # a published null
            {"study": "c", "quantity": "tfp", "design": "", "units": "sign", "value": np.nan,
             "low": np.nan, "high": np.nan, "interval": "sign only", "sign": "0",
             "where_read": "", "citation": "", "status": "read (sign)", "modelled": "yes"},
            {"study": "d", "quantity": "relabel", "design": "", "units": "%", "value": 24.2,
             "low": np.nan, "high": np.nan, "interval": "not read", "sign": "+", "where_read": "",
             "citation": "", "status": "read", "modelled": "no: no relabelling"},
        ]
    )  # fmt: skip
    estimates = {
        ("x", r): {("a", "inv"): v, ("b", "peers"): t, ("c", "tfp"): t0}
        for r, (v, t, t0) in enumerate(
            zip(np.linspace(0.0, 0.2, 21), np.linspace(1.0, 11.0, 21), np.linspace(-1, 1, 21),
                strict=True)
        )
    }  # fmt: skip
    table = evidence_table(published, replicate_table(estimates)).set_index("quantity")
    # simulated 0.00..0.20: the published 0.384 lies above the 5-95% range [0.01, 0.19]
    assert table.loc["inv", "simulated_median"] == pytest.approx(0.1)
    assert not table.loc["inv", "published_in_simulated"]
    assert not table.loc["inv", "simulated_in_published"]
    assert table.loc["inv", "verdict"] == "inconsistent"
    # t from 1.0 to 11.0 in steps of 0.5: 19 of 21 above 1.96 = 90.5% -> consistent
    assert table.loc["peers", "sign_agreement"] == pytest.approx(19 / 21)
    assert table.loc["peers", "verdict"] == "consistent"
    # every |t| <= 1: the null is found in every replicate
    assert table.loc["tfp", "sign_agreement"] == 1.0
    assert table.loc["relabel", "verdict"] == "not modelled"
    assert coverage(table.reset_index()) == (0, 1)


def test_the_published_file_names_where_each_number_was_read():
    table = published_table()
    assert table["study"].nunique() >= 9
    read = table[table["value"].notna()]
    assert (read["where_read"].str.len() > 5).all()
    # the intervals given are the ones read: Liu & Mao's placebo sd 0.0314 x 1.645 about 0.052
    liu = table[(table["study"] == "liu_mao_2019") & (table["quantity"] == "investment_effect")]
    assert float(liu["high"].iloc[0] - liu["value"].iloc[0]) == pytest.approx(0.052, abs=0.001)
    # nothing is filled in where the paper's number could not be read
    assert table.loc[table["status"] == "not read", "value"].isna().all()
