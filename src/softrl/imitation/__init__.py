"""Learning from demonstrations and rewards together (seed 004, "Imitation vs. RL").

- :func:`behavior_cloning` on every softrl policy; :func:`pretrain` (BC plus a critic fitted to
  the demos' returns) before RL;
- demonstrations in the replay buffer with the DQfD margin loss and n-step returns (SoftQ) or
  a BC term (SAC), and the hybrid objective E_pi[r] + lambda sum_demos log pi(a|s) with lambda
  fixed or annealed: the agents :class:`SoftQfD`, :class:`SACfD`, :class:`EntropyPGfD`;
- the importance-sampled policy gradient with demonstrations: the estimator's functions
  (:mod:`.is_pg`) and the agent :class:`ISPGfD` (fused proposal of a BC estimate or the Dirac
  choice and the current policy; clipping and self-normalization as options).
"""

from softrl.imitation.agents import (
    EntropyPGfD,
    EntropyPGfDConfig,
    SACfD,
    SACfDConfig,
    SoftQfD,
    SoftQfDConfig,
)
from softrl.imitation.bc import (
    BCResult,
    behavior_cloning,
    fit_critic_to_returns,
    returns_to_go,
)
from softrl.imitation.is_pg_agent import ISPGfD, ISPGfDConfig, TrajectoryBatch
from softrl.imitation.policies import (
    demo_tensors,
    policy_log_prob,
    policy_module,
    to_agent_actions,
)

__all__ = [
    "BCResult",
    "EntropyPGfD",
    "EntropyPGfDConfig",
    "ISPGfD",
    "ISPGfDConfig",
    "SACfD",
    "SACfDConfig",
    "SoftQfD",
    "SoftQfDConfig",
    "TrajectoryBatch",
    "behavior_cloning",
    "demo_tensors",
    "fit_critic_to_returns",
    "policy_log_prob",
    "policy_module",
    "returns_to_go",
    "to_agent_actions",
]
