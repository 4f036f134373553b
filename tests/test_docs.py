"""The README is tested against the code: every `FAQBOT_*` setting and every command and option
of the `faqbot` command is documented (datasette's test_docs.py does the same)."""

from __future__ import annotations

import argparse

import pytest

from faqbot.cli.commands import build_parser
from faqbot.settings import Settings

from .conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    [commands] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(commands.choices)


def _command_row(name: str) -> str:
    """The README's command-table row of `faqbot NAME`."""
    rows = [line for line in README.splitlines() if line.startswith(f"| `faqbot {name}")]
    assert rows, f"README's command table has no row for `faqbot {name}`"
    return rows[0]


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_every_setting_is_documented_in_the_readme(field: str) -> None:
    assert f"FAQBOT_{field.upper()}" in README


@pytest.mark.parametrize("name", sorted(_commands()))
def test_every_command_and_its_options_are_in_the_readme_command_table(name: str) -> None:
    row = _command_row(name)
    shared = {"--help", "--corpus", "--index"}  # documented once, below the table
    options = {
        option
        for action in _commands()[name]._actions
        for option in action.option_strings
        if option.startswith("--") and option not in shared
    }
    missing = sorted(o for o in options if o not in row)
    assert not missing, f"`faqbot {name}` options missing from its README row: {missing}"


def test_the_shared_corpus_and_index_options_are_documented() -> None:
    assert "--corpus DIR" in README and "--index DIR" in README
