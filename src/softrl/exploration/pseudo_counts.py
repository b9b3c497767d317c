"""Pseudo-counts from a density model (Bellemare et al. 2016, https://arxiv.org/abs/1606.01868).

Seed 004: a density model p_theta over states, evaluated at s before (p) and after (p', the
*recoding probability*) one update on s, is read as an empirical distribution,

    p = N_hat(s) / n_hat,    p' = (N_hat(s) + 1) / (n_hat + 1),

and solving the two equations gives the pseudo-count

    N_hat(s) = p (1 - p') / (p' - p) = (1 - p') / (exp(log p' - log p) - 1),

the right-hand form being the one computed (log space, ``expm1``). For the empirical model
(p = N(s)/n) it is the true count N(s). The bonus is beta / sqrt(N_hat(s) + 0.01), as in the
paper. Two density models: :class:`EmpiricalDensity` (exact counts; the check of the formula)
and :class:`BinnedDensity`, a factorized histogram with the Krichevsky-Trofimov estimator
p_i(b) = (N_i(b) + 1/2) / (n + K/2) per coordinate, p(s) = prod_i p_i(bin_i(s)), learned
online (the factorized-over-features idea of the paper's CTS model, for low-dimensional
continuous states).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import torch
from torch import Tensor

from softrl.exploration.base import Bonus

__all__ = ["BinnedDensity", "EmpiricalDensity", "PseudoCountBonus", "pseudo_count"]


def pseudo_count(log_p: np.ndarray | float, log_p_next: np.ndarray | float) -> np.ndarray:
    """N_hat = p (1 - p') / (p' - p) from log p and the recoding log p'.

    Parameters
    ----------
    log_p, log_p_next : array or float
        log p_theta(s) before and log p_theta'(s) after one update of the model on s.

    Returns
    -------
    ndarray
        N_hat >= 0; 0 where p = 0, inf where the model did not learn (p' <= p, e.g. p = 1).

    Examples
    --------
    >>> round(float(pseudo_count(np.log(3 / 10), np.log(4 / 11))), 9)  # empirical: N = 3, n = 10
    3.0
    """
    log_p = np.asarray(log_p, dtype=np.float64)
    log_p_next = np.asarray(log_p_next, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        gain = log_p_next - log_p  # the prediction gain
        n_hat = -np.expm1(log_p_next) / np.expm1(gain)
    n_hat = np.where(gain > 0, n_hat, np.inf)
    return np.where(np.isneginf(log_p), 0.0, n_hat)


class EmpiricalDensity:
    """p(s) = N(s) / n over exactly compared states (0 before anything is seen)."""

    name: ClassVar[str] = "empirical"

    def __init__(self) -> None:
        self.counts: dict[bytes, int] = {}
        self.n = 0

    def log_probs(self, x: np.ndarray) -> tuple[float, float]:
        """(log p(x), log p'(x)): before and after observing x once (x not counted)."""
        k = self.counts.get(np.ascontiguousarray(x).tobytes(), 0)
        log_p = math.log(k / self.n) if k > 0 else -math.inf
        return log_p, math.log((k + 1) / (self.n + 1))

    def observe(self, x: np.ndarray) -> None:
        """Count x."""
        key = np.ascontiguousarray(x).tobytes()
        self.counts[key] = self.counts.get(key, 0) + 1
        self.n += 1

    def state(self) -> dict[str, Tensor]:
        keys = list(self.counts)
        width = len(keys[0]) if keys else 0
        raw = np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(len(keys), width)
        return {"keys": torch.from_numpy(raw.copy()),
                "counts": torch.tensor([self.counts[k] for k in keys], dtype=torch.int64)}

    def load(self, state: dict[str, Tensor]) -> None:
        self.counts = {bytes(r): int(c) for r, c in zip(state["keys"].numpy(), state["counts"],
                                                      strict=True)}
        self.n = sum(self.counts.values())


class BinnedDensity:
    """Factorized Krichevsky-Trofimov histogram: p(s) = prod_i (N_i(b_i) + 1/2) / (n + K/2).

    Parameters
    ----------
    low, high : sequence of float
        Per-coordinate range split into ``n_bins`` equal bins (values outside fall in the end
        bins).
    n_bins : int
        K.
    """

    name: ClassVar[str] = "binned"

    def __init__(self, low: Sequence[float], high: Sequence[float], n_bins: int) -> None:
        self.low = np.asarray(low, dtype=np.float64).reshape(-1)
        self.high = np.asarray(high, dtype=np.float64).reshape(-1)
        if self.low.shape != self.high.shape or not np.all(self.high > self.low):
            raise ValueError(f"The 'low' and 'high' parameters of BinnedDensity must be "
                             f"sequences of one length with high > low. Got {low!r} and "
                             f"{high!r} instead.")
        if isinstance(n_bins, bool) or not isinstance(n_bins, int) or n_bins < 1:
            raise ValueError(f"The 'n_bins' parameter of BinnedDensity must be an integer "
                             f">= 1. Got {n_bins!r} instead.")
        self.n_bins = n_bins
        self.counts = np.zeros((self.low.size, n_bins))
        self.n = 0

    def bins(self, x: np.ndarray) -> np.ndarray:
        """The bin index of each coordinate of one state x, shape (D,)."""
        x = np.asarray(x, dtype=np.float64).reshape(-1)
        if x.shape != self.low.shape:
            raise ValueError(f"BinnedDensity was given low/high for {self.low.size} "
                             f"coordinates; the states have {x.size}")
        b = np.floor((x - self.low) / (self.high - self.low) * self.n_bins)
        return np.clip(b, 0, self.n_bins - 1).astype(np.int64)

    def log_probs(self, x: np.ndarray) -> tuple[float, float]:
        """(log p(x), log p'(x)): before and after observing x once (x not counted)."""
        k = self.counts[np.arange(self.low.size), self.bins(x)]
        denom = self.n + self.n_bins / 2
        log_p = float(np.sum(np.log(k + 0.5)) - k.size * math.log(denom))
        log_p_next = float(np.sum(np.log(k + 1.5)) - k.size * math.log(denom + 1))
        return log_p, log_p_next

    def observe(self, x: np.ndarray) -> None:
        """Add x to every coordinate's histogram."""
        self.counts[np.arange(self.low.size), self.bins(x)] += 1
        self.n += 1

    def state(self) -> dict[str, Tensor]:
        return {"counts": torch.from_numpy(self.counts.copy())}

    def load(self, state: dict[str, Tensor]) -> None:
        self.counts = state["counts"].numpy().astype(np.float64).copy()
        self.n = int(round(self.counts[0].sum())) if self.counts.size else 0


class PseudoCountBonus(Bonus):
    """B = beta / sqrt(N_hat(s') + 0.01), N_hat the pseudo-count of a density model of states.

    Each reached state s' is scored with p and its recoding probability p', then the model
    learns it (so the model is trained by ``reward``, on every visited state once).

    Parameters
    ----------
    scale : float
        beta.
    density : {"empirical", "binned"}
        The model: exact empirical frequencies, or :class:`BinnedDensity` (needs ``low`` and
        ``high``).
    low, high : sequence of float, optional
        Ranges of the state coordinates for ``"binned"``.
    n_bins : int
        Bins per coordinate for ``"binned"``.

    Examples
    --------
    >>> import torch
    >>> bonus = PseudoCountBonus(scale=1.0, density="empirical")
    >>> s = torch.eye(2)[[0, 1, 0, 0]]
    >>> _ = bonus.reward(s, None, s)
    >>> [round(float(c), 9) for c in bonus.last_counts]  # N_hat of each before its update
    [0.0, 0.0, 1.0, 2.0]
    """

    kind: ClassVar[str] = "pseudo_counts"

    def __init__(self, scale: float = 1.0, density: str = "empirical",
                 low: Sequence[float] | None = None, high: Sequence[float] | None = None,
                 n_bins: int = 16) -> None:
        super().__init__(scale, density=density,
                         low=None if low is None else [float(v) for v in np.ravel(low)],
                         high=None if high is None else [float(v) for v in np.ravel(high)],
                         n_bins=n_bins)
        self.model: EmpiricalDensity | BinnedDensity
        if density == "empirical":
            self.model = EmpiricalDensity()
        elif density == "binned":
            if low is None or high is None:
                raise ValueError("The 'low' and 'high' parameters of PseudoCountBonus are "
                                 "required with density='binned': the range of each state "
                                 "coordinate, e.g. low=[-1.2, -0.07], high=[0.6, 0.07]")
            self.model = BinnedDensity(low, high, n_bins)
        else:
            raise ValueError(f"The 'density' parameter of PseudoCountBonus must be a str among "
                             f"{{'binned', 'empirical'}}. Got {density!r} instead.")
        self.last_counts = np.zeros(0)

    def reward(self, obs: Tensor, actions: Tensor, next_obs: Tensor) -> Tensor:
        """beta / sqrt(N_hat(s') + 0.01), then the model observes s'."""
        states = next_obs.detach().to("cpu", torch.float32).reshape(next_obs.shape[0], -1)
        counts = np.empty(states.shape[0])
        for i, x in enumerate(states.numpy() + 0.0):
            log_p, log_p_next = self.model.log_probs(x)
            counts[i] = pseudo_count(log_p, log_p_next)
            self.model.observe(x)
        self.last_counts = counts
        return torch.as_tensor(self.scale / np.sqrt(counts + 0.01), dtype=torch.float32,
                               device=next_obs.device)

    def get_extra_state(self) -> dict[str, Any]:
        return self.model.state()

    def set_extra_state(self, state: dict[str, Any]) -> None:
        self.model.load(state)
