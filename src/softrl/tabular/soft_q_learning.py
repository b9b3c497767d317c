"""Sample-based soft Q-learning on a finite MDP (seed 002), checked against the exact engine.

Infinite horizon (discount gamma < 1):

    Q(s, a) <- Q(s, a) + lr_n(s, a) * [r(s, a) + gamma * V(s') - Q(s, a)],
    V(s') = T log sum_a' exp(Q(s', a') / T)   (0 at terminal states),

finite horizon H (a time-indexed table, V_H = 0):

    Q_t(s, a) <- Q_t(s, a) + lr_n(t, s, a) * [r(s, a) + gamma * V_{t+1}(s') - Q_t(s, a)],

with s' ~ p(.|s, a) drawn from the MDP. ``synchronous=True`` updates every (s, a) (every
(t, s, a)) once per iteration from one fresh sample each (Q-learning with a generative model);
otherwise the agent follows a behaviour policy along episodes: the Boltzmann policy
pi(a|s) ∝ exp(Q(s, a) / T) of the current Q, the uniform policy, or any fixed policy (soft
Q-learning is off-policy). Either way the fixed point is the soft-optimal Q of
:func:`softrl.inference.soft_backward`; as T -> 0 it is hard value iteration's Q.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

import numpy as np

from softrl.mdp import FiniteMDP, MDPValidationError
from softrl.mdp.sampling import _row_cumsum, check_random_state
from softrl.mdp.validation import check_policy
from softrl.validation import Interval, check_scalar

__all__ = ["SoftQLearningResult", "learning_rate_schedule", "sample_next_states",
           "soft_q_learning"]

Schedule = Literal["rescaled_linear", "polynomial", "constant"]
_SCHEDULES = ("rescaled_linear", "polynomial", "constant")


class SoftQLearningResult(NamedTuple):
    """What :func:`soft_q_learning` returns."""

    Q: np.ndarray
    """The learned soft Q: (S, A), or (H, S, A) for a finite horizon."""
    errors: np.ndarray
    """||Q - Q_ref||_inf over non-terminal states after each recorded iteration (empty without
    ``Q_ref``)."""
    samples: int
    """Transitions used."""


def learning_rate_schedule(n: np.ndarray, schedule: Schedule, gamma: float, lr: float = 0.5,
                           power: float = 0.8, horizon: int | None = None) -> np.ndarray:
    """lr_n for visit counts ``n`` >= 1, same shape as ``n``.

    "rescaled_linear": 1 / (1 + n / H_eff) with the effective horizon H_eff = 1 / (1 - gamma),
    capped at ``horizon`` when one is given (Wainwright 2019: the rate whose error falls like
    1 / sqrt(n)); "polynomial": 1 / n^power (power in (1/2, 1]); "constant": ``lr``.
    """
    n = np.asarray(n, dtype=np.float64)
    if schedule == "rescaled_linear":
        h_eff = np.inf if gamma >= 1.0 else 1.0 / (1.0 - gamma)
        if horizon is not None:
            h_eff = min(h_eff, float(horizon))
        return 1.0 / (1.0 + n / h_eff)
    if schedule == "polynomial":
        return 1.0 / n**power
    return np.full(n.shape, float(lr))


class _NextStates:
    """Draws s' ~ p(.|s, a) for arrays of rows s * A + a of the CSR transition matrix."""

    def __init__(self, mdp: FiniteMDP, rng: np.random.Generator) -> None:
        self.P, self.rng = mdp.transitions, rng
        self.key = _row_cumsum(self.P)

    def __call__(self, row: np.ndarray) -> np.ndarray:
        P, key = self.P, self.key
        mass = key[P.indptr[row + 1] - 1] - row
        k = np.searchsorted(key, row + self.rng.random(row.size) * mass, side="right")
        return P.indices[np.clip(k, P.indptr[row], P.indptr[row + 1] - 1)].astype(np.int64)


def sample_next_states(mdp: FiniteMDP, states: np.ndarray, actions: np.ndarray,
                       seed: int | np.random.Generator | None = None) -> np.ndarray:
    """One s' ~ p(.|s, a) per pair: a generative model of the MDP.

    Parameters
    ----------
    mdp : FiniteMDP
    states, actions : int arrays, shape (B,)
    seed : int, np.random.Generator or None
        Pass the same Generator across calls for a reproducible stream.

    Returns
    -------
    np.ndarray, shape (B,) int64
    """
    s, a = np.asarray(states), np.asarray(actions)
    S, A = mdp.shape
    if s.shape != a.shape or s.ndim != 1 or not (np.issubdtype(s.dtype, np.integer)
                                                  and np.issubdtype(a.dtype, np.integer)):
        raise MDPValidationError(f"states, actions: expected two int arrays of shape (B,), got "
                                 f"{s.dtype}{s.shape} and {a.dtype}{a.shape}.")
    if s.size and (s.min() < 0 or s.max() >= S or a.min() < 0 or a.max() >= A):
        raise MDPValidationError(f"states, actions: must lie in [0, {S}) and [0, {A}).")
    return _NextStates(mdp, check_random_state(seed))(s.astype(np.int64) * A + a)


def _soft_max(q: np.ndarray, T: float) -> np.ndarray:
    """T log sum_a exp(q / T) over the last axis, stable for any T > 0 and large |q|."""
    m = q.max(axis=-1)
    return m + T * np.log(np.exp((q - m[..., None]) / T).sum(axis=-1))


def soft_q_learning(
    mdp: FiniteMDP,
    temperature: float,
    n_iterations: int,
    seed: int | np.random.Generator | None = 0,
    synchronous: bool = True,
    behaviour: str | np.ndarray = "boltzmann",
    schedule: Schedule = "rescaled_linear",
    lr: float = 0.5,
    power: float = 0.8,
    Q_ref: np.ndarray | None = None,
    record_every: int = 100,
) -> SoftQLearningResult:
    """Learn the soft Q of a finite MDP from sampled transitions (module docstring).

    Parameters
    ----------
    mdp : FiniteMDP
        Infinite horizon (``horizon=None``) with gamma < 1 (or terminal states that every
        policy reaches), or a finite horizon H (then Q is a table per time step).
    temperature : float
        T > 0. Small T (1e-2, 1e-6) is stable and approaches hard value iteration.
    n_iterations : int
        Synchronous: sweeps over all (t, s, a). Otherwise: environment steps.
    seed : int, np.random.Generator or None
        Source of all sampling (transitions and actions); the same seed gives the same Q.
    synchronous : bool
        Generative model (every non-terminal pair each sweep) or episodes under ``behaviour``
        (starting from p(s_0), restarting at terminal states and, for a finite horizon,
        after H steps).
    behaviour : "boltzmann", "uniform" or array (S, A) / (H, S, A)
        Episode mode only: the Boltzmann policy of the current Q, the uniform policy, or a
        fixed behaviour policy (off-policy; it must give every action positive probability
        for the learned Q to reach the soft optimum everywhere).
    schedule, lr, power : see :func:`learning_rate_schedule`
        lr_n depends on the visit count n of the updated entry; ``lr`` in (0, 1] is the
        constant rate.
    Q_ref : array, shape like Q, optional
        When given, ||Q - Q_ref||_inf (non-terminal states) is recorded every
        ``record_every`` iterations, e.g. ``soft_backward(mdp, temperature).Q``.
    record_every : int

    Returns
    -------
    SoftQLearningResult
    """
    owner, err = "soft_q_learning", MDPValidationError
    T = check_scalar(temperature, "temperature", Interval(float, 0, None, closed="neither"),
                     owner, err)
    n_iterations = check_scalar(n_iterations, "n_iterations", Interval(int, 1, None), owner,
                                err)
    record_every = check_scalar(record_every, "record_every", Interval(int, 1, None), owner,
                                err)
    lr = check_scalar(lr, "lr", Interval(float, 0, 1, closed="right"), owner, err)
    power = check_scalar(power, "power", Interval(float, 0.5, 1, closed="right"), owner, err)
    if schedule not in _SCHEDULES:
        raise err(f"The 'schedule' parameter of soft_q_learning must be 'rescaled_linear', "
                  f"'polynomial' or 'constant'. Got {schedule!r} instead.")
    H, (S, A), gamma = mdp.horizon, mdp.shape, mdp.gamma
    live = ~mdp.terminal
    if H is None and gamma >= 1.0 and not mdp.terminal.any():
        raise err("gamma: soft_q_learning on an infinite horizon needs gamma < 1 or terminal "
                  "states (mdp.replace(gamma=0.9), or a finite horizon).")
    shape = (S, A) if H is None else (H, S, A)
    if Q_ref is not None:
        Q_ref = np.asarray(Q_ref, dtype=np.float64)
        if Q_ref.shape != shape:
            raise err(f"Q_ref: expected shape {shape} (like soft_backward(mdp, T).Q), got "
                      f"{Q_ref.shape}.")
    fixed_policy = None
    if isinstance(behaviour, str):
        if behaviour not in ("boltzmann", "uniform"):
            raise err(f"The 'behaviour' parameter of soft_q_learning must be 'boltzmann', "
                      f"'uniform' or a policy array. Got {behaviour!r} instead.")
        if behaviour == "uniform":
            fixed_policy = np.full((S, A), 1.0 / A)
    else:
        try:
            fixed_policy = check_policy(behaviour, S, A, H)
        except MDPValidationError as e:
            raise err(f"behaviour: {e}") from None
    if not synchronous and not (mdp.initial[live] > 0).any():
        raise err("initial: every start state is terminal, so no episode can be sampled.")
    rng = check_random_state(seed)
    draw = _NextStates(mdp, rng)
    r = mdp.reward
    Q = np.zeros(shape)
    counts = np.zeros(shape)
    errors: list[float] = []

    def values(q: np.ndarray) -> np.ndarray:
        """V(s) (S,) or V_{t+1}(s) (H, S) with V_H = 0, zero at terminal states."""
        v = np.where(live, _soft_max(q, T), 0.0)
        return v if H is None else np.concatenate([v[1:], np.zeros((1, S))])

    def rate(n: np.ndarray) -> np.ndarray:
        return learning_rate_schedule(n, schedule, gamma, lr, power, H)

    def record(it: int) -> None:
        if Q_ref is not None and (it + 1) % record_every == 0:
            errors.append(float(np.abs(Q - Q_ref)[..., live, :].max()))

    samples = 0
    if synchronous:
        pairs = np.flatnonzero(np.repeat(live, A))
        s_idx, a_idx = pairs // A, pairs % A
        if H is not None:  # every (t, s, a), flattened
            t_idx = np.repeat(np.arange(H), pairs.size)
            s_idx, a_idx, pairs = np.tile(s_idx, H), np.tile(a_idx, H), np.tile(pairs, H)
            index = (t_idx, s_idx, a_idx)
        else:
            t_idx, index = None, (s_idx, a_idx)
        for it in range(n_iterations):
            s_next = draw(pairs)
            V_next = values(Q)
            v = V_next[s_next] if H is None else V_next[t_idx, s_next]
            counts[index] += 1
            Q[index] += rate(counts[index]) * (r[s_idx, a_idx] + gamma * v - Q[index])
            samples += pairs.size
            record(it)
        return SoftQLearningResult(Q, np.asarray(errors), samples)

    def start() -> int:
        return int(rng.choice(S, p=mdp.initial))

    s, t = start(), 0
    for it in range(n_iterations):
        while not live[s] or (H is not None and t >= H):
            s, t = start(), 0
        q_s = Q[s] if H is None else Q[t, s]
        if fixed_policy is None:
            p = np.exp((q_s - q_s.max()) / T)
        else:
            p = fixed_policy[s] if fixed_policy.ndim == 2 else fixed_policy[t, s]
        a = int(rng.choice(A, p=p / p.sum()))
        s_next = int(draw(np.array([s * A + a]))[0])
        if not live[s_next] or (H is not None and t + 1 >= H):
            v_next = 0.0
        else:
            v_next = float(_soft_max(Q[s_next] if H is None else Q[t + 1, s_next], T))
        index = (s, a) if H is None else (t, s, a)
        counts[index] += 1
        Q[index] += float(rate(counts[index])) * (r[s, a] + gamma * v_next - Q[index])
        s, t = s_next, t + 1
        samples += 1
        record(it)
    return SoftQLearningResult(Q, np.asarray(errors), samples)
