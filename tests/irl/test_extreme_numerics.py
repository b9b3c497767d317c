"""Temperature 1e-6 and rewards of 1e4 (issue 11): the backward pass, the forward messages and
every IRL gradient stay finite, and keep the identities that hold at any temperature."""

from __future__ import annotations

import numpy as np
import pytest
from irl_helpers import random_mdp
from scipy.special import logsumexp

from softrl.inference import forward_messages, soft_backward
from softrl.irl import as_demonstrations, demo_stats, irl_objective
from softrl.mdp import sample_trajectories

T_SMALL, R_BIG = 1e-6, 1e4


def test_forward_messages_keep_the_evidence_identity() -> None:
    mdp = random_mdp(3, gamma=1.0, horizon=4)
    mdp = mdp.replace(reward=mdp.reward * R_BIG)
    log_alpha = forward_messages(mdp, temperature=T_SMALL)
    assert not np.isnan(log_alpha).any() and not np.isposinf(log_alpha).any()
    V = soft_backward(mdp, T_SMALL, "optimistic").V  # log beta_t = V_t / T
    # log p(O) = log sum_s alpha_t(s) beta_t(s), the same for every t (V_H = 0).
    log_z = [logsumexp(log_alpha[t] + V[t] / T_SMALL) for t in range(mdp.horizon)]
    log_z.append(logsumexp(log_alpha[-1]))
    np.testing.assert_allclose(log_z, log_z[0], rtol=1e-9)
    # At T -> 0, T log p(O) is the best total reward over every path the dynamics allow
    # (the optimistic limit): a max-plus recursion over reachable states, W_H = 0.
    reach = mdp.dense_transitions() > 0  # (S, A, S)
    W = np.zeros(mdp.n_states)
    for _ in range(mdp.horizon):
        W = (mdp.reward + np.where(reach, W, -np.inf).max(axis=-1)).max(axis=1)
    np.testing.assert_allclose(T_SMALL * log_z[0], W[mdp.initial > 0].max(), rtol=1e-6)


@pytest.mark.parametrize(("horizon", "gamma", "objective"), [
    (5, 1.0, "likelihood"), (5, 0.9, "dual"), (None, 0.9, "likelihood"), (None, 0.8, "dual"),
    (4, 1.0, "trajectory")])
def test_irl_gradient_is_finite_at_extremes(horizon, gamma, objective) -> None:
    mdp = random_mdp(1, gamma=gamma, horizon=horizon, terminal=[5])
    trajs = sample_trajectories(mdp, soft_backward(mdp).policy, 5, horizon=horizon or 6, seed=1)
    stats = demo_stats(mdp, as_demonstrations(trajs, mdp))
    for temperature, scale in [(T_SMALL, 1.0), (1.0, R_BIG), (T_SMALL, R_BIG)]:
        ev = irl_objective(mdp, mdp.reward * scale, stats, temperature, objective)
        assert np.isfinite(ev.value) and np.all(np.isfinite(ev.grad_reward))
        assert np.all(np.isfinite(ev.log_policy[ev.log_policy > -np.inf]))
        np.testing.assert_allclose(ev.policy.sum(axis=-1), 1.0, atol=1e-9)
