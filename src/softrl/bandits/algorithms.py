"""Bandit algorithms, vectorized over R independent runs.

Every algorithm sees the sufficient statistics of all runs at once, the pull counts N and
reward sums S of shape (R, K) (:class:`BanditState`), plus fresh standard noise for the
step: ``u`` uniforms (R, n_u) and ``z`` normals (R, n_z), the numbers of which it declares
in :meth:`Algorithm.draws`. It returns one arm per run, shape (R,). Ties between equal
indices are broken uniformly at random (with ``u``). t is the current step (1-based) and
n = t - 1 the plays so far; mu_hat = S / N.

=================  ==================================================================
name               rule
=================  ==================================================================
``ucb1``           argmax mu_hat + sqrt(2 ln n / N)                  (Auer et al. 2002)
``klucb``          argmax max{q : N kl(mu_hat, q) <= ln n + c ln ln n}  (Garivier-Cappe)
``thompson``       argmax of one posterior sample per arm (Beta or Gaussian)
``ids``            argmin of the information ratio Delta_hat^2 / I   (deterministic IDS)
``epsilon_greedy`` a uniform arm with probability eps_t, else argmax mu_hat
``boltzmann``      a ~ softmax(mu_hat / T_t)  (the soft-optimal policy of one step)
=================  ==================================================================
"""

from __future__ import annotations

import dataclasses
import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from softrl.bandits.environments import BanditValidationError
from softrl.bandits.kl import klucb_bernoulli, klucb_gaussian
from softrl.validation import Interval, StrOptions, check_names, check_scalar

__all__ = [
    "ALGORITHMS",
    "IDS",
    "KLUCB",
    "UCB1",
    "Algorithm",
    "BanditState",
    "Boltzmann",
    "EpsilonGreedy",
    "ThompsonSampling",
    "make_algorithm",
    "sample_beta",
]

_POSITIVE = Interval(float, 0, None, closed="neither")
_NONNEG = Interval(float, 0, None, closed="left")


@dataclass
class BanditState:
    """What the algorithms know after n = t - 1 steps, for R runs at once.

    Attributes
    ----------
    counts : ndarray, shape (R, K)
        N_a, pulls of each arm (float64).
    sums : ndarray, shape (R, K)
        S_a, sum of the rewards of each arm.
    kind : {"bernoulli", "gaussian"}
        The reward family of the bandit.
    sigma : float
        Known reward noise scale: the Gaussian bandit's sigma; 1/2 for Bernoulli rewards
        (their sub-Gaussian constant), used by Gaussian posteriors and IDS.
    fallback : list of np.random.Generator
        One generator per run for the rare draws of variable length (see :func:`sample_beta`).
    """

    counts: np.ndarray
    sums: np.ndarray
    kind: str
    sigma: float
    fallback: list[np.random.Generator] = field(default_factory=list)

    def mu_hat(self) -> np.ndarray:
        """Empirical means S / N, shape (R, K) (0 for an arm never pulled)."""
        return self.sums / np.maximum(self.counts, 1.0)


def argmax_random_ties(values: np.ndarray, tie: np.ndarray) -> np.ndarray:
    """Row-wise argmax of ``values`` (R, K), ties broken by the largest ``tie`` (R, K)."""
    best = values >= values.max(axis=1, keepdims=True)
    return np.argmax(np.where(best, tie, -1.0), axis=1)


class Algorithm(ABC):
    """A bandit algorithm: hyperparameters (a frozen dataclass) and a vectorized rule."""

    #: Registry name.
    name: ClassVar[str]
    #: Whether each arm is pulled once, in order, before the rule is used.
    round_robin: ClassVar[bool] = True

    def check(self, kind: str) -> None:
        """Raise :class:`BanditValidationError` if the algorithm does not fit a bandit of
        this reward ``kind`` ("bernoulli" or "gaussian"); every algorithm fits both unless
        it says otherwise."""
        return None

    @abstractmethod
    def draws(self, n_arms: int, kind: str) -> tuple[int, int]:
        """Uniform and standard-normal numbers the rule needs per step on a bandit of reward
        ``kind``: (n_u, n_z)."""

    @abstractmethod
    def select(self, state: BanditState, t: int, u: np.ndarray, z: np.ndarray) -> np.ndarray:
        """The arm of each run at step ``t`` (1-based), shape (R,)."""


@dataclass(frozen=True)
class UCB1(Algorithm):
    """UCB1 (Auer, Cesa-Bianchi & Fischer 2002, "Finite-time analysis of the multiarmed
    bandit problem"): after one pull of each arm,

        a_t = argmax_a mu_hat_a + sqrt(2 ln n / N_a),   n = t - 1 plays so far.

    Expected regret after n plays is at most sum_{Delta_a > 0} 8 ln n / Delta_a +
    (1 + pi^2 / 3) Delta_a (:func:`softrl.bandits.ucb1_regret_bound`).
    """

    name: ClassVar[str] = "ucb1"

    def draws(self, n_arms: int, kind: str) -> tuple[int, int]:
        return n_arms, 0

    def select(self, state: BanditState, t: int, u: np.ndarray, z: np.ndarray) -> np.ndarray:
        index = state.mu_hat() + np.sqrt(2.0 * math.log(t - 1) / state.counts)
        return argmax_random_ties(index, u)


@dataclass(frozen=True)
class KLUCB(Algorithm):
    """kl-UCB (Garivier & Cappe 2011): after one pull of each arm,

        a_t = argmax_a max{q in [mu_hat_a, 1] : N_a kl(mu_hat_a, q) <= ln n + c ln ln n},

    with kl the Bernoulli divergence on a Bernoulli bandit (solved by Newton's method to
    ``tolerance``, :func:`softrl.bandits.klucb_bernoulli`) and the Gaussian one
    (mu_hat + sigma sqrt(2 level), closed form) on a Gaussian bandit. ``c = 0`` is the
    variant that is asymptotically optimal in practice (the analysis uses c = 3).
    """

    name: ClassVar[str] = "klucb"
    c: float = 0.0
    tolerance: float = 1e-10

    def __post_init__(self) -> None:
        check_scalar(self.c, "c", _NONNEG, "KLUCB", BanditValidationError)
        check_scalar(self.tolerance, "tolerance", Interval(float, 0, 0.1, closed="right"),
                     "KLUCB", BanditValidationError)

    def draws(self, n_arms: int, kind: str) -> tuple[int, int]:
        return n_arms, 0

    def select(self, state: BanditState, t: int, u: np.ndarray, z: np.ndarray) -> np.ndarray:
        n = t - 1
        log_n = math.log(n)
        level = (log_n + self.c * math.log(max(log_n, 1.0))) / state.counts
        if state.kind == "bernoulli":
            index = klucb_bernoulli(state.mu_hat(), level, tolerance=self.tolerance)
        else:
            index = klucb_gaussian(state.mu_hat(), level, state.sigma)
        return argmax_random_ties(index, u)


def _log_gamma_mt(shape: np.ndarray, z: np.ndarray, u: np.ndarray, boost: np.ndarray,
                  fallback: list[np.random.Generator]) -> np.ndarray:
    """log of Gamma(shape, 1) samples by Marsaglia & Tsang (2000), vectorized.

    ``shape`` (R, M) > 0; ``z`` and ``u`` (R, M, L): L proposals each (a proposal x ~ N(0, 1),
    v = (1 + c x)^3 with d = a - 1/3, c = 1 / sqrt(9 d), is accepted when v > 0 and
    log U < x^2 / 2 + d - d v + d log v; the sample is d v). At least 95% of the proposals
    are accepted, so all L fail with probability below 0.05^L: those few continue the same
    rejection loop with run r's ``fallback[r]`` generator, keeping the sample exact. A shape
    a < 1 samples Gamma(a + 1) and multiplies by B^(1/a), B = ``boost`` (R, M) uniform.
    """
    small = shape < 1.0
    a = np.where(small, shape + 1.0, shape) if small.any() else shape
    d = a - 1.0 / 3.0
    c = 1.0 / np.sqrt(9.0 * d)
    w = 1.0 + c[..., None] * z
    positive = w > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        log_v = 3.0 * np.log(np.where(positive, w, 1.0))
    v = w * w * w
    ok = positive & (np.log(u) < 0.5 * z * z + d[..., None] * (1.0 - v + log_v))
    chosen = log_v[..., -1]
    for j in range(z.shape[2] - 2, -1, -1):
        chosen = np.where(ok[..., j], log_v[..., j], chosen)
    log_g = np.log(d) + chosen
    accepted = ok[..., 0]
    for j in range(1, z.shape[2]):
        accepted = accepted | ok[..., j]
    missing = () if accepted.all() else np.argwhere(~accepted)
    for r, m in missing:
        rng, dd, cc = fallback[r], d[r, m], c[r, m]
        while True:
            x = rng.standard_normal()
            vv = (1.0 + cc * x) ** 3
            if vv > 0 and math.log(rng.random()) < 0.5 * x * x + dd * (1.0 - vv + math.log(vv)):
                log_g[r, m] = math.log(dd * vv)
                break
    if not small.any():
        return log_g
    with np.errstate(divide="ignore"):
        return np.where(small, log_g + np.log(boost) / shape, log_g)


def sample_beta(a: np.ndarray, b: np.ndarray, u: np.ndarray, z: np.ndarray,
                fallback: list[np.random.Generator], proposals: int) -> np.ndarray:
    """Beta(a, b) samples X / (X + Y), X ~ Gamma(a), Y ~ Gamma(b), from given noise.

    Parameters
    ----------
    a, b : ndarray, shape (R, K), > 0
    u : ndarray, shape (R, 2 K proposals) or (R, 2 K (proposals + 1)), uniforms in [0, 1):
        the last 2 K are needed (and used) only when a shape is below 1.
    z : ndarray, shape (R, 2 K proposals), standard normals
    fallback : list of R generators, for the rare Gamma draws whose proposals all fail.
    proposals : int
        L, Marsaglia-Tsang proposals per Gamma draw taken from ``z`` and ``u``.

    Returns
    -------
    ndarray, shape (R, K)
        Computed in log space, 1 / (1 + exp(log Y - log X)): no 0/0 for tiny shapes.
    """
    R, K = a.shape
    shape = np.concatenate([a, b], axis=1)  # (R, 2K)
    n = 2 * K * proposals
    u = np.maximum(u, np.finfo(np.float64).tiny)
    log_g = _log_gamma_mt(shape, z.reshape(R, 2 * K, proposals),
                          u[:, :n].reshape(R, 2 * K, proposals), u[:, n:], fallback)
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(log_g[:, K:] - log_g[:, :K]))


@dataclass(frozen=True)
class ThompsonSampling(Algorithm):
    """Thompson sampling (posterior sampling): draw theta_a from the posterior of each arm's
    mean, play argmax theta_a.

    - ``posterior="beta"`` (Bernoulli rewards): prior Beta(a0, b0), posterior
      Beta(a0 + S_a, b0 + N_a - S_a). Each draw is exact (Gamma ratio, Marsaglia-Tsang).
    - ``posterior="gaussian"``: prior N(m0, s0^2) (s0 = sigma by default: Agrawal & Goyal
      2013), known noise sigma; posterior precision 1/s0^2 + N_a/sigma^2 and mean
      (m0/s0^2 + S_a/sigma^2) / precision.
    - ``posterior="auto"``: beta on a Bernoulli bandit, gaussian on a Gaussian one.
    """

    name: ClassVar[str] = "thompson"
    round_robin: ClassVar[bool] = False
    posterior: str = "auto"
    prior_a: float = 1.0
    prior_b: float = 1.0
    prior_mean: float = 0.0
    prior_std: float | None = None
    #: Marsaglia-Tsang proposals drawn per Gamma sample (beta posterior).
    proposals: ClassVar[int] = 2

    def __post_init__(self) -> None:
        owner = "ThompsonSampling"
        check_scalar(self.posterior, "posterior", StrOptions({"auto", "beta", "gaussian"}),
                     owner, BanditValidationError)
        check_scalar(self.prior_a, "prior_a", _POSITIVE, owner, BanditValidationError)
        check_scalar(self.prior_b, "prior_b", _POSITIVE, owner, BanditValidationError)
        check_scalar(self.prior_mean, "prior_mean", Interval(float, None, None), owner,
                     BanditValidationError)
        check_scalar(self.prior_std, "prior_std", [None, _POSITIVE], owner,
                     BanditValidationError)

    def _posterior(self, kind: str) -> str:
        if self.posterior != "auto":
            return self.posterior
        return "beta" if kind == "bernoulli" else "gaussian"

    def check(self, kind: str) -> None:
        if self._posterior(kind) == "beta" and kind != "bernoulli":
            raise BanditValidationError(
                "posterior: 'beta' is the posterior of Bernoulli rewards; use "
                "posterior='gaussian' (or 'auto') on a GaussianBandit.")

    def draws(self, n_arms: int, kind: str) -> tuple[int, int]:
        if self._posterior(kind) == "gaussian":
            return 0, n_arms
        boost = 2 * n_arms if min(self.prior_a, self.prior_b) < 1.0 else 0
        return 2 * n_arms * self.proposals + boost, 2 * n_arms * self.proposals

    def gaussian_posterior(self, state: BanditState) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and standard deviation of each arm's mean, each (R, K)."""
        s0 = state.sigma if self.prior_std is None else self.prior_std
        precision = 1.0 / s0**2 + state.counts / state.sigma**2
        mean = (self.prior_mean / s0**2 + state.sums / state.sigma**2) / precision
        return mean, 1.0 / np.sqrt(precision)

    def select(self, state: BanditState, t: int, u: np.ndarray, z: np.ndarray) -> np.ndarray:
        if self._posterior(state.kind) == "beta":
            a = self.prior_a + state.sums
            b = self.prior_b + state.counts - state.sums
            theta = sample_beta(a, b, u, z, state.fallback, self.proposals)
        else:
            mean, std = self.gaussian_posterior(state)
            theta = mean + std * z
        return np.argmax(theta, axis=1)


@dataclass(frozen=True)
class IDS(Algorithm):
    """Deterministic information-directed sampling with Gaussian posteriors (after Kirschner
    & Krause 2018, "Information Directed Sampling and Bandits with Heteroscedastic Noise").

    With the posterior N(m_a, s_a^2) of :class:`ThompsonSampling` (prior N(0, sigma^2)) and
    beta_t = sqrt(2 ln t):

        Delta_hat_a = max_j (m_j + beta_t s_j) - (m_a - beta_t s_a)     (gap estimate)
        I_a         = 1/2 ln(1 + s_a^2 / sigma^2)   (information of one more pull of a
                                                    about mu_a, in nats)
        a_t         = argmin_a Delta_hat_a^2 / I_a.

    An arm is played while its squared plausible gap is small against what a pull teaches:
    each suboptimal arm gets O(sigma^2 ln t / Delta^2) pulls.
    """

    name: ClassVar[str] = "ids"

    def draws(self, n_arms: int, kind: str) -> tuple[int, int]:
        return n_arms, 0

    def select(self, state: BanditState, t: int, u: np.ndarray, z: np.ndarray) -> np.ndarray:
        precision = (1.0 + state.counts) / state.sigma**2  # prior N(0, sigma^2)
        mean = state.sums / state.sigma**2 / precision
        var = 1.0 / precision
        width = math.sqrt(2.0 * math.log(t)) * np.sqrt(var)
        gap = np.max(mean + width, axis=1, keepdims=True) - (mean - width)
        info = 0.5 * np.log1p(var / state.sigma**2)
        return argmax_random_ties(-(gap**2) / info, u)


@dataclass(frozen=True)
class EpsilonGreedy(Algorithm):
    """epsilon-greedy: after one pull of each arm, a uniformly random arm with probability
    eps_t, else argmax mu_hat. ``schedule="fixed"``: eps_t = epsilon (linear regret);
    ``"decaying"``: eps_t = min(1, epsilon K / t) (Auer et al. 2002's eps_n-greedy form).
    """

    name: ClassVar[str] = "epsilon_greedy"
    epsilon: float = 0.1
    schedule: str = "fixed"

    def __post_init__(self) -> None:
        check_scalar(self.epsilon, "epsilon", _NONNEG, "EpsilonGreedy", BanditValidationError)
        if self.schedule == "fixed":
            check_scalar(self.epsilon, "epsilon", Interval(float, 0, 1), "EpsilonGreedy",
                         BanditValidationError)
        check_scalar(self.schedule, "schedule", StrOptions({"fixed", "decaying"}),
                     "EpsilonGreedy", BanditValidationError)

    def draws(self, n_arms: int, kind: str) -> tuple[int, int]:
        return n_arms + 2, 0

    def select(self, state: BanditState, t: int, u: np.ndarray, z: np.ndarray) -> np.ndarray:
        K = state.counts.shape[1]
        eps = self.epsilon if self.schedule == "fixed" else min(1.0, self.epsilon * K / t)
        greedy = argmax_random_ties(state.mu_hat(), u[:, 2:])
        uniform = np.minimum((u[:, 1] * K).astype(np.int64), K - 1)
        return np.where(u[:, 0] < eps, uniform, greedy)


@dataclass(frozen=True)
class Boltzmann(Algorithm):
    """Boltzmann (softmax) exploration, the one-step soft-optimal policy: after one pull of
    each arm, pi_t(a) = exp(mu_hat_a / T_t) / sum_b exp(mu_hat_b / T_t), sampled exactly by
    the Gumbel-max trick a = argmax mu_hat_a / T_t - log(-log U_a) (no overflow at any
    temperature). ``schedule="fixed"``: T_t = temperature, which keeps playing every arm
    with a probability bounded away from 0: linear regret, slope sum_a pi(a) Delta_a with
    pi the softmax of the true means. ``"log"``: T_t = temperature / ln(1 + t).
    """

    name: ClassVar[str] = "boltzmann"
    temperature: float = 0.1
    schedule: str = "fixed"

    def __post_init__(self) -> None:
        check_scalar(self.temperature, "temperature", _POSITIVE, "Boltzmann",
                     BanditValidationError)
        check_scalar(self.schedule, "schedule", StrOptions({"fixed", "log"}), "Boltzmann",
                     BanditValidationError)

    def draws(self, n_arms: int, kind: str) -> tuple[int, int]:
        return n_arms, 0

    def select(self, state: BanditState, t: int, u: np.ndarray, z: np.ndarray) -> np.ndarray:
        temperature = self.temperature
        if self.schedule == "log":
            temperature = temperature / math.log(1.0 + t)
        gumbel = -np.log(-np.log(np.maximum(u, np.finfo(np.float64).tiny)))
        return np.argmax(state.mu_hat() / temperature + gumbel, axis=1)


ALGORITHMS: dict[str, type[Algorithm]] = {
    cls.name: cls for cls in (UCB1, KLUCB, ThompsonSampling, IDS, EpsilonGreedy, Boltzmann)
}


def make_algorithm(name: str, **params: Any) -> Algorithm:
    """The algorithm registered as ``name`` (see :data:`ALGORITHMS`) with ``params``.

    Unknown names and parameters raise :class:`BanditValidationError` with close matches.
    """
    if not isinstance(name, str):
        raise BanditValidationError(f"algorithm: must be a name or an Algorithm; got {name!r}.")
    check_names("softrl.bandits", [name], ALGORITHMS, "algorithm", BanditValidationError)
    cls = ALGORITHMS[name]
    fields = [f.name for f in dataclasses.fields(cls)]
    check_names(cls.__name__, params, fields, "parameter", BanditValidationError)
    return cls(**params)
