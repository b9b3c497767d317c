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

Tune records checkpoints in its experiment state only every few seconds, so after a kill it
may hand a trial an older checkpoint than the newest one the trial wrote, or none. The trial
therefore also lists its folder in the sweep's storage (:func:`trial_storage`: not
``get_trial_dir()``, a staging folder that never holds checkpoints) and continues from the
newest intact checkpoint of its own lineage (:func:`own_checkpoints`), reporting it again so
that Tune holds it and the trial's history has no gap.
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

__all__ = ["AGENT_DIR", "TRIAL_FILE", "build_agent", "own_checkpoints", "restore_agent",
           "train_trial", "trial_storage"]

AGENT_DIR = "agent"
"""The softrl checkpoint inside each Tune checkpoint directory."""
TRIAL_FILE = "trial.json"
"""Which trial wrote a Tune checkpoint, and at which step."""
_EVALUATION = ("mean_return", "std_return", "min_return", "max_return", "mean_length")


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
    trial_id = context.get_trial_id()
    checkpoint = tune.get_checkpoint()
    agent: Agent | None = None
    loaded: dict[str, Any] = {"trial_id": "", "num_steps": 0}
    if checkpoint is not None:
        with checkpoint.as_directory() as path:
            agent, loaded = restore_agent(path, job, hyper)
    unseen = False  # continuing from a checkpoint that Tune's experiment state does not hold
    if not loaded["trial_id"] or loaded["trial_id"] == trial_id:
        # (after a PBT exploit the checkpoint is another trial's: use it as it is)
        filesystem, trial_path = trial_storage(context)
        # only those continuing the run Tune restores (no PBT exploit since: same lineage)
        for path, info in own_checkpoints(trial_path, trial_id, filesystem,
                                          lineage=loaded.get("lineage", [])):
            if info["num_steps"] <= loaded["num_steps"]:
                break
            try:
                with tune.Checkpoint(path, filesystem=filesystem).as_directory() as local:
                    candidate, found = restore_agent(local, job, hyper)
                if candidate.num_steps != found["num_steps"]:
                    raise CheckpointError(f"{path}: {TRIAL_FILE} and agent disagree")
                agent, loaded, unseen = candidate, found, True
                break
            except (CheckpointError, OSError, ValueError, RuntimeError):
                continue  # written partly when the sweep was killed: take the one before
    if agent is None:
        agent = build_agent(job, hyper)
    report = _ReportToTune(job, config, loaded, trial_id)
    remaining = job["total_timesteps"] - agent.num_steps
    if unseen or remaining <= 0:
        # The sweep was killed after this checkpoint was written and before Tune recorded it
        # (its result may be missing from the trial's history too), or after the trial
        # finished and before Tune recorded that: report it again, so that Tune holds it
        # and the history has no gap.
        metrics = loaded.get("metrics") or {}
        agent.last_evaluation = {k: metrics[k] for k in metrics if k in _EVALUATION}
        report.report(agent)
    if remaining > 0:
        agent.learn(remaining, callback=report)


def trial_storage(context: Any) -> tuple[Any, str]:
    """The trial's folder where Tune persists its checkpoints, and its ``pyarrow.fs``
    filesystem (None: a local folder).

    This is the trial's folder in the sweep's output (``RunConfig.storage_path``), not
    ``context.get_trial_dir()``: that is a staging folder under Ray's session directory
    (``/tmp/ray/session_*/artifacts/...``), which never holds the checkpoints.
    """
    try:
        storage = context.get_storage()
        return storage.storage_filesystem, storage.trial_fs_path
    except (AttributeError, RuntimeError):  # a Ray without the storage context
        return None, context.get_trial_dir()


def own_checkpoints(trial_dir: str | Path, trial_id: str, filesystem: Any = None,
                    lineage: list[Any] | None = None) -> list[tuple[Any, dict[str, Any]]]:
    """The checkpoints this trial wrote in its folder with their ``trial.json``, newest first.

    Tune saves its experiment state every few seconds, so a sweep killed in between restores
    a trial from an older checkpoint than the newest one on disk (or from scratch). Trials
    look in their own folder and continue from the newest intact one they wrote.
    ``filesystem`` is the ``pyarrow.fs`` filesystem of ``trial_dir`` (None: a local folder,
    whose checkpoints are returned as Paths; else paths on ``filesystem``). With
    ``lineage`` (the ``[trial_id, num_steps]`` of each other trial's checkpoint the trial
    loaded, i.e. PBT exploits, as written in ``trial.json``), only the checkpoints written
    after exactly those loads: a trial restored after an exploit must not go back to a
    checkpoint it wrote before it.
    """
    found = []
    for folder, read in _checkpoint_folders(trial_dir, filesystem):
        try:
            info = json.loads(read(f"{folder}/{TRIAL_FILE}"))
        except (OSError, ValueError):
            continue  # no trial.json (yet): not one of ours, or written partly
        if (isinstance(info, dict) and info.get("trial_id") == trial_id
                and isinstance(info.get("num_steps"), int)
                and (lineage is None or info.get("lineage", []) == list(lineage))):
            found.append((folder, info))
    return sorted(found, key=lambda c: -c[1]["num_steps"])


def _checkpoint_folders(trial_dir: str | Path, filesystem: Any) -> list[tuple[Any, Any]]:
    """The ``checkpoint_*`` folders of ``trial_dir`` and a function reading one of their files."""
    if filesystem is None:
        return [(p, lambda file: Path(file).read_text())
                for p in Path(trial_dir).glob("checkpoint_*") if p.is_dir()]
    from pyarrow import fs

    def read(file: str) -> str:
        with filesystem.open_input_stream(file) as stream:
            return stream.read().decode()

    try:
        entries = filesystem.get_file_info(fs.FileSelector(str(trial_dir), allow_not_found=True))
    except OSError:
        return []
    return [(e.path, read) for e in entries
            if e.type == fs.FileType.Directory and e.base_name.startswith("checkpoint_")]


def trial_hyperparameters(config: dict[str, Any], job: dict[str, Any]) -> dict[str, Any]:
    """The agent's hyperparameters of a trial: fixed + searched (from the Tune config) +
    seed + evaluation settings."""
    searched = {name: config[name] for name in job["searched"]}
    return {**job["base"], **searched, "seed": int(config["seed"])}


class _ReportToTune(Callback):
    """After each evaluation (the agent's EvalCallback runs first), report its result and a
    checkpoint to Tune."""

    def __init__(self, job: dict[str, Any], config: dict[str, Any],
                 loaded: dict[str, Any], trial_id: str) -> None:
        self.every = job["eval_every"]
        self.include_buffer = job["checkpoint_buffer"]
        self.extra = {"config_index": int(config["config_index"]), "seed": int(config["seed"]),
                      "loaded_from_trial": loaded["trial_id"],
                      "loaded_step": int(loaded["num_steps"])}
        self._mark = 0
        # the other trials' checkpoints loaded on the way here (PBT exploits)
        self.lineage = list(loaded.get("lineage", []))
        if loaded["trial_id"] and loaded["trial_id"] != trial_id:
            self.lineage.append([loaded["trial_id"], int(loaded["num_steps"])])

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
                {"trial_id": trial_id, "num_steps": agent.num_steps, "metrics": result,
                 "lineage": self.lineage}))
            tune.report(metrics, checkpoint=tune.Checkpoint.from_directory(tmp))


def _imports(job: dict[str, Any]) -> None:
    import softrl.agents  # noqa: F401 - registers the built-in agents

    for module in job.get("imports", ()):
        importlib.import_module(module)
