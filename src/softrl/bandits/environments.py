"""Stochastic multi-armed bandits, vectorized over R independent runs.

A bandit has K arms with means ``means`` of shape (K,) (one instance shared by every run) or
(R, K) (one instance per run). Pulling arm a_r in each run r returns one reward per run, a
vector of shape (R,). The randomness is explicit: :meth:`Bandit.reward` maps the chosen arms
and one standard noise draw per run (a uniform for Bernoulli, a standard normal for Gaussian)
to the rewards, and :meth:`Bandit.pull` draws that noise from a ``np.random.Generator``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np

from softrl.validation import Interval, as_float_array, check_scalar

__all__ = ["Bandit", "BanditValidationError", "BernoulliBandit", "GaussianBandit"]


class BanditValidationError(ValueError):
    """A bad argument to a bandit, an algorithm or :func:`softrl.bandits.run`."""


class Bandit(ABC):
    """Common part of the bandits: arm means, gaps, the optimal arm.

    Parameters
    ----------
    means : array_like, shape (K,) or (R, K)
        Expected reward of each arm (per run when 2-D).
    """

    #: Which standard draw :meth:`reward` turns into a reward: "uniform" or "normal".
    noise: str = "uniform"

    def __init__(self, means: Sequence[float] | np.ndarray) -> None:
        arr = as_float_array(means, "means", BanditValidationError)
        if arr.ndim not in (1, 2) or arr.shape[-1] < 2:
            raise BanditValidationError(
                f"means: must have shape (K,) or (R, K) with K >= 2 arms; got shape {arr.shape}.")
        self.means = arr
        self.means.setflags(write=False)

    @property
    def n_arms(self) -> int:
        """K, the number of arms."""
        return int(self.means.shape[-1])

    def means_for(self, runs: int) -> np.ndarray:
        """The arm means of each run, shape (R, K) (a broadcast view for a shared instance)."""
        if self.means.ndim == 2:
            if self.means.shape[0] != runs:
                raise BanditValidationError(
                    f"means: has {self.means.shape[0]} rows (one instance per run) but "
                    f"{runs} runs were asked for; pass means of shape (K,) or ({runs}, K).")
            return self.means
        return np.broadcast_to(self.means, (runs, self.n_arms))

    def gaps(self, runs: int) -> np.ndarray:
        """Gap Delta_a = mu* - mu_a of each arm in each run, shape (R, K)."""
        means = self.means_for(runs)
        return means.max(axis=1, keepdims=True) - means

    @abstractmethod
    def reward(self, means: np.ndarray, arms: np.ndarray, noise: np.ndarray) -> np.ndarray:
        """Rewards (R,) of ``arms`` (R,) given the run means (R, K) and one draw per run (R,)."""

    def pull(self, arms: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Pull ``arms`` (R,), one arm per run, drawing the noise from ``rng``; rewards (R,)."""
        arms = np.asarray(arms)
        means = self.means_for(arms.shape[0])
        draw = rng.random if self.noise == "uniform" else rng.standard_normal
        return self.reward(means, arms, draw(arms.shape[0]))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(means={self.means.tolist()})"


class BernoulliBandit(Bandit):
    """Arm a pays 1 with probability mu_a and 0 otherwise: r = 1[u < mu_a], u ~ U[0, 1).

    Parameters
    ----------
    means : array_like, shape (K,) or (R, K)
        Success probability of each arm, each in [0, 1].

    Examples
    --------
    >>> bandit = BernoulliBandit([0.1, 0.5, 0.9])
    >>> bandit.pull(np.array([2, 2, 0]), np.random.default_rng(0)).shape
    (3,)
    """

    noise = "uniform"

    def __init__(self, means: Sequence[float] | np.ndarray) -> None:
        super().__init__(means)
        bad = (self.means < 0) | (self.means > 1)
        if bad.any():
            idx = tuple(int(i) for i in np.argwhere(bad)[0])
            raise BanditValidationError(
                f"means: a Bernoulli arm's mean is a probability in [0, 1]; entry {idx} is "
                f"{self.means[idx]}. Use GaussianBandit for other rewards.")

    def reward(self, means: np.ndarray, arms: np.ndarray, noise: np.ndarray) -> np.ndarray:
        """r_r = 1[u_r < mu_{r, a_r}], shape (R,) (float64 zeros and ones)."""
        chosen = np.take_along_axis(means, arms[:, None], axis=1)[:, 0]
        return (noise < chosen).astype(np.float64)


class GaussianBandit(Bandit):
    """Arm a pays r = mu_a + sigma z, z ~ N(0, 1).

    Parameters
    ----------
    means : array_like, shape (K,) or (R, K)
        Mean reward of each arm.
    sigma : float
        Noise standard deviation (known to the algorithms), > 0.
    """

    noise = "normal"

    def __init__(self, means: Sequence[float] | np.ndarray, sigma: float = 1.0) -> None:
        super().__init__(means)
        self.sigma = check_scalar(sigma, "sigma", Interval(float, 0, None, closed="neither"),
                                  "GaussianBandit", BanditValidationError)

    def reward(self, means: np.ndarray, arms: np.ndarray, noise: np.ndarray) -> np.ndarray:
        """r_r = mu_{r, a_r} + sigma z_r, shape (R,)."""
        chosen = np.take_along_axis(means, arms[:, None], axis=1)[:, 0]
        return chosen + self.sigma * noise

    def __repr__(self) -> str:
        return f"GaussianBandit(means={self.means.tolist()}, sigma={self.sigma})"
