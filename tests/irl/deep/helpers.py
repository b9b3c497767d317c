"""Hand-made expert demonstrations on the point-mass toy tasks (no training needed)."""

from __future__ import annotations

import gymnasium as gym
import numpy as np

from softrl.demos import Demonstrations
from softrl.training.toy_env import POINT_MASS_DISCRETE_ID, POINT_MASS_ID


def point_mass_demos(episodes: int = 20, discrete: bool = False, seed: int = 0
                     ) -> Demonstrations:
    """The expert moves the point to 0 (a = clip(-2p), or the discrete step toward 0)."""
    env_id = POINT_MASS_DISCRETE_ID if discrete else POINT_MASS_ID
    env = gym.make(env_id)
    obs, acts, rews, nxt, term, trunc, starts = [], [], [], [], [], [], []
    for k in range(episodes):
        o, _ = env.reset(seed=seed + k)
        starts.append(len(obs))
        done = False
        while not done:
            p = float(o[0])
            a = (int(np.sign(-p) + 1) if abs(p) > 0.25 else 1) if discrete else \
                np.array([np.clip(-2 * p, -1, 1)], np.float32)
            o2, r, te, tr, _ = env.step(a)
            obs.append(o), acts.append(a), rews.append(r), nxt.append(o2)
            term.append(te), trunc.append(tr)
            o, done = o2, te or tr
    return Demonstrations(
        obs=np.array(obs, np.float32), actions=np.array(acts),
        rewards=np.array(rews, np.float64), next_obs=np.array(nxt, np.float32),
        terminated=np.array(term), truncated=np.array(trunc),
        episode_starts=np.array(starts, np.int64), env_id=env_id)
