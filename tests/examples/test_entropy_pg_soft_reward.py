"""Gallery claim: REINFORCE on the reward r - T log pi estimates the exact entropy-regularized
gradient (autograd through the state distribution, checked by finite differences) with error
falling like 1/sqrt(M); dropping -T log pi converges to the plain return's gradient instead."""

import importlib.util
from pathlib import Path

import numpy as np

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "entropy_pg_soft_reward.py"


def _load():
    spec = importlib.util.spec_from_file_location("entropy_pg_soft_reward", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_claim(tmp_path) -> None:
    result = _load().main(tmp_path, fast=True)
    assert result["finite_difference_error"] < 1e-6
    assert -0.65 <= result["slope"] <= -0.35
    assert result["largest_m"] == 10_000
    # 1/sqrt(M) from ~4.5 at M = 10: ~0.14 expected at M = 1e4 (RMS over 6 draws).
    assert result["rel_error_soft_at_largest_m"] < 0.3
    # The entropy term's gradient is a large part of grad J here, and forgetting it leaves
    # exactly that error however many episodes are drawn ...
    assert result["entropy_gradient_floor"] > 0.5
    assert result["rel_error_plain_at_largest_m"] > 0.95 * result["entropy_gradient_floor"]
    assert result["rel_error_plain_at_largest_m"] > 2 * result["rel_error_soft_at_largest_m"]
    # ... because that estimate is consistent for the gradient of the plain return.
    assert result["plain_own_rel_error_at_largest_m"] < 0.3
    assert (tmp_path / "entropy_pg_soft_reward.png").stat().st_size > 5000


def test_exact_objective_by_enumeration() -> None:
    """J from the forward recursion equals a sum over every (s_0, a_0, ..., s_H) path."""
    import itertools

    import torch

    from softrl.envs import gridworld

    module = _load()
    mdp = gridworld(2, slip=0.3, gamma=0.9, horizon=3, n_actions=4).mdp
    theta = np.random.default_rng(1).normal(size=mdp.shape)
    T = 0.7
    pi = np.exp(theta - np.log(np.exp(theta).sum(-1, keepdims=True)))
    P, r = mdp.dense_transitions(), np.asarray(mdp.reward)
    S, A = mdp.shape
    total = 0.0
    for path in itertools.product(range(S), *[range(A), range(S)] * mdp.horizon):
        prob, ret, s = mdp.initial[path[0]], 0.0, path[0]
        for t in range(mdp.horizon):
            a, s_next = path[1 + 2 * t], path[2 + 2 * t]
            prob *= pi[s, a] * P[s, a, s_next]
            ret += mdp.gamma**t * (r[s, a] - T * np.log(pi[s, a]))
            s = s_next
        total += prob * ret
    J = float(module.exact_objective(torch.as_tensor(theta), mdp, T))
    assert abs(J - total) < 1e-12
