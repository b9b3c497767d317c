"""The compiled kernels: the threaded variants agree with the serial ones, bit for bit."""

import numpy as np
import pytest

from mdp_factories import make_random_mdp
from softrl.inference import (
    kernels,
    policy_marginals,
    posterior_marginals,
    soft_backward,
    soft_bellman_step,
)


def _everything(mdp):
    """Every output of the engine that goes through a dispatched kernel."""
    out = []
    for backup in ("variational", "optimistic"):
        sol = soft_backward(mdp, 0.7, backup)
        post = posterior_marginals(mdp, sol)
        true = policy_marginals(mdp, sol.policy[0])
        out += [sol.Q, sol.V, sol.policy, sol.log_policy, post.state, post.state_action,
                true.state, true.state_action]  # fmt: skip
    out += list(soft_bellman_step(mdp, mdp.reward, np.linspace(-1, 1, mdp.n_states), 0.0))
    out.append(soft_backward(mdp, 0.5, policy=np.full(mdp.shape, 1 / mdp.n_actions)).V)
    return out


def test_parallel_kernels_match_serial(monkeypatch):
    mdp = make_random_mdp(0, S=40, A=3, gamma=1.0, horizon=6, terminal=[2, 5], density=0.3)
    monkeypatch.setattr(kernels, "PARALLEL_MIN_NNZ", 10**12)
    serial = _everything(mdp)
    monkeypatch.setattr(kernels, "PARALLEL_MIN_NNZ", 0)
    monkeypatch.setattr(kernels, "PARALLEL_MAX_LOAD", float("inf"))  # threads even when busy
    threaded = _everything(mdp)
    for a, b in zip(serial, threaded, strict=True):
        np.testing.assert_array_equal(a, b)


def test_policy_marginals_checks_the_policy_in_the_kernel():
    mdp = make_random_mdp(1, S=5, A=3, horizon=4)
    pi = np.full((4, 5, 3), 1 / 3)
    pi[2, 3] = [0.5, 0.5, 0.5]
    with pytest.raises(ValueError, match=r"index \(2, 3\) sums to 1.5"):
        policy_marginals(mdp, pi)
    pi[2, 3] = [np.nan, 0.5, 0.5]
    with pytest.raises(ValueError, match="nan"):
        policy_marginals(mdp, pi)


def test_policy_of_a_finite_horizon_pass_is_the_pass_s_array_read_only():
    """``SoftSolution.policy`` hands out the policy the backward pass wrote without a copy
    (the 6 MB copy was 7% of an MCE step on a 40 x 40 grid), read-only so that nobody changes
    the solution through it; it equals exp((Q - V) / T) computed afresh."""
    mdp = make_random_mdp(2, S=30, A=4, gamma=1.0, horizon=5, terminal=[3], density=0.3)
    sol = soft_backward(mdp, 0.7)
    pi = sol.policy
    assert sol.pi is not None and np.shares_memory(pi, sol.pi)
    live = ~mdp.terminal
    expected = np.exp((sol.Q - sol.V[:-1, :, None]) / 0.7)
    np.testing.assert_allclose(pi[:, live], expected[:, live], rtol=1e-12, atol=1e-15)
    with pytest.raises(ValueError, match="read-only"):
        pi[0, 0, 0] = 0.5
    before = np.array(pi)
    mine = sol.policy.copy()  # a writable copy for whoever needs one
    mine[:] = 0.0
    np.testing.assert_array_equal(sol.policy, before)
