"""Moved to :mod:`softrl.nn`; this name stays importable."""

from softrl.nn import *  # noqa: F403
from softrl.nn import __all__  # noqa: F401
