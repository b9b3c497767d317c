"""Every agent class, built tiny, for the shared reliability suite (test_reliability.py).

A new agent adds one entry: a name and a function building it on a fast env with the given
keyword arguments (seed, run_dir, checkpoint_every, env, ...). The suite then runs
save/load/resume/corrupt-checkpoint round trips on it.
"""

from collections.abc import Callable
from typing import Any

from sac_fast import SMALL, TOY_ID
from toy_agent import ToyAgent
from toy_on_policy import ToyActorCritic

from softrl.agents import SAC, Agent, BootstrappedSoftQ, EntropyPG, SoftQ
from softrl.exploration import RNDBonus, SimHashBonus
from softrl.training.toy_env import POINT_MASS_DISCRETE_ID


def _sac(**kw: Any) -> Agent:
    return SAC(kw.pop("env", TOY_ID), **{**SMALL, **kw})


def _sac_v(**kw: Any) -> Agent:
    return SAC(kw.pop("env", TOY_ID), **{**SMALL, "variant": "v_network",
                                         "temperature": 0.1, **kw})


def _toy(**kw: Any) -> Agent:
    return ToyAgent(kw.pop("env", TOY_ID), **{"torch_threads": 1, "log_every": 50, **kw})


def _toy_ac(**kw: Any) -> Agent:
    return ToyActorCritic(kw.pop("env", TOY_ID), **{"torch_threads": 1, "log_every": 50, **kw})


def _softq(**kw: Any) -> Agent:
    return SoftQ(kw.pop("env", POINT_MASS_DISCRETE_ID),
                 **{"torch_threads": 1, "log_every": 50, "learning_starts": 50, "batch_size": 16,
                    "train_freq": 1, "target_update_interval": 20, "hidden_sizes": (16,),
                    "temperature": "auto", "double_q": True, "munchausen": 0.9, **kw})


def _pg(**kw: Any) -> Agent:
    n_envs = 1 if "env" in kw else 2  # an env instance is one copy
    return EntropyPG(kw.pop("env", POINT_MASS_DISCRETE_ID),
                     **{"torch_threads": 1, "log_every": 50, "n_steps": 10, "n_envs": n_envs,
                        "hidden_sizes": (16,), **kw})


def _expert_demos(discrete: bool) -> Any:
    """3 episodes of a scripted point-mass expert (moves toward 0)."""
    import gymnasium as gym
    import numpy as np

    from softrl.demos import record_demos

    if discrete:
        return record_demos(lambda o: 0 if o[0] > 0.25 else (2 if o[0] < -0.25 else 1), 3,
                            env=gym.make(POINT_MASS_DISCRETE_ID))
    return record_demos(lambda o: np.clip(-2 * o, -1, 1).astype(np.float32), 3,
                        env=gym.make(TOY_ID))


def _softqfd(**kw: Any) -> Agent:
    from softrl.imitation import SoftQfD

    agent = SoftQfD(kw.pop("env", POINT_MASS_DISCRETE_ID),
                    **{"torch_threads": 1, "log_every": 50, "learning_starts": 50,
                       "batch_size": 16, "train_freq": 1, "target_update_interval": 20,
                       "hidden_sizes": (16,), "n_step": 3, "bc_weight": 0.1,
                       "pretrain_epochs": 2, "pretrain_steps": 5, **kw})
    return agent.add_demos(_expert_demos(True))


def _sacfd(**kw: Any) -> Agent:
    from softrl.imitation import SACfD

    agent = SACfD(kw.pop("env", TOY_ID), **{**SMALL, "bc_weight": 0.5, "pretrain_epochs": 2,
                                            "pretrain_critic_epochs": 2, "pretrain_steps": 5,
                                            **kw})
    return agent.add_demos(_expert_demos(False))


def _pgfd(**kw: Any) -> Agent:
    from softrl.imitation import EntropyPGfD

    n_envs = 1 if "env" in kw else 2
    agent = EntropyPGfD(kw.pop("env", POINT_MASS_DISCRETE_ID),
                        **{"torch_threads": 1, "log_every": 50, "n_steps": 10, "n_envs": n_envs,
                           "hidden_sizes": (16,), "bc_weight": 0.5, "demo_batch_size": 8,
                           "pretrain_epochs": 2, "pretrain_critic_epochs": 2, **kw})
    return agent.add_demos(_expert_demos(True))


def _bootstrapped(**kw: Any) -> Agent:
    return BootstrappedSoftQ(kw.pop("env", POINT_MASS_DISCRETE_ID),
                             **{"torch_threads": 1, "log_every": 50, "learning_starts": 50,
                                "batch_size": 16, "target_update_interval": 20,
                                "hidden_sizes": (16,), "n_heads": 3, "temperature": "auto",
                                "double_q": True, "munchausen": 0.9,
                                "exploration": RNDBonus(0.1, hidden_sizes=(8,), out_dim=4),
                                **kw})


def _ispgfd(**kw: Any) -> Agent:
    from softrl.imitation import ISPGfD

    n_envs = 1 if "env" in kw else 2
    agent = ISPGfD(kw.pop("env", POINT_MASS_DISCRETE_ID),
                   **{"torch_threads": 1, "log_every": 50, "n_steps": 10, "n_envs": n_envs,
                      "hidden_sizes": (16,), "proposal_epochs": 2, "clip": 10.0,
                      "bc_weight": 0.1, "demo_batch_size": 8, **kw})
    return agent.add_demos(_expert_demos(True))


def _pg_simhash(**kw: Any) -> Agent:
    return _pg(**{"exploration": SimHashBonus(0.1, n_bits=16), **kw})


def _sql(**kw: Any) -> Agent:
    from softrl.agents import SQL

    return SQL(kw.pop("env", TOY_ID), **{**SMALL, "hidden_sizes": (16,), "kernel_particles": 8,
                                         "value_particles": 8, "target_update_interval": 20,
                                         **kw})


ZOO: dict[str, Callable[..., Agent]] = {
    "sac": _sac, "sac_v_network": _sac_v, "toy": _toy, "toy_on_policy": _toy_ac,
    "softq": _softq, "pg": _pg, "softqfd": _softqfd, "sacfd": _sacfd, "pgfd": _pgfd,
    "ispgfd": _ispgfd, "bootstrapped_rnd": _bootstrapped, "pg_simhash": _pg_simhash, "sql": _sql}
"""Name -> builder(**kwargs) of a small agent on a point-mass toy env (1-D observations)."""

ENV_IDS: dict[str, str] = {name: TOY_ID for name in ZOO} | {
    "softq": POINT_MASS_DISCRETE_ID, "pg": POINT_MASS_DISCRETE_ID,
    "softqfd": POINT_MASS_DISCRETE_ID, "pgfd": POINT_MASS_DISCRETE_ID,
    "ispgfd": POINT_MASS_DISCRETE_ID, "bootstrapped_rnd": POINT_MASS_DISCRETE_ID,
    "pg_simhash": POINT_MASS_DISCRETE_ID}
"""The env each builder uses by default (tests that wrap it make their own copy)."""
