"""Data the deep agents learn from: replay buffers with a schema and on-policy rollouts."""

from softrl.data.replay import ReplayBatch, ReplayBuffer
from softrl.data.rollout import RolloutBatch, RolloutStorage

__all__ = ["ReplayBatch", "ReplayBuffer", "RolloutBatch", "RolloutStorage"]
