"""Stochastic multi-armed bandits and their algorithms, vectorized over many runs (numpy only).

Seed 004's exploration chapter: optimism (UCB1, kl-UCB), posterior sampling (Thompson),
information (IDS), against the dithering of epsilon-greedy and of Boltzmann exploration, the
soft-optimal policy pi(a) ~ exp(mu_hat_a / T) of a one-step problem.

>>> from softrl.bandits import BernoulliBandit, run
>>> result = run(BernoulliBandit([0.9, 0.8, 0.5]), "ucb1", horizon=1000, runs=50, seed=0)
>>> result.regret.shape, result.counts.shape
((50, 1000), (50, 3))
"""

from softrl.bandits.algorithms import (
    ALGORITHMS,
    IDS,
    KLUCB,
    UCB1,
    Algorithm,
    BanditState,
    Boltzmann,
    EpsilonGreedy,
    ThompsonSampling,
    make_algorithm,
    sample_beta,
)
from softrl.bandits.environments import (
    Bandit,
    BanditValidationError,
    BernoulliBandit,
    GaussianBandit,
)
from softrl.bandits.kl import kl_bernoulli, kl_gaussian, klucb_bernoulli, klucb_gaussian
from softrl.bandits.simulate import BanditResult, lai_robbins_constant, run, ucb1_regret_bound

__all__ = [
    "ALGORITHMS",
    "IDS",
    "KLUCB",
    "UCB1",
    "Algorithm",
    "Bandit",
    "BanditResult",
    "BanditState",
    "BanditValidationError",
    "BernoulliBandit",
    "Boltzmann",
    "EpsilonGreedy",
    "GaussianBandit",
    "ThompsonSampling",
    "kl_bernoulli",
    "kl_gaussian",
    "klucb_bernoulli",
    "klucb_gaussian",
    "lai_robbins_constant",
    "make_algorithm",
    "run",
    "sample_beta",
    "ucb1_regret_bound",
]
