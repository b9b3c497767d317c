"""Pure functions of learning from demonstrations: the DQfD margin loss, n-step returns of
demonstrated episodes, and the annealed weight of the hybrid objective."""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from softrl.demos import Demonstrations

__all__ = ["annealed_weight", "demo_n_step", "large_margin_loss", "soft_n_step_target"]


def large_margin_loss(q: Tensor, expert_actions: Tensor, margin: float) -> Tensor:
    """DQfD's supervised loss J_E(Q) = max_a [Q(s,a) + l(a_E, a)] - Q(s, a_E), per row.

    l(a_E, a) = ``margin`` for a != a_E and 0 for a = a_E (Hester et al. 2018,
    https://arxiv.org/abs/1704.03732, eq. 2): zero once the expert's action beats every other
    by at least the margin, which pushes the greedy (and the low-temperature Boltzmann)
    policy toward the demonstrated action.

    Parameters
    ----------
    q : Tensor (B, A)
        Q(s, .) for demonstrated states.
    expert_actions : int64 Tensor (B,)
        a_E.
    margin : float >= 0

    Returns
    -------
    Tensor (B,), >= 0
    """
    if q.ndim != 2 or expert_actions.shape != q.shape[:1]:
        raise ValueError(f"q must be (B, A) and expert_actions (B,); got {tuple(q.shape)} and "
                         f"{tuple(expert_actions.shape)}")
    idx = expert_actions.long().unsqueeze(-1)
    bonus = torch.full_like(q, float(margin)).scatter_(-1, idx, 0.0)
    return (q + bonus).max(-1).values - q.gather(-1, idx).squeeze(-1)


def demo_n_step(demos: Demonstrations, n: int, gamma: float
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n-step returns of every demonstrated transition, within its episode.

    For transition t of an episode ending at transition L (inclusive), with m = min(n, L-t+1):
    R_t = sum_{k<m} gamma^k r_{t+k}, s_t^(n) = s'_{t+m-1}, and the bootstrap discount
    gamma^m, or 0 when s'_{t+m-1} is terminal. A truncated end bootstraps (it is not terminal).

    Returns
    -------
    returns float64 (N,), next_index int64 (N,) (the transition whose ``next_obs`` is
    s_t^(n)), discount float64 (N,)
    """
    if demos.rewards is None:
        raise ValueError("n-step returns need rewards; these demonstrations have none")
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be an integer >= 1; got {n!r}")
    N = len(demos)
    ends = np.repeat(np.append(demos.episode_starts[1:], N) - 1, demos.episode_lengths())
    t = np.arange(N)
    last = np.minimum(t + n - 1, ends)
    m = last - t + 1
    returns = np.zeros(N)
    for k in range(n):
        ok = k < m
        returns[ok] += gamma ** k * demos.rewards[t[ok] + k]
    discount = gamma ** m.astype(np.float64) * (~demos.terminated[last])
    return returns, last.astype(np.int64), discount


def soft_n_step_target(returns: Tensor, discount: Tensor, next_q: Tensor,
                       temperature: Tensor | float) -> Tensor:
    """y = R^(n) + discount * T log sum_a exp(Qbar(s^(n), a) / T).

    The intermediate steps' entropy bonuses -T log pi(a_{t+k}|s_{t+k}) are left out (the
    demonstrator's actions are not the policy's), as DQfD's n-step return leaves out
    off-policy corrections; the target is exact for n = 1 and for T -> 0 along the greedy
    path.
    """
    return returns + discount * temperature * torch.logsumexp(next_q / temperature, dim=-1)


def annealed_weight(step: int, initial: float, final: float | None, steps: int) -> float:
    """lambda at an env step: ``initial`` moving linearly to ``final`` over ``steps`` steps,
    then ``final`` (constant ``initial`` when ``final`` is None or ``steps`` is 0)."""
    if final is None or steps <= 0:
        return float(initial)
    frac = min(1.0, max(0.0, step / steps))
    return float(initial + frac * (final - initial))
