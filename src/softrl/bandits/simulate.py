"""Run a bandit algorithm on R independent runs at once; regret curves and the bounds.

Randomness: run r draws every number from its own generators, made from
``np.random.SeedSequence(seed, spawn_key=(r,))`` (reward noise, uniforms, normals, and a
fallback for variable-length draws). A step consumes a fixed count of numbers from each, so
run r gives the same numbers whether it is run alone (``runs=[r]``) or among any others.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from softrl.bandits.algorithms import Algorithm, BanditState, make_algorithm
from softrl.bandits.environments import Bandit, BanditValidationError, BernoulliBandit
from softrl.bandits.kl import kl_bernoulli, kl_gaussian
from softrl.validation import Interval, check_scalar

__all__ = ["BanditResult", "lai_robbins_constant", "run", "ucb1_regret_bound"]

#: Numbers drawn per block (all runs together); the draws do not depend on it.
_BLOCK_FLOATS = 1 << 21


@dataclass(frozen=True)
class BanditResult:
    """The outcome of :func:`run`.

    Attributes
    ----------
    algorithm : str
        Name of the algorithm (its repr holds the hyperparameters).
    regret : ndarray, shape (R, horizon)
        Cumulative pseudo-regret sum_{s <= t} Delta_{a_s} after each step t = 1..horizon.
    counts : ndarray, shape (R, K)
        Pulls of each arm at the end (int64).
    run_ids : ndarray, shape (R,)
        Which runs of ``seed`` these are.
    seconds : float
        Wall-clock time of the simulation.
    """

    algorithm: str
    regret: np.ndarray
    counts: np.ndarray
    run_ids: np.ndarray
    seconds: float

    @property
    def final(self) -> np.ndarray:
        """Regret at the horizon of each run, shape (R,)."""
        return self.regret[:, -1]

    def mean(self) -> np.ndarray:
        """Mean regret over runs, shape (horizon,)."""
        return self.regret.mean(axis=0)

    def quantile(self, q: float | Sequence[float]) -> np.ndarray:
        """Quantile(s) over runs, shape (horizon,) or (len(q), horizon)."""
        return np.quantile(self.regret, q, axis=0)


def _run_ids(runs: int | Sequence[int]) -> np.ndarray:
    if isinstance(runs, (int, np.integer)) and not isinstance(runs, bool):
        check_scalar(int(runs), "runs", Interval(int, 1, None), "run", BanditValidationError)
        return np.arange(int(runs))
    try:
        ids = np.asarray(list(runs))
    except TypeError:
        raise BanditValidationError(
            f"runs: must be a number of runs (int >= 1) or a list of run indices; got "
            f"{runs!r}.") from None
    if ids.ndim != 1 or ids.size == 0 or ids.dtype.kind not in "iu" or (ids < 0).any():
        raise BanditValidationError(
            f"runs: a list of run indices must hold ints >= 0, at least one; got {runs!r}.")
    return ids.astype(np.int64)


def _generators(seed: int, run_ids: np.ndarray) -> list[list[np.random.Generator]]:
    """For each stream (reward, uniform, normal, fallback) the generators of the runs."""
    per_run = [np.random.SeedSequence(seed, spawn_key=(int(r),)).spawn(4) for r in run_ids]
    return [[np.random.default_rng(seqs[k]) for seqs in per_run] for k in range(4)]


def _block(gens: list[np.random.Generator], draw: str, steps: int, width: int) -> np.ndarray:
    """(R, steps, width) numbers, run r's from gens[r], in its stream's order."""
    out = np.empty((len(gens), steps, width))
    if width:
        for g, rows in zip(gens, out, strict=True):
            if draw == "uniform":
                g.random(out=rows)
            else:
                g.standard_normal(out=rows)
    return out


def run(bandit: Bandit, algorithm: str | Algorithm, horizon: int,
        runs: int | Sequence[int] = 100, seed: int = 0) -> BanditResult:
    """Play ``algorithm`` for ``horizon`` steps on ``bandit`` in R independent runs at once.

    Parameters
    ----------
    bandit : Bandit
        :class:`BernoulliBandit` or :class:`GaussianBandit`, means (K,) or (R, K) (row r is
        run r's instance; with a list of run indices, the rows of those runs).
    algorithm : str or Algorithm
        An instance, or a name of :data:`softrl.bandits.ALGORITHMS` with default parameters.
    horizon : int
        Steps per run, >= 1.
    runs : int or sequence of int
        R, or the indices of the runs to play (``runs=[3]`` replays run 3 alone).
    seed : int
        Seed of all the randomness (rewards and the algorithm's draws), >= 0.

    Returns
    -------
    BanditResult
        Pseudo-regret curves (R, horizon): regret(t) = sum_{s <= t} (mu* - mu_{a_s}), and the
        pull counts (R, K).
    """
    if not isinstance(bandit, Bandit):
        raise BanditValidationError(
            f"bandit: must be a BernoulliBandit or GaussianBandit; got {type(bandit).__name__}.")
    algo = make_algorithm(algorithm) if isinstance(algorithm, str) else algorithm
    if not isinstance(algo, Algorithm):
        raise BanditValidationError(
            f"algorithm: must be a name or an Algorithm instance; got {algorithm!r}.")
    horizon = check_scalar(horizon, "horizon", Interval(int, 1, None), "run",
                           BanditValidationError)
    seed = check_scalar(seed, "seed", Interval(int, 0, None), "run", BanditValidationError)
    run_ids = _run_ids(runs)
    R, K = len(run_ids), bandit.n_arms
    kind = "bernoulli" if isinstance(bandit, BernoulliBandit) else "gaussian"
    algo.check(kind)
    if bandit.means.ndim == 2 and not isinstance(runs, (int, np.integer)):
        if run_ids.max() >= bandit.means.shape[0]:
            raise BanditValidationError(
                f"runs: run {run_ids.max()} has no row in means of shape "
                f"{bandit.means.shape} (one instance per run).")
        means = bandit.means[run_ids]  # run r plays its own instance, alone or not
    else:
        means = bandit.means_for(R)
    gaps = means.max(axis=1, keepdims=True) - means
    reward_gens, uniform_gens, normal_gens, fallback = _generators(seed, run_ids)
    n_u, n_z = algo.draws(K, kind)
    state = BanditState(counts=np.zeros((R, K)), sums=np.zeros((R, K)), kind=kind,
                        sigma=getattr(bandit, "sigma", 0.5), fallback=fallback)
    rows = np.arange(R)
    step_regret = np.empty((R, horizon))
    block = max(1, min(horizon, _BLOCK_FLOATS // (R * (1 + n_u + n_z))))
    start = time.perf_counter()
    for t0 in range(0, horizon, block):
        steps = min(block, horizon - t0)
        noise = _block(reward_gens, bandit.noise, steps, 1)[:, :, 0]
        u_block = _block(uniform_gens, "uniform", steps, n_u)
        z_block = _block(normal_gens, "normal", steps, n_z)
        for i in range(steps):
            t = t0 + i + 1
            if algo.round_robin and t <= K:
                arms = np.full(R, t - 1)
            else:
                arms = algo.select(state, t, u_block[:, i], z_block[:, i])
            rewards = bandit.reward(means, arms, noise[:, i])
            state.counts[rows, arms] += 1.0
            state.sums[rows, arms] += rewards
            step_regret[:, t - 1] = gaps[rows, arms]
    seconds = time.perf_counter() - start
    return BanditResult(algorithm=repr(algo), regret=np.cumsum(step_regret, axis=1),
                        counts=state.counts.astype(np.int64), run_ids=run_ids, seconds=seconds)


def lai_robbins_constant(bandit: Bandit) -> float | np.ndarray:
    """C = sum_{Delta_a > 0} Delta_a / KL(mu_a, mu*) (Lai & Robbins 1985).

    Every consistent algorithm has lim inf E[regret(T)] / ln T >= C; kl-UCB and Thompson
    sampling attain it. KL is the Bernoulli divergence on a BernoulliBandit and
    (mu_a - mu*)^2 / (2 sigma^2) on a GaussianBandit. A float for means (K,), else (R,).
    """
    means = np.atleast_2d(bandit.means)
    best = means.max(axis=1, keepdims=True)
    gaps = best - means
    if isinstance(bandit, BernoulliBandit):
        kl = kl_bernoulli(means, np.broadcast_to(best, means.shape))
    else:
        kl = kl_gaussian(means, best, bandit.sigma)
    sub = gaps > 0
    terms = np.where(sub, gaps / np.where(sub, kl, 1.0), 0.0)
    c = terms.sum(axis=1)
    return float(c[0]) if bandit.means.ndim == 1 else c


def ucb1_regret_bound(bandit: Bandit, n: np.ndarray | float) -> np.ndarray:
    """Auer et al. (2002), Theorem 1: UCB1's expected regret after n plays is at most

        sum_{Delta_a > 0} 8 ln n / Delta_a + (1 + pi^2 / 3) Delta_a.

    ``n`` scalar or array (e.g. 1..horizon); for means (K,), the bound of the same shape.
    """
    if bandit.means.ndim != 1:
        raise BanditValidationError("means: the bound is for one instance: means of shape (K,).")
    gaps = bandit.means.max() - bandit.means
    gaps = gaps[gaps > 0]
    log_n = np.log(np.maximum(np.asarray(n, dtype=np.float64), 1.0))
    return 8.0 * log_n * np.sum(1.0 / gaps) + (1.0 + math.pi**2 / 3.0) * gaps.sum()
