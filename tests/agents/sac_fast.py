"""Shared settings for fast SAC tests (imported by the test modules of this folder)."""

from softrl.training.toy_env import POINT_MASS_ID as TOY_ID

SMALL = {"hidden_sizes": (32, 32), "batch_size": 32, "learning_starts": 50, "log_every": 50,
         "torch_threads": 1}
"""Hyperparameters that keep agent tests fast (one torch thread: the tests' networks are tiny)."""

__all__ = ["SMALL", "TOY_ID"]
