"""Small random MDPs for tests (importable as `from mdp_factories import make_random_mdp`)."""

import numpy as np

from softrl.mdp import FiniteMDP


def make_random_mdp(seed: int, S: int = 5, A: int = 3, gamma: float = 0.9, horizon=None,
                    terminal=None, density: float = 1.0) -> FiniteMDP:
    """A random MDP with dense or sparsified Dirichlet rows and N(0, 1) rewards."""
    rng = np.random.default_rng(seed)
    P = rng.dirichlet(np.ones(S), size=(S, A))
    if density < 1.0:
        P[rng.random(P.shape) > density] = 0.0
        P[np.arange(S)[:, None], np.arange(A)[None, :], rng.integers(0, S, (S, A))] += 0.1
        P /= P.sum(-1, keepdims=True)
    return FiniteMDP(P, rng.normal(size=(S, A)), gamma=gamma, horizon=horizon,
                     terminal=terminal)
