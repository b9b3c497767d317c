"""How every ``softrl`` sub-command reports bad input: ``PROG: error: MESSAGE`` on stderr and
exit code 2, argparse's convention.

Every softrl error is a ``ValueError`` subclass (``CheckpointError``, ``DemonstrationError``,
``SpecError``, ``MDPValidationError``, ...) that names the field and the fix; ``OSError`` covers
paths that cannot be read or written. So a command catches :data:`USER_ERRORS` around its work
and returns :func:`report`'s code; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

__all__ = ["USER_ERRORS", "ArgumentParser", "UsageError", "report"]

USER_ERRORS: tuple[type[Exception], ...] = (ValueError, OSError)


class UsageError(ValueError):
    """A command-line mistake found by argparse, reported on one line."""


class ArgumentParser(argparse.ArgumentParser):
    """An argparse parser that raises :class:`UsageError` instead of printing usage and exiting,
    so the command reports it like any other bad input."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def report(prog: str, err: BaseException, one_line: bool = False) -> int:
    """Print ``prog: error: err`` on stderr (newlines folded when ``one_line``); return 2."""
    message = str(err).replace("\n", " ") if one_line else str(err)
    print(f"{prog}: error: {message}", file=sys.stderr)
    return 2
