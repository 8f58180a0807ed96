"""The corpus of bad scenario files (``tests/corpus/bad``): each gets a clear answer.

For every file: ``mfgplan validate`` and ``mfgplan run`` exit with code 2, print one line per
problem naming the file, the line (where the value is written in a file) and the field, never a
traceback, and ``run`` writes nothing.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from mfgplan.cli import main

ROOT = Path(__file__).resolve().parents[3]
CORPUS = ROOT / "tests" / "corpus" / "bad"

#: file -> (field named, words of the message, line number or None when not in the file)
EXPECTED: dict[str, tuple[str, str, int | None]] = {
    "alias_bomb": ("", "more than 50 aliases", 8),
    "bad_baseline_value": ("n_firms", "greater than or equal to 100", 2),
    "bad_year_key": ("programme.allocation.tech_retrofit_grant.next_year", "valid integer", 4),
    "baseline_not_text": ("baseline", "must be the name of a scenario file", 1),
    "binary": ("", "binary file", None),
    "bool_for_int": ("replicates", "valid integer (got True)", 2),
    "custom_tag": ("", "YAML tag '!secret' is not allowed", 1),
    "cycle_a": ("baseline", "cycle", 1),
    "cycle_b": ("baseline", "cycle", 1),
    "deep": ("", "nested deeper than 20 levels", 2),
    "dollars": ("programme.annual_budget", "cannot read '3亿美元' as yuan", 3),
    "duplicate": ("", "duplicate key 'title'", 2),
    "duplicate_year": ("", "duplicate key '2017'", 4),
    "empty": ("", "empty file", None),
    "horizon_before_base": ("horizon", "greater than or equal to 2016", 2),
    "latin1": ("", "not UTF-8 text", None),
    "list_for_mapping": ("programme.allocation", "valid dictionary", 3),
    "malformed": ("", "malformed YAML", 2),
    "many_problems": ("seed", "valid integer", 2),
    "merge_key": ("", "merge keys (<<) are not allowed", 4),
    "missing_baseline": ("baseline", "baseline scenario 'nowhere' not found", 1),
    "missing_title": ("title", "required field is missing", None),
    "misspelt": ("programme.alocation", "did you mean 'allocation'?", 3),
    "misspelt_instrument": (
        "programme.allocation.tech_retrofit_grnt",
        "did you mean 'tech_retrofit_grant'?",
        4,
    ),
    "money_for_count": ("replicates", "valid integer", 2),
    "money_typo_unit": ("programme.annual_budget", "cannot read '10忆元' as yuan", 3),
    "nan_parameter": ("behaviour.hurdle_rate_mean", "finite number", 3),
    "negative_money": ("programme.annual_budget", "must not be negative", 3),
    "negative_per_year": ("tech_retrofit_grant.2018", "must not be negative", 4),
    "negative_seed": ("seed", "greater than or equal to 0", 2),
    "nonfinite_money": ("programme.annual_budget", "must be finite", 3),
    "null_document": ("", "top level must be a mapping", 1),
    "only_comment": ("", "empty document", None),
    "out_of_range": ("tech_retrofit_grant.matching_rate", "less than or equal to 0.5", 5),
    "outside_horizon": ("programme.last_year", "beyond the horizon 2018", None),
    "over_budget": ("programme.allocation", "more than the 1e+09 yuan budget", 3),
    "programme_backwards": ("programme.last_year", "must not be before", 4),
    "python_tag": ("", "python/object/apply:os.system' is not allowed", 1),
    "self_baseline": ("baseline", "refer back to self_baseline.yaml", 1),
    "share_above_one": ("rd_super_deduction_rate", "less than or equal to 1 (got 3)", 3),
    "string_for_number": ("horizon", "valid integer (got '2025')", 2),
    "tab_indent": ("", "malformed YAML", 2),
    "title_not_text": ("title", "valid string", 1),
    "too_few_firms": ("n_firms", "greater than or equal to 100", 2),
    "too_many_replicates": ("replicates", "less than or equal to 100000", 2),
    "top_list": ("", "top level must be a mapping", 1),
    "top_scalar": ("", "top level must be a mapping", 1),
    "unknown_selection_rule": ("selection", "'merit', 'lottery', 'first_come'", 5),
    "unknown_top": ("replicate", "did you mean 'replicates'?", 2),
    "utf16": ("", "save the file as UTF-8", None),
    "wrong_type": ("replicates", "valid integer", 2),
    "year_key_outside": ("tech_retrofit_grant", "year 2030 is outside", 4),
}

#: ``file[:line]: field: message`` (the field is ``(file)`` for problems of the whole file)
LINE = re.compile(r"^(?P<file>.+?\.yaml)(?::(?P<line>\d+))?: (?P<field>\S+): (?P<message>.+)$")


def test_every_corpus_file_has_an_expectation():
    assert {p.stem for p in CORPUS.glob("*.yaml")} == set(EXPECTED)


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_validate_names_file_line_and_field(case, capsys):
    field, words, line = EXPECTED[case]
    path = CORPUS / f"{case}.yaml"
    assert main(["validate", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert lines and "Traceback" not in captured.err
    parsed = [LINE.match(text) for text in lines]
    assert all(parsed), lines
    hits = [
        m for m in parsed
        if field in m["field"].replace("(file)", "") and words in m["message"]
    ]  # fmt: skip
    assert hits, lines
    hit = hits[0]
    assert Path(hit["file"]).name.endswith(".yaml")
    assert (int(hit["line"]) if hit["line"] else None) == line, lines


def test_every_problem_is_reported_at_once(capsys):
    assert main(["validate", str(CORPUS / "many_problems.yaml")]) == 2
    err = capsys.readouterr().err
    for field in ("seed", "replicates", "foo", "programme.annual_budget"):
        assert f": {field}: " in err, err


def test_a_bad_value_in_a_baseline_is_placed_in_that_file(capsys):
    assert main(["validate", str(CORPUS / "bad_baseline_value.yaml")]) == 2
    assert "too_few_firms.yaml:2: n_firms:" in capsys.readouterr().err


@pytest.mark.parametrize("case", ["python_tag", "alias_bomb", "dollars", "over_budget", "utf16"])
def test_run_refuses_before_any_work_and_writes_nothing(case, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", str(CORPUS / f"{case}.yaml"), "--out", str(out), "-q"]) == 2
    assert "Traceback" not in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_the_command_line_process_prints_no_traceback():
    files = [str(p) for p in sorted(CORPUS.glob("*.yaml"))]
    proc = subprocess.run(
        [sys.executable, "-m", "mfgplan.cli", "validate", *files],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.splitlines()) >= len(files)


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["run", "scenarios/nowhere.yaml"], "file not found"),
        (["run", "scenarios/plan-2016.yaml", "--replicates", "0"], "must be at least 1"),
        (["run", "scenarios/plan-2016.yaml", "--replicates", "x"], "must be a whole number"),
        (["run", "scenarios/plan-2016.yaml", "--seed", "-1"], "between 0 and 2**63-1"),
        (["run", "scenarios/plan-2016.yaml", "--workers", "0"], "must be at least 1"),
        (["run", "scenarios/plan-2016.yaml", "--out", "/proc/mfgplan-run"], "not writable"),
        (["run", "scenarios/plan-2016.yaml", "--resume"], "give the --out folder"),
        (["run", "scenarios/plan-2016.yaml", "--workers", "2", "--scheduler", "tcp://x:1"],
         "not allowed with argument"),
        (["compare", "scenarios/plan-2016.yaml", "scenarios/plan-2016.yaml"], "must differ"),
        (["forecast", "--as-of", "2019"], "must be between 2000 and 2015"),
    ],
)  # fmt: skip
def test_bad_command_lines_exit_2_with_one_line(argv, words, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    with pytest.raises(SystemExit) as exit_info:
        raise SystemExit(main(argv))
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err


def test_an_existing_run_folder_is_refused(tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    assert main(["run", str(ROOT / "scenarios" / "plan-2016.yaml"), "--out", str(out)]) == 2
    assert "already exists (use --force" in capsys.readouterr().err
