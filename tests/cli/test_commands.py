"""The CLI explains itself and fails with one clear line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from faqbot.cli.commands import build_parser, main

COMMANDS = ("build", "serve", "ask", "calibrate", "eval")


def test_help_lists_every_command() -> None:
    text = build_parser().format_help()
    for command in COMMANDS:
        assert command in text


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_takes_corpus_and_index(command: str) -> None:
    parser = build_parser()
    sub = parser._subparsers._group_actions[0].choices[command]  # type: ignore[union-attr]
    help_text = sub.format_help()
    assert "--corpus" in help_text and "--index" in help_text


def test_serve_without_an_index_says_to_run_build(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve", "--index", str(tmp_path / "none")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "faqbot build" in err[0]


def test_console_script_runs_as_a_module() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "faqbot.cli", "--help"], capture_output=True, text=True, check=True
    )
    assert "calibrate" in result.stdout
