"""Guided cost learning and AIRL on finite MDPs: the sample-based estimators of
:mod:`softrl.functional.irl` with tabular rewards, where the exact answers are known.

* :func:`gcl_gradient` is GCL's importance-sampled gradient of the MaxEnt IRL log-likelihood
  with respect to a reward table.  As the number of proposal trajectories M grows it converges
  to the exact gradient ``irl_objective(mdp, r, stats, T, "trajectory").grad_reward``
  (expert minus posterior counts, one backward and one forward pass) with an error that falls
  like 1 / sqrt(M).
* :func:`fit_tabular_airl` fits AIRL's discriminator with a tabular g(s) and h(s) by L-BFGS.
  When the generator is the expert (the fixed point of the game), f = g + gamma h' - h
  reaches log pi_E(a|s), the soft advantage Q* - V*, and under deterministic dynamics g is
  the true reward up to a constant (Fu et al. 2018, Theorem 5.1).

Both take transitions sampled from the environment (e.g. through
:class:`~softrl.envs.FiniteMDPEnv`), never the dynamics.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from softrl.functional.irl import (
    airl_logits,
    discriminator_loss,
    gcl_log_weights,
    gcl_loss,
    gcl_normalized_weights,
    shaped_reward,
)

__all__ = ["TabularAIRL", "env_trajectories", "fit_tabular_airl", "gcl_gradient",
           "trajectory_log_prob", "trajectory_returns"]


def env_trajectories(env, policy: np.ndarray, n: int, seed: int = 0
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run ``policy`` for ``n`` episodes in a Gymnasium env with Discrete observations and
    actions (e.g. :class:`~softrl.envs.FiniteMDPEnv`): (states (n, H + 1), actions (n, H),
    terminated (n, H)), -1 after an episode ended.

    ``policy`` is (S, A) or time-indexed (H, S, A); H is its length or the env's
    ``max_episode_steps``.  Episode k is reset with ``seed + k``; actions come from
    ``numpy.random.default_rng(seed)``.
    """
    policy = np.asarray(policy, dtype=np.float64)
    H = policy.shape[0] if policy.ndim == 3 else getattr(env, "max_episode_steps", None)
    if H is None:
        raise ValueError("env_trajectories: give a time-indexed policy (H, S, A) or an env "
                         "with max_episode_steps")
    rng = np.random.default_rng(seed)
    cum = np.cumsum(policy, axis=-1)
    states = np.full((n, H + 1), -1, dtype=np.int64)
    actions = np.full((n, H), -1, dtype=np.int64)
    terminated = np.zeros((n, H), dtype=bool)
    for k in range(n):
        s, _ = env.reset(seed=seed + k)
        states[k, 0] = s
        for t in range(H):
            row = cum[t, s] if cum.ndim == 3 else cum[s]
            a = min(int(np.searchsorted(row, rng.random() * row[-1], side="right")),
                    len(row) - 1)
            s, _, term, trunc, _ = env.step(a)
            actions[k, t], states[k, t + 1], terminated[k, t] = a, s, term
            if term or trunc:
                break
    return states, actions, terminated


def _valid(actions: np.ndarray) -> np.ndarray:
    return np.asarray(actions) >= 0


def trajectory_returns(reward: torch.Tensor, states: np.ndarray,
                       actions: np.ndarray) -> torch.Tensor:
    """R(tau) = sum_t r(s_t, a_t) for (N, H) state and action indices (-1: no action).

    ``reward`` is an (S, A) table (a tensor, so gradients flow to it)."""
    states, actions = np.asarray(states)[:, : np.asarray(actions).shape[1]], np.asarray(actions)
    mask = torch.as_tensor(_valid(actions), dtype=reward.dtype)
    s = torch.as_tensor(np.where(_valid(actions), states, 0))
    a = torch.as_tensor(np.where(_valid(actions), actions, 0))
    return (reward[s, a] * mask).sum(dim=1)


def trajectory_log_prob(policy: np.ndarray, states: np.ndarray, actions: np.ndarray
                        ) -> np.ndarray:
    """sum_t log pi(a_t | s_t) for a stationary (S, A) or time-indexed (H, S, A) policy."""
    states, actions = np.asarray(states)[:, : np.asarray(actions).shape[1]], np.asarray(actions)
    valid = _valid(actions)
    s, a = np.where(valid, states, 0), np.where(valid, actions, 0)
    with np.errstate(divide="ignore"):
        log_pi = np.log(np.asarray(policy, dtype=np.float64))
    if log_pi.ndim == 3:
        t = np.broadcast_to(np.arange(actions.shape[1]), actions.shape)
        per_step = log_pi[t, s, a]
    else:
        per_step = log_pi[s, a]
    return np.where(valid, per_step, 0.0).sum(axis=1)


def gcl_gradient(
    reward: np.ndarray,
    demo_states: np.ndarray,
    demo_actions: np.ndarray,
    sample_states: np.ndarray,
    sample_actions: np.ndarray,
    log_proposal: np.ndarray,
    temperature: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """GCL's estimate of dL/dr for a reward table r(s, a), and the normalized weights.

        dL/dr ~ (1/N) sum_i n(tau_i) / T - sum_j w~_j n(tau_j) / T,
        w~_j = softmax_j(R(tau_j) / T - log q(tau_j)),

    n(tau)(s, a) counting the visits of (s, a): the gradient of :func:`gcl_loss` (by
    autograd, in float64).

    Parameters
    ----------
    reward : (S, A)
    demo_states, demo_actions : (N, H + 1) and (N, H) indices (-1 after an episode ended)
    sample_states, sample_actions : (M, H + 1) and (M, H)
        Trajectories drawn from the proposal q.
    log_proposal : (M,)
        log q(tau_j) up to the dynamics (sum_t log q(a_t | s_t), see
        :func:`trajectory_log_prob` and :func:`softrl.functional.mixture_log_proposal`).
    temperature : float > 0

    Returns
    -------
    (gradient (S, A), normalized weights (M,))
    """
    r = torch.tensor(np.asarray(reward, dtype=np.float64), requires_grad=True)
    demo_R = trajectory_returns(r, demo_states, demo_actions)
    sample_R = trajectory_returns(r, sample_states, sample_actions)
    log_q = torch.as_tensor(np.asarray(log_proposal, dtype=np.float64))
    loss = gcl_loss(demo_R, sample_R, log_q, temperature)
    (grad,) = torch.autograd.grad(loss, r)
    weights = gcl_normalized_weights(gcl_log_weights(sample_R.detach(), log_q, temperature))
    return -grad.numpy(), weights.numpy()


@dataclass(frozen=True)
class TabularAIRL:
    """A fitted tabular AIRL discriminator.

    Attributes
    ----------
    g : (S,)
        The disentangled state reward.
    h : (S,)
        The shaping potential.
    loss : float
        The final discriminator loss.
    gamma : float
    """

    g: np.ndarray
    h: np.ndarray
    loss: float
    gamma: float

    def f(self, states: np.ndarray, next_states: np.ndarray,
          terminated: np.ndarray | None = None) -> np.ndarray:
        """f(s, a, s') = g(s) + gamma (1 - done) h(s') - h(s) for index arrays."""
        done = np.zeros(np.shape(states)) if terminated is None else np.asarray(terminated)
        return self.g[states] + self.gamma * (1.0 - done) * self.h[next_states] - self.h[states]


def fit_tabular_airl(
    n_states: int,
    expert: tuple[np.ndarray, ...],
    policy: tuple[np.ndarray, ...],
    log_pi: np.ndarray,
    gamma: float,
    expert_weights: np.ndarray | None = None,
    policy_weights: np.ndarray | None = None,
    l2: float = 1e-6,
    max_iter: int = 500,
) -> TabularAIRL:
    """Minimise AIRL's discriminator loss over tabular g(s), h(s) by L-BFGS (float64).

    D(s, a, s') = exp(f) / (exp(f) + pi(a|s)), f = g(s) + gamma (1 - done) h(s') - h(s);
    expert transitions labelled 1, the generator's 0.  A small L2 penalty (l2 / 2)(|g|^2 +
    |h|^2) fixes the constant that f cannot see.

    Parameters
    ----------
    n_states : int
    expert, policy : (states, actions, next_states, terminated) index arrays
        Transitions of the demonstrator and of the generator.
    log_pi : (S, A)
        log pi(a|s) of the generator (the D of AIRL needs it at every transition).
    gamma : float
    expert_weights, policy_weights : optional
        Weights of the transitions (e.g. exact occupancies instead of samples).
    """
    def logits(batch: tuple[np.ndarray, ...], g: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        s, a, s2, done = (torch.as_tensor(np.asarray(x)) for x in batch)
        f = shaped_reward(g[s], h[s], h[s2], done.to(torch.float64), gamma)
        return airl_logits(f, torch.as_tensor(log_pi, dtype=torch.float64)[s, a])

    g = torch.zeros(n_states, dtype=torch.float64, requires_grad=True)
    h = torch.zeros(n_states, dtype=torch.float64, requires_grad=True)
    we = None if expert_weights is None else torch.as_tensor(expert_weights, dtype=torch.float64)
    wp = None if policy_weights is None else torch.as_tensor(policy_weights, dtype=torch.float64)
    opt = torch.optim.LBFGS([g, h], max_iter=max_iter, tolerance_grad=1e-10,
                            tolerance_change=1e-14, history_size=50,
                            line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = discriminator_loss(logits(expert, g, h), logits(policy, g, h), we, wp)
        loss = loss + 0.5 * l2 * (g.square().sum() + h.square().sum())
        loss.backward()
        return loss

    opt.step(closure)
    with torch.no_grad():
        final = discriminator_loss(logits(expert, g, h), logits(policy, g, h), we, wp)
    return TabularAIRL(g.detach().numpy().copy(), h.detach().numpy().copy(), float(final),
                       gamma)
