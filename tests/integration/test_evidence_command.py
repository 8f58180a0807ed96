"""mfgplan evidence end to end: the table, the chart, the same numbers however it is split."""

from __future__ import annotations

import pandas as pd

from mfgplan.calibration.experiments import published_table
from mfgplan.cli import main


def test_evidence_writes_the_table_and_does_not_depend_on_the_workers(tmp_path, capsys):
    one, two = tmp_path / "one", tmp_path / "two"
    assert main(["evidence", "-n", "2", "--out", str(one), "-q"]) == 0
    printed = capsys.readouterr().out
    assert main(["evidence", "-n", "2", "--out", str(two), "-q", "--workers", "2"]) == 0
    table = pd.read_csv(one / "evidence.csv")
    published = published_table()
    assert len(table) == len(published)  # every published row, read or not
    assert (one / "charts" / "evidence.png").is_file() and (one / "manifest.json").is_file()
    simulated = table[table["replicates"] > 0]
    assert simulated["study"].nunique() >= 8
    # what the model has no mechanism for is listed as such, never given a number
    unmodelled = table[table["modelled"].str.startswith("no")]
    assert (unmodelled["replicates"] == 0).all() and (unmodelled["verdict"] == "not modelled").all()
    assert "9 studies re-run" in printed and "not modelled" in printed
    a = pd.read_csv(one / "evidence_replicates.csv")
    b = pd.read_csv(two / "evidence_replicates.csv")
    pd.testing.assert_frame_equal(a, b)
    # Mode B: the unanchored agents against the figures of 2013-2015 the 2012 calibration never
    # saw (high-tech 2013-2015, CNC 2013 and 2015, the 2015 enterprise count)
    agents = pd.read_csv(one / "mode_b.csv")
    assert sorted(zip(agents["series"], agents["year"], strict=True)) == [
        ("cnc_rate_national", 2013), ("cnc_rate_national", 2015), ("enterprise_count", 2015),
        ("hightech_share", 2013), ("hightech_share", 2014), ("hightech_share", 2015),
    ]  # fmt: skip
    # the published 2015 count (calibration/data: 9,226 firms), in the province's units
    assert agents.loc[agents["series"] == "enterprise_count", "observed"].item() == 9226
    assert "Mode B" in printed
