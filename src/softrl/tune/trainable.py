"""The Tune trainable: one softrl agent trained by its own loop, reported to Tune at each
evaluation together with a softrl checkpoint.

A trial builds ``AGENTS[kind](env, **hyperparameters)`` with ``eval_every`` and
``eval_episodes`` from the budget, and calls ``learn`` once with a callback that, after each
evaluation of the agent's own :class:`~softrl.agents.EvalCallback`, saves the agent
(:meth:`Agent.save`: networks, optimizers, replay buffer, RNG and collector state) and passes
it to ``ray.tune.report`` as a Tune checkpoint. Checkpoints never touch training state, so a
trial computes exactly what ``Agent(env, **hyperparameters).learn(total_timesteps)`` computes
outside Tune. A trial that Tune restores (``Tuner.restore`` after a kill, or a PBT exploit)
loads the latest checkpoint and continues from its step; after a PBT exploit the donor's
state is loaded under the recipient's (mutated) hyperparameters.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import tempfile
from pathlib import Path
from typing import Any

from softrl.agents.base import AGENTS, Agent
from softrl.agents.callbacks import Callback
from softrl.agents.config import make_config
from softrl.training.checkpoint import load_checkpoint

__all__ = ["AGENT_DIR", "TRIAL_FILE", "build_agent", "restore_agent", "train_trial"]

AGENT_DIR = "agent"
"""The softrl checkpoint inside each Tune checkpoint directory."""
TRIAL_FILE = "trial.json"
"""Which trial wrote a Tune checkpoint, and at which step."""


def build_agent(job: dict[str, Any], hyper: dict[str, Any]) -> Agent:
    """A fresh agent of the sweep (no run_dir: Tune keeps the results and checkpoints)."""
    _imports(job)
    return AGENTS[job["agent"]](job["env"], tensorboard=False, **hyper)


def restore_agent(path: str | Path, job: dict[str, Any],
                  hyper: dict[str, Any]) -> tuple[Agent, dict[str, Any]]:
    """Load the agent of a Tune checkpoint under the trial's hyperparameters ``hyper``.

    With the checkpoint's own hyperparameters this is :meth:`Agent.load`. After a PBT exploit
    ``hyper`` holds mutated values: the agent is built with them and the donor's state
    (networks, optimizer moments, replay, RNG) is loaded into it, keeping the optimizer
    settings (learning rate, ...) of the new configuration.

    Returns the agent and the checkpoint's ``trial.json`` (``trial_id`` and ``num_steps``).
    """
    _imports(job)
    path = Path(path)
    ckpt = load_checkpoint(path / AGENT_DIR, kind=job["agent"])
    agent_cls = AGENTS[job["agent"]]
    agent = agent_cls(job["env"], tensorboard=False, _resuming=True, **hyper)
    saved = make_config(agent_cls.config_class, agent_cls.kind, **ckpt.config)
    fresh = {name: [{k: v for k, v in group.items() if k != "params"}
                    for group in opt.param_groups]
             for name, opt in agent._optimizers().items()}
    agent._load_states(ckpt.states, ckpt.meta)
    if saved != agent.config:
        for name, opt in agent._optimizers().items():
            for group, settings in zip(opt.param_groups, fresh[name], strict=True):
                group.update(settings)
    info = json.loads((path / TRIAL_FILE).read_text())
    return agent, info


def train_trial(config: dict[str, Any], job: dict[str, Any]) -> None:
    """Tune's function trainable: train one (configuration, seed) of the sweep ``job``."""
    from ray import tune

    hyper = trial_hyperparameters(config, job)
    checkpoint = tune.get_checkpoint()
    loaded: dict[str, Any] = {"trial_id": "", "num_steps": 0}
    if checkpoint is None:
        agent = build_agent(job, hyper)
    else:
        with checkpoint.as_directory() as path:
            agent, loaded = restore_agent(path, job, hyper)
    remaining = max(job["total_timesteps"] - agent.num_steps, 0)
    agent.learn(remaining, callback=_ReportToTune(job, config, loaded))


def trial_hyperparameters(config: dict[str, Any], job: dict[str, Any]) -> dict[str, Any]:
    """The agent's hyperparameters of a trial: fixed + searched (from the Tune config) +
    seed + evaluation settings."""
    searched = {name: config[name] for name in job["searched"]}
    return {**job["base"], **searched, "seed": int(config["seed"])}


class _ReportToTune(Callback):
    """After each evaluation (the agent's EvalCallback runs first), report its result and a
    checkpoint to Tune."""

    def __init__(self, job: dict[str, Any], config: dict[str, Any],
                 loaded: dict[str, Any]) -> None:
        self.every = job["eval_every"]
        self.include_buffer = job["checkpoint_buffer"]
        self.extra = {"config_index": int(config["config_index"]), "seed": int(config["seed"]),
                      "loaded_from_trial": loaded["trial_id"],
                      "loaded_step": int(loaded["num_steps"])}
        self._mark = 0

    def on_training_start(self, agent: Agent) -> None:
        self._mark = agent.num_steps // self.every

    def on_step(self, agent: Agent) -> bool:
        mark = agent.num_steps // self.every
        if mark <= self._mark:
            return True
        self._mark = mark
        from ray import tune

        result = dict(agent.last_evaluation or {})
        metrics = {**result, "num_steps": agent.num_steps, "num_updates": agent.num_updates,
                   "num_episodes": agent.num_episodes, **self.extra}
        trial_id = tune.get_context().get_trial_id()
        with tempfile.TemporaryDirectory(prefix="softrl-tune-") as tmp:
            agent.save(Path(tmp) / AGENT_DIR, include_buffer=self.include_buffer)
            (Path(tmp) / TRIAL_FILE).write_text(json.dumps(
                {"trial_id": trial_id, "num_steps": agent.num_steps,
                 "config": {k: v for k, v in dataclasses.asdict(agent.config).items()
                            if isinstance(v, (int, float, str, bool, type(None)))}}))
            tune.report(metrics, checkpoint=tune.Checkpoint.from_directory(tmp))
        return True


def _imports(job: dict[str, Any]) -> None:
    import softrl.agents  # noqa: F401 - registers the built-in agents

    for module in job.get("imports", ()):
        importlib.import_module(module)
