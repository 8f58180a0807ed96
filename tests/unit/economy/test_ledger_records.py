"""The grant ledger against independent records: its payment and lapse records, the project book.

``committed = paid + outstanding + lapsed`` holds by construction inside
:class:`~mfgplan.economy.ledger.GrantLedger` (outstanding is the remainder), and the recorder's
additional and deadweight counts are summed where awards are made. These tests check both
against records kept elsewhere:

- the ledger's payment and lapse records (one entry per ``pay``/``lapse`` call) against its
  arrays;
- each project row's payments against the project book (award, paid, completion, abandonment)
  and the payment rule (completion or award, then the lag);
- what is outstanding at the horizon against the open awards in the project book and the lump
  sums still scheduled;
- the additional and deadweight counts against the book's ``in_actual``/``in_baseline`` flags,
  and the deadweight projects against the no-programme scenario's own projects (common random
  numbers).

The ``check_*`` helpers are also run on generated scenarios by ``tests/property``.
"""

from __future__ import annotations

import numpy as np
import pytest

from mfgplan.economy.economy import ManufacturingEconomy
from mfgplan.economy.instruments import PROJECT_INSTRUMENTS
from mfgplan.economy.ledger import GrantLedger
from mfgplan.inputs.parameters import Scenario
from mfgplan.inputs.programme import GRANT_INSTRUMENTS
from tests.conftest import flat_baseline

N_FIRMS = 600
SEED = 7
SHORT_YEARS = np.arange(2015, 2021)
#: index of each project instrument in the ledger's ``instrument`` dimension
PROJECT_K = np.array([GRANT_INSTRUMENTS.index(i.name) for i in PROJECT_INSTRUMENTS])
#: instruments whose additional/deadweight counts do not come from the project book
FIRST_OF_KIND = GRANT_INSTRUMENTS.index("first_of_kind_equipment_subsidy")


# -- helpers (also used by tests/property/test_invariants.py) ------------------------------------


def by_cell(ledger: GrantLedger, entries: np.ndarray, year_field: str) -> np.ndarray:
    """Yuan of record ``entries`` summed into ``[instrument, year_field, sector]``."""
    out = np.zeros_like(ledger.committed)
    years = [ledger.year_index[int(y)] for y in entries[year_field]]  # KeyError: a stray year
    cell = (entries["instrument"].astype(np.intp), np.asarray(years, dtype=np.intp),
            entries["sector"].astype(np.intp))  # fmt: skip
    np.add.at(out, cell, entries["yuan"])
    return out


def quarter_year(model: ManufacturingEconomy, quarter: np.ndarray) -> np.ndarray:
    """Calendar year of quarter indices (0 = Q1 of the base year + 1)."""
    return int(model.years[0]) + 1 + np.asarray(quarter) // 4


def check_payment_record(ledger: GrantLedger) -> None:
    """The payment and lapse records add up to the ledger's arrays (1e-6 yuan)."""
    pays = ledger.payments()
    lapses = ledger.lapses()
    assert (pays["yuan"] >= 0).all() and (lapses["yuan"] >= 0).all()
    assert (pays["pay_year"] >= pays["commit_year"]).all()
    assert (lapses["lapse_year"] >= lapses["commit_year"]).all()
    close = {"rtol": 0.0, "atol": 1e-6}
    np.testing.assert_allclose(by_cell(ledger, pays, "commit_year"), ledger.paid_by_commit_year,
                               **close)  # fmt: skip
    np.testing.assert_allclose(by_cell(ledger, pays, "pay_year"), ledger.paid, **close)
    np.testing.assert_allclose(by_cell(ledger, lapses, "commit_year"), ledger.lapsed, **close)


def check_project_payments(model: ManufacturingEconomy) -> None:
    """Each project row's payments and lapses in the ledger's records against the project book.

    Rows paid in full received their award, every row received its ``paid``, nothing beyond the
    upfront share is paid before the completion year or to an abandoned project, and the final
    payment falls in the year the payment rule makes it due. Lump sums carry no project row.
    """
    ledger = model.province.ledger
    rules = model.province.rules
    pb = model.projects
    n = pb.n
    upfront = np.array([getattr(rules, k).upfront_share for k in GRANT_INSTRUMENTS])
    lag = np.array([getattr(rules, k).payment_lag_quarters for k in GRANT_INSTRUMENTS])
    award, paid = pb.view("award"), pb.view("paid")
    instrument, abandon = pb.view("instrument").astype(np.intp), pb.view("abandon")
    awarded = pb.view("award_year") > 0
    pays, lapses = ledger.payments(), ledger.lapses()
    is_project = np.isin(pays["instrument"], PROJECT_K)
    np.testing.assert_array_equal(pays["project"] >= 0, is_project)
    proj = pays[is_project]
    rows = proj["project"]
    assert (rows < n).all() and awarded[rows].all()
    # each entry is booked to its row's instrument, commitment year and sector
    np.testing.assert_array_equal(proj["instrument"], instrument[rows])
    np.testing.assert_array_equal(proj["commit_year"], pb.view("award_year")[rows])
    np.testing.assert_array_equal(proj["sector"], pb.view("sector")[rows])
    per_row = np.bincount(rows, weights=proj["yuan"], minlength=n)
    close = {"rtol": 0.0, "atol": 1e-6}
    np.testing.assert_allclose(per_row, paid, **close)
    full = pb.view("closed") & pb.view("completed") & ~abandon & awarded
    np.testing.assert_allclose(per_row[full], award[full], **close)
    # nothing beyond the upfront share before the completion year, nor to abandoned projects
    share = np.where(awarded, upfront[instrument], 0.0)
    before = proj["pay_year"] < quarter_year(model, pb.view("done"))[rows]
    early = np.bincount(rows[before], weights=proj["yuan"][before], minlength=n)
    assert (early <= share * award + 1e-6).all()
    assert (per_row[abandon] <= share[abandon] * award[abandon] + 1e-6).all()
    # the final payment of a row paid in full: the year of max(completion, award) + lag
    last = np.full(n, -1)
    np.maximum.at(last, rows, np.arange(rows.size))
    assert (last[full] >= 0).all()
    due = np.maximum(pb.view("done"), pb.view("award_quarter")) + lag[instrument]
    np.testing.assert_array_equal(proj["pay_year"][last[full]], quarter_year(model, due[full]))
    # lapses: only project rows, abandoned ones, each releasing what was not paid
    assert (lapses["project"] >= 0).all() and (lapses["project"] < n).all()
    lapsed = np.bincount(lapses["project"], weights=lapses["yuan"], minlength=n)
    released = abandon & pb.view("closed") & awarded
    np.testing.assert_allclose(lapsed[released], award[released] - per_row[released], **close)
    np.testing.assert_allclose(lapsed[~released], 0.0, **close)


def independent_outstanding(model: ManufacturingEconomy) -> np.ndarray:
    """Owed at the horizon ``[instrument, commitment year, sector]``, from outside the ledger.

    Open awards in the project book (``award - paid`` where ``award > paid`` and not closed)
    plus the lump sums the province still has scheduled.
    """
    ledger = model.province.ledger
    pb = model.projects
    award, paid = pb.view("award"), pb.view("paid")
    open_ = (award > paid) & ~pb.view("closed")
    out = np.zeros_like(ledger.committed)
    years = [ledger.year_index[int(y)] for y in pb.view("award_year")[open_]]
    cell = (pb.view("instrument")[open_].astype(np.intp), np.asarray(years, dtype=np.intp),
            pb.view("sector")[open_].astype(np.intp))  # fmt: skip
    np.add.at(out, cell, award[open_] - paid[open_])
    for due_q, k, commit_year, sector, amount in model.province.scheduled:
        assert due_q >= model.n_quarters  # due after the last quarter, else it would be paid
        out[k, ledger.year_index[commit_year], sector] += amount
    return out


def check_outstanding(model: ManufacturingEconomy) -> None:
    """Outstanding at the horizon and the commitments, against the book and the records.

    ``committed`` must equal what the payment record paid, the lapse record released and the
    book and schedule still owe; project commitments must equal the book's awards.
    """
    ledger = model.province.ledger
    owed = independent_outstanding(model)
    close = {"rtol": 1e-9, "atol": 1e-3}
    np.testing.assert_allclose(ledger.outstanding().sum(axis=1), owed.sum(axis=1), **close)
    np.testing.assert_allclose(ledger.outstanding(), owed, **close)
    paid = by_cell(ledger, ledger.payments(), "commit_year")
    lapsed = by_cell(ledger, ledger.lapses(), "commit_year")
    np.testing.assert_allclose(ledger.committed, paid + lapsed + owed, **close)
    pb = model.projects
    awarded = pb.view("award_year") > 0
    book = np.zeros_like(ledger.committed)
    years = [ledger.year_index[int(y)] for y in pb.view("award_year")[awarded]]
    cell = (pb.view("instrument")[awarded].astype(np.intp), np.asarray(years, dtype=np.intp),
            pb.view("sector")[awarded].astype(np.intp))  # fmt: skip
    np.add.at(book, cell, pb.view("award")[awarded])
    np.testing.assert_allclose(ledger.committed[PROJECT_K], book[PROJECT_K], rtol=0, atol=1e-6)


def recount_from_book(model: ManufacturingEconomy) -> dict[str, np.ndarray]:
    """Awards, additional and deadweight projects ``[instrument, year]`` from the project book."""
    pb = model.projects
    shape = (len(GRANT_INSTRUMENTS), len(model.years))
    counts = {name: np.zeros(shape) for name in ("awards", "additional", "deadweight")}
    awarded = pb.view("award_year") > 0
    k = pb.view("instrument").astype(np.intp)
    yi = pb.view("award_year").astype(np.intp) - int(model.years[0])
    flags = {
        "awards": awarded,
        "additional": awarded & pb.view("in_actual") & ~pb.view("in_baseline"),
        "deadweight": awarded & pb.view("in_baseline"),
    }
    for name, sel in flags.items():
        np.add.at(counts[name], (k[sel], yi[sel]), 1.0)
    return counts


def project_keys(model: ManufacturingEconomy, rows: np.ndarray) -> set[tuple]:
    """Identify projects across scenarios: firm, start quarter, kind and investment."""
    pb = model.projects
    cols = [pb.view(c)[rows].tolist() for c in ("firm_id", "start", "kind", "investment")]
    return set(zip(*cols, strict=True))


# -- runs ------------------------------------------------------------------------------------------


def upfront_scenario() -> Scenario:
    """The plan to 2020 with 30% paid at award and a three-quarter lag: money owed at the end."""
    rules = {name: {"upfront_share": 0.3, "payment_lag_quarters": 3} for name in GRANT_INSTRUMENTS}
    return Scenario.model_validate(
        {"title": "upfront", "horizon": 2020, "programme": {"instruments": rules}}
    )


def no_programme(horizon: int) -> Scenario:
    """Every provincial instrument switched off, to ``horizon``."""
    return Scenario.model_validate(
        {
            "title": "no programme",
            "horizon": horizon,
            "programme": {
                "annual_budget": 0,
                "allocation": dict.fromkeys(GRANT_INSTRUMENTS, 0),
                "investment_fund": {"size": 0, "annual_investment": 0},
            },
        }
    )


def run(scenario: Scenario) -> ManufacturingEconomy:
    years = np.arange(2015, scenario.horizon + 1)
    model = ManufacturingEconomy(
        scenario, flat_baseline(years), np.random.SeedSequence(SEED), N_FIRMS
    )
    model.run()
    return model


SCENARIOS = {
    "plan": lambda: Scenario(title="plan"),
    "upfront": upfront_scenario,
    "none_2025": lambda: no_programme(2025),
    "none_2020": lambda: no_programme(2020),
}


@pytest.fixture(scope="module")
def runs():
    cache: dict[str, ManufacturingEconomy] = {}

    def get(name: str) -> ManufacturingEconomy:
        if name not in cache:
            cache[name] = run(SCENARIOS[name]())
        return cache[name]

    return get


# -- the ledger's own records ------------------------------------------------------------------


def test_records_list_every_movement_with_its_project():
    led = GrantLedger(["a", "b"], [2016, 2017], 2, {"a": {2016: 100.0}, "b": {2016: 50.0}}, "lapse")
    led.open_year(2016)
    led.commit("a", 2016, 1, 80.0)
    led.commit("b", 2016, 0, 20.0)
    led.pay("a", 2016, 2016, 1, 30.0, project=4)
    led.pay("b", 2016, 2016, 0, 20.0)
    led.lapse("a", 2016, 1, 10.0, 2016, project=4)
    led.close_year(2016)
    led.open_year(2017)
    led.pay("a", 2016, 2017, 1, 25.0, project=5)
    pays = led.payments()
    assert pays.tolist() == [(0, 2016, 2016, 1, 30.0, 4), (1, 2016, 2016, 0, 20.0, -1),
                             (0, 2016, 2017, 1, 25.0, 5)]  # fmt: skip
    assert pays.dtype.names == ("instrument", "commit_year", "pay_year", "sector", "yuan",
                                "project")  # fmt: skip
    assert led.lapses().tolist() == [(0, 2016, 2016, 1, 10.0, 4)]
    check_payment_record(led)
    # a record is append-only: the arrays returned are copies
    pays["yuan"] = 0.0
    assert led.payments()["yuan"].sum() == 75.0
    # what is owed, from the movements above rather than from the ledger's remainder
    assert led.outstanding()[0, 0, 1] == 80.0 - 30.0 - 10.0 - 25.0
    empty = GrantLedger(["a"], [2016], 1, {"a": {2016: 1.0}}, "lapse")
    assert empty.payments().shape == (0,) and empty.lapses().shape == (0,)


# -- a whole economy -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["plan", "upfront"])
def test_payment_record_adds_up_to_the_ledger(runs, name):
    model = runs(name)
    check_payment_record(model.province.ledger)
    assert model.province.ledger.payments().size > 0


@pytest.mark.parametrize("name", ["plan", "upfront"])
def test_project_payments_match_the_project_book(runs, name):
    model = runs(name)
    check_project_payments(model)
    pb = model.projects
    awarded = pb.view("award_year") > 0
    # not vacuous: projects paid in full and projects abandoned after their award
    assert (awarded & pb.view("closed") & ~pb.view("abandon")).sum() > 10
    assert (awarded & pb.view("abandon")).sum() > 0


def test_abandoned_projects_get_only_their_upfront_share(runs):
    model = runs("upfront")
    pb = model.projects
    pays = model.province.ledger.payments()
    pays = pays[pays["project"] >= 0]
    gone = np.flatnonzero((pb.view("award_year") > 0) & pb.view("abandon") & pb.view("closed"))
    assert gone.size > 0
    got = np.bincount(pays["project"], weights=pays["yuan"], minlength=pb.n)[gone]
    np.testing.assert_allclose(got, 0.3 * pb.view("award")[gone], rtol=1e-12)
    # and the rest of each award lapsed
    lapses = model.province.ledger.lapses()
    lapsed = np.bincount(lapses["project"], weights=lapses["yuan"], minlength=pb.n)[gone]
    np.testing.assert_allclose(lapsed, 0.7 * pb.view("award")[gone], rtol=1e-12)


@pytest.mark.parametrize("name", ["plan", "upfront"])
def test_outstanding_matches_open_awards_and_scheduled_lump_sums(runs, name):
    model = runs(name)
    check_outstanding(model)
    if name == "upfront":  # awards of 2020 and lump sums due after the horizon are owed
        owed = independent_outstanding(model)
        assert owed[PROJECT_K].sum() > 0
        assert len(model.province.scheduled) > 0
        assert np.delete(owed, PROJECT_K, axis=0).sum() > 0


# -- additional and deadweight projects ----------------------------------------------------------


@pytest.mark.parametrize("name", ["plan", "upfront"])
def test_additional_and_deadweight_counts_match_the_project_book(runs, name):
    model = runs(name)
    rec = model.record
    expected = recount_from_book(model)
    np.testing.assert_array_equal(rec.awards[PROJECT_K], expected["awards"][PROJECT_K])
    np.testing.assert_array_equal(rec.additional_projects[PROJECT_K],
                                  expected["additional"][PROJECT_K])  # fmt: skip
    np.testing.assert_array_equal(rec.deadweight_projects[PROJECT_K],
                                  expected["deadweight"][PROJECT_K])  # fmt: skip
    # awards go only to projects going ahead with the programme
    pb = model.projects
    assert pb.view("in_actual")[pb.view("award_year") > 0].all()
    # instruments that fund no projects count none (first-of-kind sales are counted apart)
    other = np.setdiff1d(np.arange(len(GRANT_INSTRUMENTS)), [*PROJECT_K, FIRST_OF_KIND])
    assert rec.additional_projects[other].sum() == 0 and rec.deadweight_projects[other].sum() == 0
    assert expected["additional"].sum() > 0 and expected["deadweight"].sum() > 0


@pytest.mark.parametrize(("name", "none"), [("plan", "none_2025"), ("upfront", "none_2020")])
def test_deadweight_projects_go_ahead_without_the_programme(runs, name, none):
    """The no-programme run on the same seed has the deadweight projects, not the additional."""
    model, alone = runs(name), runs(none)
    pb, pb0 = model.projects, alone.projects
    assert (pb0.view("award_year") == 0).all()
    without = project_keys(alone, np.flatnonzero(pb0.view("in_actual")))
    # the plan's no-programme world is the no-programme scenario's world
    assert project_keys(model, np.flatnonzero(pb.view("in_baseline"))) == without
    awarded = pb.view("award_year") > 0
    deadweight = np.flatnonzero(awarded & pb.view("in_baseline"))
    additional = np.flatnonzero(awarded & pb.view("in_actual") & ~pb.view("in_baseline"))
    assert deadweight.size > 0 and additional.size > 0
    assert project_keys(model, deadweight) <= without
    assert not project_keys(model, additional) & without
