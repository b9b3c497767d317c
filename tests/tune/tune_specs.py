"""A tiny sweep spec shared by the tests of this folder (SAC on the 1-D point mass)."""

from softrl.training.toy_env import POINT_MASS_ID

FIXED = {"hidden_sizes": [16, 16], "batch_size": 16, "learning_starts": 50, "buffer_size": 1000,
         "log_every": 100, "torch_threads": 1}


def tiny_spec(output, **changes):
    """4 trials (2 learning rates x 2 seeds), 300 steps, evaluations every 100 steps."""
    spec = {"agent": "SAC", "env": POINT_MASS_ID, "output": str(output), "seeds": [0, 1],
            "fixed": dict(FIXED), "space": {"learning_rate": {"grid": [1e-3, 3e-3]}},
            "budget": {"total_timesteps": 300, "eval_every": 100, "eval_episodes": 2},
            "resources": {"cpus_per_trial": 1, "num_cpus": 2}}
    spec.update(changes)
    return spec
