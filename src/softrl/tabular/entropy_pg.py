"""Entropy-regularized policy gradient on a finite-horizon MDP with a softmax-tabular policy
(seed 002), checked against the exact soft-optimal policy of :func:`soft_backward`.

The objective J(theta) = E[sum_t (r_t - T log pi_theta(a_t|s_t))] is maximised by the
variational posterior policy (the soft backward pass). Its gradient, estimated from N sampled
episodes, is (the "subtract T log pi from the reward" rule)

    grad J = E[ sum_t grad log pi(a_t|s_t) (R^soft_t - b_t(s_t)) ],
    R^soft_t = sum_{k >= t} (r_k - T log pi(a_k|s_k)),

with pi_t(.|s) = softmax(theta[t, s, .]). ``estimator="reinforce"`` uses a running mean of
R^soft per (t, s) as the baseline b; ``"actor_critic"`` learns a soft value table V_t(s) by
regression on R^soft and weighs the score by the one-step soft advantage
r_t - T log pi(a_t|s_t) + V_{t+1}(s_{t+1}) - V_t(s_t).
"""

from __future__ import annotations

from typing import Literal, NamedTuple

import numpy as np

from softrl.inference import soft_backward
from softrl.mdp import FiniteMDP, MDPValidationError, sample_trajectories
from softrl.validation import Interval, check_scalar

__all__ = ["EntropyPGResult", "entropy_pg"]


class EntropyPGResult(NamedTuple):
    """What :func:`entropy_pg` returns."""

    policy: np.ndarray
    """The learned pi_t(a|s), (H, S, A)."""
    kl: np.ndarray
    """Expected KL from the exact soft-optimal policy over the optimal state marginals, per
    recorded iteration."""
    objective: np.ndarray
    """J of the learned policy (exact), per recorded iteration."""


def _log_softmax(theta: np.ndarray) -> np.ndarray:
    z = theta - theta.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def _softmax(theta: np.ndarray) -> np.ndarray:
    return np.exp(_log_softmax(theta))


def entropy_pg(
    mdp: FiniteMDP,
    temperature: float,
    n_iterations: int,
    episodes_per_iteration: int = 64,
    lr: float = 0.5,
    estimator: Literal["reinforce", "actor_critic"] = "reinforce",
    seed: int | None = 0,
    record_every: int = 50,
) -> EntropyPGResult:
    """Gradient ascent on J(theta) from sampled episodes; see the module docstring.

    Parameters
    ----------
    mdp : FiniteMDP
        Finite horizon H (gamma applies inside the returns).
    temperature : float
        T > 0.
    n_iterations : int
        Gradient steps, each from ``episodes_per_iteration`` fresh episodes.
    lr : float
        Step size on the logits (the gradient is averaged over episodes).
    estimator : "reinforce" or "actor_critic"
    seed : int or None
    record_every : int
        Iterations between the recorded KL / objective values.
    """
    if mdp.horizon is None:
        raise MDPValidationError("entropy_pg needs a finite horizon (mdp.replace(horizon=H)).")
    owner = "entropy_pg"
    T = check_scalar(temperature, "temperature", Interval(float, 0, None, closed="neither"),
                     owner, MDPValidationError)
    check_scalar(n_iterations, "n_iterations", Interval(int, 1, None), owner,
                 MDPValidationError)
    check_scalar(lr, "lr", Interval(float, 0, None, closed="neither"), owner,
                 MDPValidationError)
    if estimator not in ("reinforce", "actor_critic"):
        raise MDPValidationError(f"The 'estimator' parameter of entropy_pg must be 'reinforce' "
                                 f"or 'actor_critic'. Got {estimator!r} instead.")
    H, (S, A), gamma = mdp.horizon, mdp.shape, mdp.gamma
    exact = soft_backward(mdp, temperature=T)
    pi_star, log_pi_star = exact.policy, exact.log_policy
    from softrl.inference import policy_marginals

    d_star = policy_marginals(mdp, pi_star).state  # (H + 1, S)
    theta = np.zeros((H, S, A))
    baseline = np.zeros((H + 1, S))
    rng = np.random.default_rng(seed)
    kls, objectives = [], []
    live = ~mdp.terminal
    for it in range(n_iterations):
        log_pi_all = _log_softmax(theta)
        pi = np.exp(log_pi_all)
        traj = sample_trajectories(mdp, pi, episodes_per_iteration,
                                   seed=int(rng.integers(2**31 - 1)))
        states, actions, rewards = traj.states, traj.actions, traj.rewards  # (N, H+1), (N, H)
        N = states.shape[0]
        steps = actions >= 0
        t_idx = np.broadcast_to(np.arange(H), actions.shape)
        s_t = np.where(steps, states[:, :-1], 0)
        a_t = np.where(steps, actions, 0)
        log_pi = log_pi_all[t_idx, s_t, a_t]
        soft_r = np.where(steps, rewards - T * log_pi, 0.0) * gamma ** t_idx
        ret = np.cumsum(soft_r[:, ::-1], axis=1)[:, ::-1] / gamma ** t_idx  # R^soft_t
        if estimator == "reinforce":
            weight = ret - baseline[t_idx, s_t]
        else:
            s_next = np.where(steps, states[:, 1:], 0)
            v_next = np.where(steps & (t_idx + 1 < H), baseline[t_idx + 1, s_next], 0.0)
            v_next = np.where(live[s_next], v_next, 0.0)
            weight = (rewards - T * log_pi) + gamma * v_next - baseline[t_idx, s_t]
        # The value table moves halfway toward this batch's mean soft return per (t, s).
        flat = t_idx[steps] * S + s_t[steps]
        n_ts = np.bincount(flat, minlength=H * S).reshape(H, S)
        sum_ts = np.bincount(flat, ret[steps], minlength=H * S).reshape(H, S)
        seen = n_ts > 0
        baseline[:-1][seen] += 0.5 * (sum_ts[seen] / n_ts[seen] - baseline[:-1][seen])
        # grad log softmax = onehot(a) - pi(.|s), accumulated per (t, s).
        grad = np.zeros_like(theta)
        w = np.where(steps, weight, 0.0) / N
        np.add.at(grad, (t_idx[steps], s_t[steps], a_t[steps]), w[steps])
        np.add.at(grad, (t_idx[steps], s_t[steps]), -w[steps][:, None] * pi[t_idx[steps],
                                                                          s_t[steps]])
        theta += lr * grad
        if (it + 1) % record_every == 0 or it == n_iterations - 1:
            log_pi_all = _log_softmax(theta)
            pi = np.exp(log_pi_all)
            kl = np.where(pi_star > 0, pi_star * (log_pi_star - log_pi_all), 0.0).sum(-1)
            kls.append(float((d_star[:-1] * kl * live).sum()))
            m = policy_marginals(mdp, pi).state_action
            objectives.append(float((m * (mdp.reward[None] - T * log_pi_all)).sum()))
    return EntropyPGResult(_softmax(theta), np.asarray(kls), np.asarray(objectives))
