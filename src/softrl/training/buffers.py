"""Moved to :mod:`softrl.data`; this name stays importable."""

from softrl.data.replay import ReplayBatch, ReplayBuffer

__all__ = ["ReplayBatch", "ReplayBuffer"]
