"""Command-line conventions: help on every option with its default, --version, completion,
did-you-mean where a name is looked up."""

from __future__ import annotations

import argparse

import pytest

from mfgplan import __version__
from mfgplan.cli import main, parser
from tests.conftest import ROOT

PLAN = str(ROOT / "scenarios" / "plan-2016.yaml")


def _commands() -> dict[str, argparse.ArgumentParser]:
    (sub,) = [a for a in parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def test_every_option_of_every_command_has_help():
    commands = _commands()
    assert {"run", "compare", "validate", "forecast", "calibrate", "backtest", "attribute",
            "optimize", "sensitivity", "params", "completion"} <= set(commands)  # fmt: skip
    missing = [
        f"{name} {a.option_strings or a.dest}"
        for name, command in commands.items()
        for a in command._actions
        if not isinstance(a, argparse._HelpAction) and not a.help
    ]
    assert missing == []


def test_help_shows_defaults(capsys):
    with pytest.raises(SystemExit):
        main(["calibrate", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "prior draws (a power of two) (default: 2048)" in out
    assert "--seed SEED root seed (default: 20151231)" in out


def test_version(capsys):
    with pytest.raises(SystemExit) as err:
        main(["--version"])
    assert err.value.code == 0
    assert capsys.readouterr().out.strip() == f"mfgplan {__version__}"


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_completion_script_knows_the_commands(shell, capsys):
    assert main(["completion", shell]) == 0
    script = capsys.readouterr().out
    assert "mfgplan" in script and "sensitivity" in script and "--min-share" in script


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--min-share", "tech_retrofit=0.3"], "did you mean 'tech_retrofit_grant'?"),
        (["--objective", "hightech_30"], "did you mean 'hightech_share_30'?"),
    ],
)
def test_a_misspelt_name_gets_a_suggestion(args, message, capsys):
    assert main(["optimize", PLAN, *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
