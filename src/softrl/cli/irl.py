"""``softrl irl``: inverse RL on a gridworld (see :mod:`softrl.irl.cli`)."""

from __future__ import annotations

from softrl.irl.cli import main as _irl_main


def main(argv: list[str]) -> int:
    """Run ``softrl irl ARGS``; returns the exit code."""
    return _irl_main(argv, prog="softrl irl")
