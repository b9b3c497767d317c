"""Deep max-entropy agents with a Stable-Baselines3-style interface."""

from softrl.agents.sac import SAC, SACConfig

__all__ = ["SAC", "SACConfig"]
