"""Deep max-entropy agents with a Stable-Baselines3-style interface.

Every agent derives from :class:`Agent` through :class:`OffPolicyAgent` (replay buffer) or
:class:`OnPolicyAgent` (rollouts), which own the loop, checkpoints, logging and callbacks.
"""

from softrl.agents.base import AGENTS, Agent, load_agent
from softrl.agents.bootstrapped import BootstrappedSoftQ, BootstrappedSoftQConfig
from softrl.agents.callbacks import (
    Callback,
    CallbackList,
    CheckpointCallback,
    EvalCallback,
    StopOnReward,
)
from softrl.agents.collector import Collector, EnvStep
from softrl.agents.config import AgentConfig
from softrl.agents.off_policy import OffPolicyAgent, OffPolicyConfig
from softrl.agents.on_policy import OnPolicyAgent, OnPolicyConfig
from softrl.agents.pg import EntropyPG, EntropyPGConfig
from softrl.agents.sac import SAC, SACConfig
from softrl.agents.softq import SoftQ, SoftQConfig
from softrl.agents.sql import SQL, SQLConfig

__all__ = [
    "AGENTS",
    "Agent",
    "AgentConfig",
    "BootstrappedSoftQ",
    "BootstrappedSoftQConfig",
    "Callback",
    "CallbackList",
    "CheckpointCallback",
    "Collector",
    "EntropyPG",
    "EntropyPGConfig",
    "EnvStep",
    "EvalCallback",
    "OffPolicyAgent",
    "OffPolicyConfig",
    "OnPolicyAgent",
    "OnPolicyConfig",
    "SAC",
    "SACConfig",
    "SQL",
    "SQLConfig",
    "SoftQ",
    "SoftQConfig",
    "StopOnReward",
    "load_agent",
]

# The agents that learn from demonstrations register their kinds (softrl train softqfd, ...).
import softrl.imitation.agents  # noqa: E402, F401, I001
# RL^2 registers its kind (softrl train rl2 --env softrl/MetaTrial-bandit-k5-n10-v0).
import softrl.meta.rl2  # noqa: E402, F401, I001
