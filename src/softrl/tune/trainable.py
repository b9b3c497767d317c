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

import importlib
import json
import tempfile
from pathlib import Path
from typing import Any

from softrl.agents.base import AGENTS, Agent
from softrl.agents.callbacks import Callback
from softrl.agents.config import make_config
from softrl.training.checkpoint import CheckpointError, load_checkpoint

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
    context = tune.get_context()
    checkpoint = tune.get_checkpoint()
    own = own_checkpoints(context.get_trial_dir(), context.get_trial_id())
    agent: Agent | None = None
    loaded: dict[str, Any] = {"trial_id": "", "num_steps": 0}
    if checkpoint is not None:
        with checkpoint.as_directory() as path:
            agent, loaded = restore_agent(path, job, hyper)
        # After a PBT exploit the checkpoint is another trial's: use it as it is.
        own = [c for c in own if loaded["trial_id"] == c[1]["trial_id"]
               and c[1]["num_steps"] > loaded["num_steps"]]
    for path, _ in own:
        try:
            agent, loaded = restore_agent(path, job, hyper)
            break
        except (CheckpointError, OSError, ValueError, RuntimeError):
            continue  # written partly when the sweep was killed: take the one before
    if agent is None:
        agent = build_agent(job, hyper)
    report = _ReportToTune(job, config, loaded)
    remaining = max(job["total_timesteps"] - agent.num_steps, 0)
    if remaining == 0 and loaded.get("metrics"):
        # Finished before a kill that Tune's experiment state did not see: report it again.
        agent.last_evaluation = {k: loaded["metrics"][k] for k in loaded["metrics"]
                                 if k in ("mean_return", "std_return", "min_return",
                                          "max_return", "mean_length")}
        report.report(agent)
        return
    agent.learn(remaining, callback=report)


def own_checkpoints(trial_dir: str | Path, trial_id: str) -> list[tuple[Path, dict[str, Any]]]:
    """The checkpoints this trial wrote in its folder with their ``trial.json``, newest first.

    Tune saves its experiment state every few seconds, so a sweep killed in between restores
    a trial from an older checkpoint than the newest one on disk (or from scratch). Trials
    look in their own folder and continue from the newest intact one they wrote.
    """
    found = []
    for file in Path(trial_dir).glob(f"checkpoint_*/{TRIAL_FILE}"):
        try:
            info = json.loads(file.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(info, dict) and info.get("trial_id") == trial_id:
            found.append((file.parent, info))
    return sorted(found, key=lambda c: -int(c[1]["num_steps"]))


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
        if mark > self._mark:
            self._mark = mark
            self.report(agent)
        return True

    def report(self, agent: Agent) -> None:
        """Report the latest evaluation and a checkpoint of ``agent`` to Tune."""
        from ray import tune

        result = dict(agent.last_evaluation or {})
        metrics = {**result, "num_steps": agent.num_steps, "num_updates": agent.num_updates,
                   "num_episodes": agent.num_episodes, **self.extra}
        trial_id = tune.get_context().get_trial_id()
        with tempfile.TemporaryDirectory(prefix="softrl-tune-") as tmp:
            agent.save(Path(tmp) / AGENT_DIR, include_buffer=self.include_buffer)
            (Path(tmp) / TRIAL_FILE).write_text(json.dumps(
                {"trial_id": trial_id, "num_steps": agent.num_steps, "metrics": result}))
            tune.report(metrics, checkpoint=tune.Checkpoint.from_directory(tmp))


def _imports(job: dict[str, Any]) -> None:
    import softrl.agents  # noqa: F401 - registers the built-in agents

    for module in job.get("imports", ()):
        importlib.import_module(module)
