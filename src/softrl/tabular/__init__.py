"""Sample-based learners on finite MDPs, checked against the exact engine: soft Q-learning,
entropy-regularized policy gradient (REINFORCE and actor-critic), and their equivalence
(seed 002)."""

from softrl.tabular.entropy_pg import EntropyPGResult, entropy_pg
from softrl.tabular.equivalence import (
    EquivalenceGradients,
    soft_q_pg_equivalence,
    soft_q_pg_losses,
)
from softrl.tabular.soft_q_learning import (
    SoftQLearningResult,
    learning_rate_schedule,
    sample_next_states,
    soft_q_learning,
)

__all__ = [
    "EntropyPGResult",
    "EquivalenceGradients",
    "entropy_pg",
    "SoftQLearningResult",
    "learning_rate_schedule",
    "sample_next_states",
    "soft_q_learning",
    "soft_q_pg_equivalence",
    "soft_q_pg_losses",
]
