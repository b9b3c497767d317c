"""Demonstrations for Gymnasium environments: record, save, load, convert, check.

>>> from softrl.demos import record_demos, save_demos, load_demos
>>> demos = record_demos("runs/expert", episodes=10)          # doctest: +SKIP
>>> save_demos(demos, "demos.npz")                            # doctest: +SKIP
>>> demos = load_demos("demos.npz", env="CartPole-v1")        # doctest: +SKIP
>>> demos.num_episodes, len(demos), demos.episode_returns()   # doctest: +SKIP
"""

from softrl.demos.convert import from_imitation
from softrl.demos.demonstrations import DemonstrationError, Demonstrations, concatenate
from softrl.demos.io import DEMOS_FORMAT, load_demos, save_demos
from softrl.demos.record import record_demos

__all__ = [
    "DEMOS_FORMAT",
    "DemonstrationError",
    "Demonstrations",
    "concatenate",
    "from_imitation",
    "load_demos",
    "record_demos",
    "save_demos",
]
