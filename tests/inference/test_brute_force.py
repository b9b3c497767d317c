"""Exact inference against enumeration of every trajectory of tiny MDPs."""

import itertools

import numpy as np
import pytest
from scipy.special import logsumexp

from softrl.inference import (
    elbo,
    forward_messages,
    log_evidence,
    policy_marginals,
    posterior_marginals,
    soft_backward,
)
from softrl.mdp import FiniteMDP


def random_mdp(seed, S=3, A=2, H=3, terminal=None, sparse=False):
    rng = np.random.default_rng(seed)
    P = rng.dirichlet(np.ones(S), size=(S, A))
    if sparse:
        P[P < 0.2] = 0.0
        P[..., 0] += 1e-3
        P /= P.sum(-1, keepdims=True)
    r = rng.normal(size=(S, A))
    p0 = rng.dirichlet(np.ones(S))
    if terminal is not None:
        p0[terminal] = 0.0
        p0 /= p0.sum()
    return FiniteMDP(P, r, initial=p0, horizon=H, terminal=terminal)


def enumerate_trajectories(mdp, H, weight_fn):
    """Yield (states, actions, weight) for every (s_0, a_0, ..., s_H) of positive probability.

    A trajectory that reaches a terminal state stops there (its later entries are that state,
    with no action taken).  ``weight_fn(t, s, a)`` gives the per-step factor besides p(s'|s,a).
    """
    S, A = mdp.shape
    P = mdp.dense_transitions()
    out = []
    for s0 in range(S):
        if mdp.initial[s0] == 0:
            continue
        frontier = [([s0], [], mdp.initial[s0])]
        for t in range(H):
            new = []
            for states, actions, w in frontier:
                s = states[-1]
                if mdp.terminal[s]:
                    new.append((states + [s], actions + [None], w))
                    continue
                for a, s2 in itertools.product(range(A), range(S)):
                    if P[s, a, s2] > 0:
                        new.append(
                            (states + [s2], actions + [a], w * weight_fn(t, s, a) * P[s, a, s2])
                        )
            frontier = new
        out.extend(frontier)
    return out


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("temperature", [0.5, 1.0, 3.0])
@pytest.mark.parametrize("terminal", [None, [2]])
def test_optimistic_posterior_matches_enumeration(seed, temperature, terminal):
    H = 3
    mdp = random_mdp(seed, H=H, terminal=terminal)
    S, A = mdp.shape
    r = mdp.reward
    trajs = enumerate_trajectories(mdp, H, lambda t, s, a: np.exp(r[s, a] / temperature))
    Z = sum(w for *_, w in trajs)
    assert log_evidence(mdp, temperature) == pytest.approx(np.log(Z), rel=1e-12, abs=1e-12)

    sa = np.zeros((H, S, A))
    st = np.zeros((H + 1, S))
    for states, actions, w in trajs:
        for t in range(H + 1):
            st[t, states[t]] += w / Z
        for t in range(H):
            if actions[t] is not None:
                sa[t, states[t], actions[t]] += w / Z
    sol = soft_backward(mdp, temperature, "optimistic")
    marg = posterior_marginals(mdp, sol)
    np.testing.assert_allclose(marg.state, st, atol=1e-12)
    np.testing.assert_allclose(marg.state_action, sa, atol=1e-12)

    # Forward messages: p(s_t | O) ∝ alpha_t(s) beta_t(s), and log p(O) from every t.
    log_alpha = forward_messages(mdp, temperature)
    for t in range(H + 1):
        log_ab = log_alpha[t] + sol.V[t] / temperature
        assert logsumexp(log_ab) == pytest.approx(np.log(Z), abs=1e-12)
        np.testing.assert_allclose(np.exp(log_ab - np.log(Z)), st[t], atol=1e-12)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("terminal", [None, [1]])
def test_variational_policy_marginals_and_elbo_match_enumeration(seed, terminal):
    H, T = 3, 0.7
    mdp = random_mdp(seed, H=H, terminal=terminal)
    S, A = mdp.shape
    sol = soft_backward(mdp, T, "variational")
    pi = sol.policy
    r = mdp.reward
    trajs = enumerate_trajectories(mdp, H, lambda t, s, a: pi[t, s, a])
    assert sum(w for *_, w in trajs) == pytest.approx(1.0)
    sa = np.zeros((H, S, A))
    value = 0.0
    for states, actions, w in trajs:
        for t in range(H):
            a = actions[t]
            if a is not None:
                sa[t, states[t], a] += w
                value += w * (r[states[t], a] / T - np.log(pi[t, states[t], a]))
    np.testing.assert_allclose(posterior_marginals(mdp, sol).state_action, sa, atol=1e-12)
    np.testing.assert_allclose(policy_marginals(mdp, pi).state_action, sa, atol=1e-12)
    assert elbo(mdp, pi, T) == pytest.approx(value, rel=1e-12)
    # The soft-optimal policy maximises the ELBO; its value is E_p0[V_0] / T.
    assert elbo(mdp, pi, T) == pytest.approx(mdp.initial @ sol.V[0] / T, rel=1e-12)
    uniform = np.full((S, A), 1.0 / A)
    assert elbo(mdp, uniform, T) < elbo(mdp, pi, T)


@pytest.mark.parametrize("seed", range(6))
def test_elbo_bounds_evidence(seed):
    mdp = random_mdp(seed, S=4, A=3, H=4, sparse=True)
    T = 1.3
    opt = soft_backward(mdp, T, "variational")
    logZ = log_evidence(mdp, T)
    assert elbo(mdp, opt.policy, T) <= logZ + 1e-12
    rng = np.random.default_rng(seed)
    for _ in range(5):
        pi = rng.dirichlet(np.ones(3), size=(4, 4))
        assert elbo(mdp, pi, T) <= logZ + 1e-12


def test_elbo_equals_evidence_for_deterministic_dynamics():
    rng = np.random.default_rng(0)
    S, A, H = 4, 3, 5
    nxt = rng.integers(0, S, size=(S, A))
    P = np.zeros((S, A, S))
    P[np.arange(S)[:, None], np.arange(A)[None, :], nxt] = 1.0
    p0 = np.eye(S)[1]
    mdp = FiniteMDP(P, rng.normal(size=(S, A)), initial=p0, horizon=H)
    for T in (0.3, 1.0, 4.0):
        var = soft_backward(mdp, T, "variational")
        opt = soft_backward(mdp, T, "optimistic")
        np.testing.assert_allclose(var.V, opt.V, atol=1e-12)
        assert elbo(mdp, var.policy, T) == pytest.approx(log_evidence(mdp, T), abs=1e-10)


def test_action_prior_enumeration():
    mdp = random_mdp(7, H=3)
    S, A = mdp.shape
    prior = np.array([[0.8, 0.2], [0.5, 0.5], [0.1, 0.9]])
    T = 0.9
    r = mdp.reward
    trajs = enumerate_trajectories(mdp, 3, lambda t, s, a: prior[s, a] * np.exp(r[s, a] / T))
    Z = sum(w for *_, w in trajs)
    assert log_evidence(mdp, T, action_prior=prior) == pytest.approx(np.log(Z), abs=1e-12)
    # A uniform proper prior shifts log p(O) by -H log A and leaves the policy unchanged.
    uni = soft_backward(mdp, T, action_prior=np.full(A, 1.0 / A))
    base = soft_backward(mdp, T)
    np.testing.assert_allclose(uni.policy, base.policy, atol=1e-12)
    assert log_evidence(mdp, T, action_prior=np.full(A, 0.5)) == pytest.approx(
        log_evidence(mdp, T) - 3 * np.log(2)
    )
