"""The sample-based IRL estimators against the exact tabular engine, sampling through the
Gymnasium wrapper FiniteMDPEnv (never the dynamics):

- GCL's importance-weighted gradient converges to the exact MaxEnt IRL gradient of
  ``softrl.irl.irl_objective(..., "trajectory")`` with a relative error falling like 1/sqrt(M);
- AIRL's discriminator at its optimum (generator = expert) gives f = the soft advantage and
  g = the true reward up to shaping (EPIC < 0.1).
"""

import numpy as np
import pytest
import torch

from softrl.envs import FiniteMDPEnv, gridworld
from softrl.functional import mixture_log_proposal
from softrl.inference import occupancy, soft_backward
from softrl.irl import as_demonstrations, demo_stats, epic_distance, irl_objective
from softrl.irl.deep import env_trajectories, fit_tabular_airl, gcl_gradient, trajectory_log_prob


@pytest.fixture(scope="module")
def gcl_problem():
    rng = np.random.default_rng(0)
    world = gridworld(4, slip=0.1, horizon=6, gamma=1.0, reward=rng.normal(size=16))
    mdp = world.mdp
    expert = soft_backward(mdp, temperature=1.0, backup="optimistic").policy  # (H, S, A)
    env = FiniteMDPEnv(mdp)
    demo_s, demo_a, _ = env_trajectories(env, expert, 50, seed=1)
    stats = demo_stats(mdp, as_demonstrations((demo_s, demo_a), mdp))
    reward = 0.5 * rng.normal(size=(16, 5))  # the current r_psi, not the true reward
    exact = irl_objective(mdp, reward, stats, 1.0, "trajectory").grad_reward
    return mdp, env, expert, demo_s, demo_a, reward, exact


def gcl_relative_error(problem, M: int, seed: int, demo_fraction: float = 0.5) -> float:
    """Proposal: uniform policy mixed with the demonstrator's policy (Finn et al.)."""
    mdp, env, expert, demo_s, demo_a, reward, exact = problem
    uniform = np.full(expert.shape, 0.2)
    n_demo = np.random.default_rng(seed).binomial(M, demo_fraction)
    s1, a1, _ = env_trajectories(env, uniform, M - n_demo, seed=1000 * seed)
    s2, a2, _ = env_trajectories(env, expert, n_demo, seed=1000 * seed + 500_000)
    S, A = np.concatenate([s1, s2]), np.concatenate([a1, a2])
    log_q = mixture_log_proposal(torch.as_tensor(trajectory_log_prob(uniform, S, A)),
                                 torch.as_tensor(trajectory_log_prob(expert, S, A)),
                                 demo_fraction).numpy()
    grad, w = gcl_gradient(reward, demo_s, demo_a, S, A, log_q)
    assert w.shape == (M,) and abs(w.sum() - 1) < 1e-12
    return float(np.linalg.norm(grad - exact) / np.linalg.norm(exact))


def test_gcl_gradient_converges_like_one_over_sqrt_m(gcl_problem) -> None:
    Ms = [250, 1000, 4000]
    errors = [np.mean([gcl_relative_error(gcl_problem, M, seed) for seed in range(8)])
              for M in Ms]
    slope = np.polyfit(np.log(Ms), np.log(errors), 1)[0]
    assert -0.7 < slope < -0.3, (errors, slope)
    assert errors[-1] < 0.25, errors


def test_gcl_demo_term_alone_is_exact(gcl_problem) -> None:
    """With every proposal trajectory on the same path the estimate is demo counts minus that
    path's counts, by hand."""
    mdp, env, expert, demo_s, demo_a, reward, _ = gcl_problem
    S, A = demo_s[:1].repeat(3, 0), demo_a[:1].repeat(3, 0)
    grad, w = gcl_gradient(reward, demo_s, demo_a, S, A, np.zeros(3))
    counts = np.zeros((16, 5))
    np.add.at(counts, (demo_s[:, :-1].ravel(), demo_a.ravel()), 1.0 / len(demo_s))
    path = np.zeros((16, 5))
    np.add.at(path, (S[0, :-1], A[0]), 1.0)
    np.testing.assert_allclose(grad, counts - path, atol=1e-12)
    np.testing.assert_allclose(w, 1 / 3)


def test_gcl_weights_are_uniform_under_the_posterior_from_one_start() -> None:
    """Deterministic dynamics, one start state: the MaxEnt posterior is prod_t pi_t(a|s) with
    pi from the optimistic backup, so w_j = exp(R_j) / prod pi = exp(V_0(s_0)) for all j."""
    world = gridworld(3, slip=0.0, horizon=5, gamma=1.0, start=(0, 0),
                      reward=np.linspace(-1, 1, 9))
    sol = soft_backward(world.mdp, temperature=1.0, backup="optimistic")
    S, A, _ = env_trajectories(FiniteMDPEnv(world.mdp), sol.policy, 40, seed=3)
    log_q = trajectory_log_prob(sol.policy, S, A)
    R = world.mdp.reward[S[:, :-1], A].sum(1)
    np.testing.assert_allclose(R - log_q, sol.V[0, 0], atol=1e-10)
    _, w = gcl_gradient(world.mdp.reward, S, A, S, A, log_q)
    np.testing.assert_allclose(w, 1 / 40, rtol=1e-9)


@pytest.fixture(scope="module")
def airl_problem():
    rng = np.random.default_rng(0)
    reward = rng.normal(size=25)
    world = gridworld(5, slip=0.0, gamma=0.9, reward=reward)  # deterministic (Theorem 5.1)
    sol = soft_backward(world.mdp, temperature=1.0)
    return world.mdp, reward, sol


def test_airl_exact_optimum_is_the_advantage_and_the_reward(airl_problem) -> None:
    mdp, reward, sol = airl_problem
    S, A = mdp.shape
    nxt = mdp.transitions.toarray().reshape(S, A, S).argmax(-1)
    s, a = (x.ravel() for x in np.meshgrid(np.arange(S), np.arange(A), indexing="ij"))
    batch = (s, a, nxt.ravel(), np.zeros(S * A))
    d = occupancy(mdp, sol.policy).ravel()  # exact expert occupancy = generator occupancy
    fit = fit_tabular_airl(S, batch, batch, np.log(sol.policy), 0.9, d, d, l2=0.0,
                           max_iter=2000)
    advantage = sol.Q - sol.V[:, None]
    np.testing.assert_allclose(fit.f(s, nxt.ravel()).reshape(S, A), advantage, atol=1e-4)
    assert fit.loss == pytest.approx(2 * np.log(2), abs=1e-9)  # D = 1/2 everywhere
    assert epic_distance(fit.g, reward, mdp) < 1e-3


def test_airl_sampled_optimum_recovers_the_reward_up_to_shaping(airl_problem) -> None:
    mdp, reward, sol = airl_problem
    env = FiniteMDPEnv(mdp, max_episode_steps=10)

    def transitions(seed):
        st, ac, te = env_trajectories(env, sol.policy, 6000, seed)
        m = ac >= 0
        return st[:, :-1][m], ac[m], st[:, 1:][m], te[m]

    def unique(batch):  # the sample mean as a weighted mean over distinct transitions
        rows, counts = np.unique(np.stack(batch, 1).astype(np.int64), axis=0,
                                 return_counts=True)
        return tuple(rows.T), counts.astype(float)

    (expert, we), (generator, wg) = unique(transitions(0)), unique(transitions(100_000))
    fit = fit_tabular_airl(mdp.n_states, expert, generator, np.log(sol.policy), 0.9, we, wg)
    S, A = mdp.shape
    nxt = mdp.transitions.toarray().reshape(S, A, S).argmax(-1)
    s = np.repeat(np.arange(S), A)
    f = fit.f(s, nxt.ravel()).reshape(S, A)
    w = occupancy(mdp, sol.policy)
    rms = np.sqrt((w * (f - (sol.Q - sol.V[:, None])) ** 2).sum() / w.sum())
    assert rms < 0.1, rms
    assert epic_distance(fit.g, reward, mdp) < 0.1
    # Versus a reward that ignores the demonstrations.
    assert epic_distance(np.random.default_rng(5).normal(size=S), reward, mdp) > 0.4
