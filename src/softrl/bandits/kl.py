"""Kullback-Leibler divergences of reward distributions and the kl-UCB index.

kl-UCB (Garivier & Cappe 2011, "The KL-UCB algorithm for bounded stochastic bandits and
beyond", https://arxiv.org/abs/1102.2490) plays the arm with the largest

    U_a = max { q in [mu_hat_a, 1] : N_a kl(mu_hat_a, q) <= log t },

the most optimistic mean that the observations do not make implausible.
"""

from __future__ import annotations

import numpy as np

__all__ = ["kl_bernoulli", "kl_gaussian", "klucb_bernoulli", "klucb_gaussian"]

_ONE_MINUS = np.nextafter(1.0, 0.0)  # largest float below 1: keeps log(1 - q) finite


def _plogp_over(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """p log(p / q) with 0 log 0 = 0 (elementwise, float64)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(p > 0, p * (np.log(np.where(p > 0, p, 1.0)) - np.log(q)), 0.0)


def kl_bernoulli(p: np.ndarray | float, q: np.ndarray | float) -> np.ndarray:
    """KL(Bernoulli(p) || Bernoulli(q)) = p log(p/q) + (1-p) log((1-p)/(1-q)).

    Parameters
    ----------
    p, q : array_like, broadcastable, in [0, 1]
        ``q`` is clipped to [tiny, 1 - 2^-53] so the divergence stays finite.

    Returns
    -------
    ndarray
        The divergence (nats), >= 0, of the broadcast shape.
    """
    p = np.asarray(p, dtype=np.float64)
    q = np.clip(np.asarray(q, dtype=np.float64), np.finfo(np.float64).tiny, _ONE_MINUS)
    return np.maximum(_plogp_over(p, q) + _plogp_over(1.0 - p, 1.0 - q), 0.0)


def kl_gaussian(p: np.ndarray | float, q: np.ndarray | float, sigma: float = 1.0) -> np.ndarray:
    """KL(N(p, sigma^2) || N(q, sigma^2)) = (p - q)^2 / (2 sigma^2), elementwise."""
    p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
    return (p - q) ** 2 / (2.0 * sigma**2)


def klucb_gaussian(mu_hat: np.ndarray, level: np.ndarray, sigma: float = 1.0) -> np.ndarray:
    """Gaussian kl-UCB index max{q >= mu : (mu - q)^2 / (2 sigma^2) <= level} = mu + sigma
    sqrt(2 level), elementwise (``level`` = log(t) / N_a)."""
    return np.asarray(mu_hat, dtype=np.float64) + sigma * np.sqrt(2.0 * np.asarray(level))


def klucb_bernoulli(mu_hat: np.ndarray | float, level: np.ndarray | float,
                    tolerance: float = 1e-10, max_iter: int = 100) -> np.ndarray:
    """Bernoulli kl-UCB index U = max{q in [mu_hat, 1] : kl(mu_hat, q) <= level}, vectorized.

    kl(p, .) is convex and increasing on [p, 1], so Newton's method started above the root
    decreases monotonically to it. The start is the smaller of two upper bounds of the root:
    Pinsker's (kl(p, q) >= 2 (q - p)^2 gives q <= p + sqrt(level / 2)) and the one from
    dropping p log(1/q) >= 0 (q <= 1 - (1 - p) exp(-(level - p log p) / (1 - p))). Steps
    q <- q - (kl(p, q) - level) q (1 - q) / (q - p) stop once every step is below
    ``tolerance``; near the root Newton converges quadratically, so the result lies within
    ``tolerance`` of the root (checked against a brute-force grid and a bisection in the
    tests). A root above 1 - 2^-53 is returned as 1 - 2^-53.

    Parameters
    ----------
    mu_hat : array_like, in [0, 1]
        Empirical means, e.g. shape (R, K).
    level : array_like, >= 0, broadcastable with ``mu_hat``
        The exploration level, log(t) / N_a for kl-UCB.
    tolerance : float
        Stop when every Newton step is smaller than this.
    max_iter : int
        Upper limit on the Newton steps (never reached in practice: about 5 are needed).

    Returns
    -------
    ndarray
        The index, of the broadcast shape, in [mu_hat, 1].
    """
    p, d = np.broadcast_arrays(np.asarray(mu_hat, dtype=np.float64),
                               np.asarray(level, dtype=np.float64))
    p = np.clip(p, 0.0, 1.0)
    d = np.maximum(d, 0.0)
    with np.errstate(over="ignore", under="ignore"):
        pinsker = p + np.sqrt(d / 2.0)
        one_minus_p = np.maximum(1.0 - p, np.finfo(np.float64).tiny)
        second = 1.0 - one_minus_p * np.exp(-(d - _plogp_over(p, np.ones_like(p))) / one_minus_p)
    q = np.clip(np.minimum(pinsker, second), p, _ONE_MINUS)
    # kl(p, q) = neg_entropy - p log q - (1 - p) log(1 - q); the first term is fixed.
    neg_entropy = _plogp_over(p, np.ones_like(p)) + _plogp_over(1.0 - p, np.ones_like(p))
    for _ in range(max_iter):
        with np.errstate(divide="ignore", invalid="ignore"):
            f = neg_entropy - p * np.log(q) - (1.0 - p) * np.log1p(-q) - d
            grad = (q - p) / (q * (1.0 - q))
            step = np.where((f > 0) & (grad > 0), f / grad, 0.0)
        q = np.maximum(q - step, p)
        if not step.size or step.max() < tolerance:
            break
    return np.where(p >= 1.0, 1.0, q)
