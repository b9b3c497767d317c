"""``softrl irl --help`` and ``softrl plot --help``: each default printed once, none empty."""

from __future__ import annotations

import re

import pytest

from softrl.cli.main import main as softrl


@pytest.mark.parametrize("command", ["irl", "plot"])
def test_help_prints_each_default_once(command, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # one line per sentence: no word split by wrapping
    with pytest.raises(SystemExit) as exit_info:
        softrl([command, "--help"])
    assert exit_info.value.code == 0
    text = re.sub(r"\s+", " ", capsys.readouterr().out)
    assert "(default: None)" not in text and "(default: )" not in text
    # A docstring that also names its default would print it twice.
    assert text.lower().count("default") == text.count("(default:"), text
