"""Sample-based soft Q-learning on a finite MDP (seed 002), checked against the exact engine.

Q(s, a) <- Q(s, a) + lr_n(s, a) * [r(s, a) + gamma * V(s') - Q(s, a)],
V(s') = T log sum_a' exp(Q(s', a') / T)   (0 at terminal states),

with s' ~ p(.|s, a) drawn from the MDP. ``synchronous=True`` updates every (s, a) once per
iteration from one fresh sample each (Q-learning with a generative model); otherwise the agent
follows its Boltzmann policy (or a uniform one) along trajectories. Either way the fixed point
is the soft-optimal Q of :func:`softrl.inference.soft_backward`.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

import numpy as np

from softrl.mdp import FiniteMDP, MDPValidationError
from softrl.validation import Interval, check_scalar

__all__ = ["SoftQLearningResult", "learning_rate_schedule", "soft_q_learning"]

Schedule = Literal["rescaled_linear", "polynomial", "constant"]


class SoftQLearningResult(NamedTuple):
    """What :func:`soft_q_learning` returns."""

    Q: np.ndarray
    """The learned soft Q, (S, A)."""
    errors: np.ndarray
    """||Q - Q_ref||_inf after each recorded iteration (empty without ``Q_ref``)."""
    samples: int
    """Transitions used."""


def learning_rate_schedule(n: np.ndarray, schedule: Schedule, gamma: float,
                           lr: float = 0.5, power: float = 0.8) -> np.ndarray:
    """lr_n for visit counts ``n`` >= 1.

    "rescaled_linear": 1 / (1 + (1 - gamma) n) (Wainwright 2019, the rate whose error falls
    like 1/sqrt(n)); "polynomial": 1 / n^power; "constant": ``lr``.
    """
    if schedule == "rescaled_linear":
        return 1.0 / (1.0 + (1.0 - gamma) * n)
    if schedule == "polynomial":
        return 1.0 / n**power
    return np.full(np.shape(n), lr)


def soft_q_learning(
    mdp: FiniteMDP,
    temperature: float,
    n_iterations: int,
    seed: int | None = 0,
    synchronous: bool = True,
    schedule: Schedule = "rescaled_linear",
    lr: float = 0.5,
    Q_ref: np.ndarray | None = None,
    record_every: int = 100,
) -> SoftQLearningResult:
    """Learn the soft Q of an infinite-horizon discounted MDP from sampled transitions.

    Parameters
    ----------
    mdp : FiniteMDP
        Infinite horizon (``horizon=None``), gamma < 1.
    temperature : float
        T > 0.
    n_iterations : int
        Synchronous: sweeps over all (s, a). Otherwise: environment steps.
    seed : int or None
        Seed of the sampling.
    synchronous : bool
        Generative model (every pair each sweep) or trajectories under the Boltzmann policy of
        the current Q (restarting from p(s_0) at terminal states).
    schedule, lr : see :func:`learning_rate_schedule`
    Q_ref : array (S, A), optional
        When given, ||Q - Q_ref||_inf is recorded every ``record_every`` iterations.

    Returns
    -------
    SoftQLearningResult
    """
    if mdp.horizon is not None or mdp.gamma >= 1.0:
        raise MDPValidationError("soft_q_learning needs an infinite-horizon MDP with gamma < 1 "
                                 "(mdp.replace(horizon=None, gamma=0.9)).")
    T = check_scalar(temperature, "temperature", Interval(float, 0, None, closed="neither"),
                     "soft_q_learning", MDPValidationError)
    n_iterations = check_scalar(n_iterations, "n_iterations", Interval(int, 1, None),
                                "soft_q_learning", MDPValidationError)
    if schedule not in ("rescaled_linear", "polynomial", "constant"):
        raise MDPValidationError(f"The 'schedule' parameter of soft_q_learning must be "
                                 f"'rescaled_linear', 'polynomial' or 'constant'. Got "
                                 f"{schedule!r} instead.")
    rng = np.random.default_rng(seed)
    S, A = mdp.shape
    P = mdp.transitions  # CSR (S*A, S)
    cdf = [np.cumsum(P.data[P.indptr[j]:P.indptr[j + 1]]) for j in range(S * A)]
    succ = [P.indices[P.indptr[j]:P.indptr[j + 1]] for j in range(S * A)]
    r, gamma, live = mdp.reward, mdp.gamma, ~mdp.terminal
    Q = np.zeros((S, A))
    counts = np.zeros((S, A))
    errors: list[float] = []

    def soft_v(q: np.ndarray) -> np.ndarray:
        m = q.max(axis=-1)
        v = m + T * np.log(np.exp((q - m[..., None]) / T).sum(axis=-1))
        return np.where(live, v, 0.0) if q.ndim == 2 else v

    def sample_next(j: np.ndarray) -> np.ndarray:
        u = rng.random(len(j))
        return np.array([succ[k][min(np.searchsorted(cdf[k], x * cdf[k][-1], side="right"),
                                     len(succ[k]) - 1)] for k, x in zip(j, u, strict=True)])

    samples = 0
    if synchronous:
        pairs = np.flatnonzero(np.repeat(live, A))
        s_idx, a_idx = pairs // A, pairs % A
        for it in range(n_iterations):
            s_next = sample_next(pairs)
            V = soft_v(Q)
            counts[s_idx, a_idx] += 1
            step = learning_rate_schedule(counts[s_idx, a_idx], schedule, gamma, lr)
            target = r[s_idx, a_idx] + gamma * V[s_next]
            Q[s_idx, a_idx] += step * (target - Q[s_idx, a_idx])
            samples += len(pairs)
            if Q_ref is not None and (it + 1) % record_every == 0:
                errors.append(float(np.abs(Q - Q_ref)[live].max()))
    else:
        s = int(rng.choice(S, p=mdp.initial))
        for it in range(n_iterations):
            if not live[s]:
                s = int(rng.choice(S, p=mdp.initial))
            logits = Q[s] / T
            p = np.exp(logits - logits.max())
            a = int(rng.choice(A, p=p / p.sum()))
            s_next = int(sample_next(np.array([s * A + a]))[0])
            counts[s, a] += 1
            step = float(learning_rate_schedule(np.array(counts[s, a]), schedule, gamma, lr))
            v_next = soft_v(Q[s_next]) if live[s_next] else 0.0
            Q[s, a] += step * (r[s, a] + gamma * v_next - Q[s, a])
            s = s_next
            samples += 1
            if Q_ref is not None and (it + 1) % record_every == 0:
                errors.append(float(np.abs(Q - Q_ref)[live].max()))
    return SoftQLearningResult(Q, np.asarray(errors), samples)
