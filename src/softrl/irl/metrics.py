"""IRL metrics: demo log-likelihood, expected value difference, feature-count gap, EPIC.

* :func:`demo_log_likelihood`: (1/N) sum_i sum_t gamma^t log pi_t(a_t^i | s_t^i).
* :func:`expected_value_difference`: the return lost, under the true reward, by acting
  optimally for the learned reward, as a fraction of the optimal return:
  EVD = (J*(p_0) - J^{pi_hat}(p_0)) / |J*(p_0)|, J^pi(p_0) = sum_s p_0(s) V^pi_0(s) the hard
  (temperature 0) value of the true reward, pi_hat greedy for the learned reward.
* :func:`feature_count_gap`: ||E_demo[sum_t gamma^t phi] - E_pi[sum_t gamma^t phi]||.
* :func:`epic_distance`: the Equivalent-Policy Invariant Comparison pseudometric of Gleave et
  al. (2020, https://arxiv.org/abs/2006.13900), a reward distance invariant to potential
  shaping and positive rescaling.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from softrl.inference import soft_backward
from softrl.inference.forward import occupancy, policy_marginals
from softrl.irl.demonstrations import as_demonstrations
from softrl.mdp import FiniteMDP, MDPValidationError

__all__ = [
    "demo_log_likelihood",
    "policy_value",
    "optimal_policy",
    "expected_value_difference",
    "feature_count_gap",
    "canonicalize_reward",
    "epic_distance",
]


def demo_log_likelihood(policy: np.ndarray, demonstrations: Any, gamma: float = 1.0) -> float:
    """Mean discounted log-likelihood of the demonstrated actions under ``policy``.

    L = (1/N) sum_i sum_{t < L_i} gamma^t log pi_t(a_t^i | s_t^i)

    Parameters
    ----------
    policy : (S, A) stationary or (H, S, A) time-indexed pi(a|s)
    demonstrations : any format accepted by :func:`~softrl.irl.as_demonstrations`
    gamma : float, default 1.0

    Returns
    -------
    float (-inf when a demonstrated action has probability 0)
    """
    pi = np.asarray(policy, dtype=np.float64)
    if pi.ndim not in (2, 3):
        raise MDPValidationError(f"policy: expected (S, A) or (H, S, A), got {pi.shape}.")
    demos = as_demonstrations(demonstrations)
    n_states, n_actions = pi.shape[-2:]
    mask = demos.step_mask()
    s = demos.states[:, :-1][mask]
    a = demos.actions[mask]
    t = np.broadcast_to(np.arange(demos.max_length), mask.shape)[mask]
    if s.max() >= n_states or a.max() >= n_actions or s.min() < 0 or a.min() < 0:
        raise MDPValidationError(
            f"demonstrations: states/actions out of range for a policy over (S, A) = "
            f"{(n_states, n_actions)}."
        )
    if pi.ndim == 3 and demos.max_length > pi.shape[0]:
        raise MDPValidationError(
            f"demonstrations: {demos.max_length} steps but the policy has horizon {pi.shape[0]}."
        )
    p = pi[t, s, a] if pi.ndim == 3 else pi[s, a]
    with np.errstate(divide="ignore"):
        return float((gamma ** t.astype(np.float64)) @ np.log(p) / len(demos))


def _value0(mdp: FiniteMDP, V: np.ndarray) -> np.ndarray:
    return V[0] if V.ndim == 2 else V


def policy_value(mdp: FiniteMDP, policy: np.ndarray) -> float:
    """J^pi = sum_s p_0(s) V^pi_0(s): the expected (discounted) return of ``policy`` under
    ``mdp.reward`` (hard policy evaluation); policy (S, A) or (H, S, A)."""
    sol = soft_backward(mdp, temperature=0.0, policy=policy)
    return float(mdp.initial @ _value0(mdp, sol.V))


def optimal_policy(mdp: FiniteMDP, reward: np.ndarray | None = None) -> np.ndarray:
    """The greedy optimal policy (ties split evenly) for ``reward`` (default ``mdp.reward``).

    Returns (H, S, A) for a finite horizon, (S, A) otherwise.
    """
    target = mdp if reward is None else mdp.replace(reward=reward)
    return soft_backward(target, temperature=0.0).policy


def expected_value_difference(
    mdp: FiniteMDP,
    learned_reward: np.ndarray | None = None,
    policy: np.ndarray | None = None,
    normalize: bool = True,
) -> float:
    """Return lost under the true reward ``mdp.reward`` by the learned behaviour.

    EVD = (J* - J^pi) / |J*| with J^pi = sum_s p_0(s) V^pi_0(s) under the true reward, J* the
    optimal return and pi either the greedy optimal policy of ``learned_reward`` or the given
    ``policy`` (e.g. the learned soft policy).  ``normalize=False`` returns J* - J^pi.

    Parameters
    ----------
    mdp : FiniteMDP
        The MDP with its true reward.
    learned_reward : (S,) or (S, A), optional
    policy : (S, A) or (H, S, A), optional
        Exactly one of ``learned_reward`` and ``policy``.
    normalize : bool, default True

    Returns
    -------
    float, >= 0 up to rounding
    """
    if (learned_reward is None) == (policy is None):
        raise MDPValidationError("expected_value_difference: give learned_reward or policy.")
    pi = optimal_policy(mdp, learned_reward) if policy is None else policy
    j_star = float(mdp.initial @ _value0(mdp, soft_backward(mdp, temperature=0.0).V))
    gap = j_star - policy_value(mdp, pi)
    if not normalize:
        return gap
    if j_star == 0.0:
        raise MDPValidationError(
            "expected_value_difference: the optimal return is 0, so the fraction is undefined; "
            "use normalize=False."
        )
    return gap / abs(j_star)


def feature_count_gap(
    mdp: FiniteMDP,
    policy: np.ndarray,
    demonstrations: Any,
    features: np.ndarray,
    initial: Literal["demos", "mdp"] = "demos",
    ord: float = 2,
) -> float:
    """||phi_demo - E_pi[sum_t gamma^t phi(s_t, a_t)]||_ord, the feature-count gap.

    phi_demo = (1/N) sum_i sum_t gamma^t phi(s_t^i, a_t^i).  The model's counts start from
    the demonstrations' empirical p^(s_0) (``initial="demos"``) or from ``mdp.initial``.

    Parameters
    ----------
    mdp : FiniteMDP
    policy : (S, A) or (H, S, A)
    demonstrations : any format accepted by :func:`~softrl.irl.as_demonstrations`
    features : (S, F) or (S, A, F)
    initial : {"demos", "mdp"}
    ord : norm order (numpy.linalg.norm), default 2
    """
    demos = as_demonstrations(demonstrations, mdp)
    phi = np.asarray(features, dtype=np.float64)
    if (
        phi.shape[0] != mdp.n_states
        or phi.ndim not in (2, 3)
        or (phi.ndim == 3 and phi.shape[1] != mdp.n_actions)
    ):
        raise MDPValidationError(
            f"features: expected (S, F) or (S, A, F) with (S, A) = {mdp.shape}, got {phi.shape}."
        )
    if initial not in ("demos", "mdp"):
        raise MDPValidationError(f"initial: must be 'demos' or 'mdp', got {initial!r}.")
    p0 = demos.initial_distribution(mdp.n_states) if initial == "demos" else mdp.initial
    pi = np.asarray(policy, dtype=np.float64)
    if pi.ndim == 3:
        rho = policy_marginals(mdp, pi, horizon=pi.shape[0], initial=p0).visitation(mdp.gamma)
    else:
        rho = occupancy(mdp, pi, initial=p0)
    model = rho.sum(axis=1) @ phi if phi.ndim == 2 else np.tensordot(rho, phi, axes=2)
    return float(np.linalg.norm(demos.feature_counts(phi, mdp.gamma) - model, ord=ord))


def _as_sas(reward: np.ndarray, n_states: int, n_actions: int, name: str) -> np.ndarray:
    r = np.asarray(reward, dtype=np.float64)
    if r.shape == (n_states,):
        return np.broadcast_to(r[:, None, None], (n_states, n_actions, n_states))
    if r.shape == (n_states, n_actions):
        return np.broadcast_to(r[:, :, None], (n_states, n_actions, n_states))
    if r.shape == (n_states, n_actions, n_states):
        return r
    raise MDPValidationError(
        f"{name}: expected (S,), (S, A) or (S, A, S) with (S, A) = {(n_states, n_actions)}, "
        f"got {r.shape}."
    )


def canonicalize_reward(
    reward: np.ndarray,
    gamma: float,
    state_dist: np.ndarray,
    action_dist: np.ndarray,
) -> np.ndarray:
    """EPIC canonical shaping C(R) (Gleave et al. 2020, Definition 4.1).

    C(R)(s, a, s') = R(s, a, s') + E[gamma R(s', A, S') - R(s, A, S') - gamma R(S, A, S')]
    with S, S' ~ D_S and A ~ D_A independent.  C(R + gamma Phi(s') - Phi(s)) = C(R) for any
    potential Phi.

    Parameters
    ----------
    reward : (S, A, S)
    gamma : float
    state_dist : (S,), D_S
    action_dist : (A,), D_A

    Returns
    -------
    (S, A, S)
    """
    R = np.asarray(reward, dtype=np.float64)
    # m(x) = E_{A, S'}[R(x, A, S')], shape (S,); M = E_S[m(S)].
    m = np.einsum("xay,a,y->x", R, action_dist, state_dist)
    M = float(state_dist @ m)
    return R + gamma * m[None, None, :] - m[:, None, None] - gamma * M


def epic_distance(
    reward_a: np.ndarray,
    reward_b: np.ndarray,
    mdp: FiniteMDP,
    state_dist: np.ndarray | None = None,
    action_dist: np.ndarray | None = None,
    coverage: Literal["transitions", "uniform"] = "transitions",
) -> float:
    """EPIC distance D(R_A, R_B) = sqrt((1 - rho(C(R_A), C(R_B))) / 2) in [0, 1].

    rho is the Pearson correlation under a coverage distribution over (s, a, s') of the
    canonically shaped rewards (:func:`canonicalize_reward`).  D = 0 iff the rewards agree up
    to potential shaping and positive rescaling (on the coverage's support); it does not
    depend on which of the two is the true reward.  Rewards of terminal states are never
    collected (:class:`~softrl.mdp.FiniteMDP` zeroes them), so both rewards are compared with
    their terminal rows set to 0.  Uses dense (S, A, S) tables: small MDPs.

    Parameters
    ----------
    reward_a, reward_b : (S,), (S, A) or (S, A, S)
    mdp : FiniteMDP
        Supplies gamma and, for ``coverage="transitions"``, p(s'|s,a).
    state_dist : (S,), optional
        D_S of the canonicalization and of s in the coverage; uniform when omitted.
    action_dist : (A,), optional
        D_A, uniform when omitted.
    coverage : {"transitions", "uniform"}
        D(s, a, s') = D_S(s) D_A(a) p(s'|s,a) or D_S(s) D_A(a) D_S(s').

    Returns
    -------
    float in [0, 1]
    """
    S, A = mdp.shape
    d_s = np.full(S, 1.0 / S) if state_dist is None else np.asarray(state_dist, np.float64)
    d_a = np.full(A, 1.0 / A) if action_dist is None else np.asarray(action_dist, np.float64)
    if d_s.shape != (S,) or d_a.shape != (A,):
        raise MDPValidationError(
            f"state_dist/action_dist: expected shapes ({S},) and ({A},), got {d_s.shape} and "
            f"{d_a.shape}."
        )
    if coverage == "transitions":
        weight = d_s[:, None, None] * d_a[None, :, None] * mdp.dense_transitions()
    elif coverage == "uniform":
        weight = d_s[:, None, None] * d_a[None, :, None] * d_s[None, None, :]
    else:
        raise MDPValidationError(f"coverage: must be 'transitions' or 'uniform', got {coverage!r}.")
    weight = weight / weight.sum()
    gamma = mdp.gamma
    live = (~mdp.terminal)[:, None, None]
    ra = np.where(live, _as_sas(reward_a, S, A, "reward_a"), 0.0)
    rb = np.where(live, _as_sas(reward_b, S, A, "reward_b"), 0.0)
    ca = canonicalize_reward(ra, gamma, d_s, d_a)
    cb = canonicalize_reward(rb, gamma, d_s, d_a)
    ca = ca - np.sum(weight * ca)
    cb = cb - np.sum(weight * cb)
    var_a = np.sum(weight * ca * ca)
    var_b = np.sum(weight * cb * cb)
    if var_a <= 1e-300 or var_b <= 1e-300:
        raise MDPValidationError(
            "epic_distance: a reward is constant up to shaping on the coverage distribution; "
            "its Pearson correlation is undefined."
        )
    rho = float(np.sum(weight * ca * cb) / np.sqrt(var_a * var_b))
    return float(np.sqrt(max(0.0, 1.0 - min(rho, 1.0)) / 2.0))
