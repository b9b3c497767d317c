"""Record deep_sea trajectories from bsuite itself, for tests/envs/test_deep_sea.py.

Run with a Python that has bsuite (0.3.6) and dm_env, e.g. a throwaway venv:
    python -m venv /tmp/bs && /tmp/bs/bin/pip install bsuite==0.3.6
    /tmp/bs/bin/python bench/deep_sea_bsuite_reference.py
Writes tests/envs/data/deep_sea_bsuite.npz: for each case, random actions over several whole
episodes and bsuite's observations, rewards, ends and logging fields after every step.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from bsuite.environments.deep_sea import DeepSea

CASES = [
    {"size": 5, "deterministic": True, "seed": 0, "mapping_seed": 3},
    {"size": 8, "deterministic": True, "seed": 1, "mapping_seed": 11},
    {"size": 6, "deterministic": False, "seed": 2, "mapping_seed": 5},
    {"size": 10, "deterministic": False, "seed": 7, "mapping_seed": 7},
    {"size": 4, "deterministic": True, "seed": 4, "mapping_seed": 4, "unscaled_move_cost": 0.5},
]
EPISODES = 40


def record(case: dict) -> dict[str, np.ndarray]:
    env = DeepSea(**case)
    rng = np.random.RandomState(123 + case["size"])
    obs, rew, last, bad, ret, acts = [], [], [], [], [], []
    for _ in range(EPISODES):
        ts = env.reset()
        obs.append(ts.observation.copy())
        rew.append(np.nan)
        last.append(False)
        info = env.bsuite_info()
        bad.append(info["total_bad_episodes"])
        ret.append(info["denoised_return"])
        while True:
            # A bias toward the right action so that the far corner is reached sometimes.
            right = env._action_mapping[min(env._row, env._size - 1), env._column]
            a = int(right if rng.rand() < 0.8 else 1 - right)
            acts.append(a)
            ts = env.step(a)
            obs.append(ts.observation.copy())
            rew.append(ts.reward)
            last.append(ts.last())
            info = env.bsuite_info()
            bad.append(info["total_bad_episodes"])
            ret.append(info["denoised_return"])
            if ts.last():
                break
    return {"obs": np.array(obs), "rewards": np.array(rew), "last": np.array(last),
            "total_bad_episodes": np.array(bad), "denoised_return": np.array(ret),
            "mapping": env._action_mapping, "actions": np.array(acts)}


def main() -> None:
    out: dict[str, np.ndarray] = {"cases": np.array(json.dumps(CASES))}
    for i, case in enumerate(CASES):
        for key, value in record(case).items():
            out[f"{i}_{key}"] = value
    path = Path(__file__).resolve().parents[1] / "tests/envs/data/deep_sea_bsuite.npz"
    np.savez_compressed(path, **out)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
