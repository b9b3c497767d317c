"""Demonstrations drawn from known policies, for the imitation tests."""

import numpy as np

from softrl.demos import Demonstrations
from softrl.envs import FiniteMDPEnv


def tabular_demos(mdp, policy, n_episodes, seed, length=20):
    """Episodes of ``policy`` (S, A) in ``mdp`` through FiniteMDPEnv."""
    env = FiniteMDPEnv(mdp, max_episode_steps=length)
    rng = np.random.default_rng(seed)
    cols = {k: [] for k in ("obs", "actions", "rewards", "next_obs", "terminated", "truncated")}
    starts = []
    for k in range(n_episodes):
        starts.append(len(cols["obs"]))
        s, _ = env.reset(seed=seed * 100_000 + k)
        while True:
            a = int(rng.choice(mdp.n_actions, p=policy[s]))
            s2, r, term, trunc, _ = env.step(a)
            for key, v in zip(cols, (s, a, r, s2, term, trunc and not term), strict=True):
                cols[key].append(v)
            s = s2
            if term or trunc:
                break
    return Demonstrations(*(np.asarray(v) for v in cols.values()), np.asarray(starts))


def continuous_demos(policy, n_episodes, seed, length=10):
    """Episodes of a(s) = policy(s, rng) in the 1-D point mass (clipped to [-1, 1])."""
    from softrl.training.toy_env import PointMass1D

    env = PointMass1D()
    rng = np.random.default_rng(seed)
    cols = {k: [] for k in ("obs", "actions", "rewards", "next_obs", "terminated", "truncated")}
    starts = []
    for k in range(n_episodes):
        starts.append(len(cols["obs"]))
        s, _ = env.reset(seed=seed * 100_000 + k)
        for t in range(length):
            a = np.clip(np.float32(policy(float(s[0]), rng)), -1, 1).reshape(1)
            s2, r, _, _, _ = env.step(a)
            for key, v in zip(cols, (s, a, r, s2, False, t == length - 1), strict=True):
                cols[key].append(v)
            s = s2
    return Demonstrations(*(np.asarray(v) for v in cols.values()), np.asarray(starts),
                          "softrl/PointMass1D-v0")
