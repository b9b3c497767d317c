"""Run a sweep on Ray Tune: a local Ray started here by default, or an existing cluster.

>>> from softrl.tune import run
>>> sweep = run("examples/tune_toy.toml")              # doctest: +SKIP
>>> sweep.best_config                                  # doctest: +SKIP

The output directory receives Tune's experiment (``sweep/``: one folder per trial with its
results and checkpoints; ``Tuner.restore`` reads it), ``trials.csv`` (one row per trial),
``curves.png`` (mean evaluation return per configuration, mean and min-max over seeds) and
``best_config.toml`` (a file ``softrl train KIND --config`` reads).
"""

from __future__ import annotations

import json
import os
from typing import Any

from softrl.training.envs import MissingDependencyError
from softrl.tune.results import SweepResult, collect_results
from softrl.tune.spec import SpecError, TuneSpec, load_spec
from softrl.tune.trainable import train_trial

__all__ = ["EXPERIMENT", "run"]

EXPERIMENT = "sweep"
"""Name of Tune's experiment folder inside the spec's output directory."""


def run(spec: str | os.PathLike | dict[str, Any] | TuneSpec, address: str | None = None,
        resume: bool = False, verbose: int = 1) -> SweepResult:
    """Run (or resume) the sweep ``spec`` and write its results; returns them.

    Parameters
    ----------
    spec : path, dict or TuneSpec
        TOML file or its contents (see :mod:`softrl.tune.spec`); checked before Ray starts.
    address : str, optional
        Address of a running Ray cluster (``"auto"``, ``"ray://host:10001"``, ...). By default
        a local Ray is started in this process with ``resources.num_cpus`` CPUs (and stopped
        at the end); if Ray is already initialized in this process, it is used as it is.
    resume : bool
        Continue the sweep in the output directory with ``Tuner.restore``: finished trials are
        kept, unfinished and errored ones continue from their latest checkpoint.
    verbose : int
        Tune's console verbosity (0 silent, 1 status table, 2 every result).

    Raises
    ------
    SpecError
        A bad spec, an output directory that already holds a sweep (without ``resume``), or
        none to resume.
    MissingDependencyError
        Ray Tune is not installed (``pip install "softrl[tune]"``).
    """
    spec = load_spec(spec)
    experiment = spec.output / EXPERIMENT
    if resume and not experiment.is_dir():
        raise SpecError(f"output: {spec.output} holds no sweep to resume; drop --resume to "
                        "start one")
    if not resume and experiment.exists():
        raise SpecError(f"output: {spec.output} already holds a sweep; continue it with "
                        "--resume (softrl.tune.run(spec, resume=True)) or choose another "
                        "output")
    if resume:
        _check_same_spec(spec)
    ray, tune = _import_ray()
    started = _init_ray(ray, spec, address, log_to_driver=verbose > 0)
    try:
        trainable = tune.with_resources(
            tune.with_parameters(train_trial, job=_job(spec)),
            {"cpu": spec.cpus_per_trial, "gpu": spec.gpus_per_trial})
        param_space = _param_space(spec, tune)
        if resume:
            tuner = tune.Tuner.restore(str(experiment), trainable, resume_unfinished=True,
                                       resume_errored=True, param_space=param_space)
        else:
            spec.output.mkdir(parents=True, exist_ok=True)
            (spec.output / "spec.json").write_text(json.dumps(spec.source, indent=2,
                                                              default=str))
            tuner = tune.Tuner(
                trainable, param_space=param_space,
                tune_config=tune.TuneConfig(
                    metric="mean_return", mode="max", scheduler=_scheduler(spec),
                    max_concurrent_trials=spec.max_concurrent or None,
                    # a worker that has imported torch and softrl runs the next trial too
                    reuse_actors=True),
                run_config=tune.RunConfig(
                    name=EXPERIMENT, storage_path=str(spec.output), verbose=verbose,
                    # PBT exploits other trials' latest checkpoints: keep a few more
                    checkpoint_config=tune.CheckpointConfig(
                        num_to_keep=4 if spec.scheduler["type"] == "pbt" else 2),
                    failure_config=tune.FailureConfig(max_failures=0)))
        grid = tuner.fit()
    finally:
        if started:
            ray.shutdown()
    return collect_results(grid, spec)


def _check_same_spec(spec: TuneSpec) -> None:
    """A resumed sweep must keep its spec (the trials already run were built from it)."""
    saved_file = spec.output / "spec.json"
    if not spec.source or not saved_file.is_file():
        return
    saved = json.loads(saved_file.read_text())
    now = json.loads(json.dumps(spec.source, default=str))
    changed = sorted(k for k in set(saved) | set(now) if saved.get(k) != now.get(k))
    if changed:
        raise SpecError(f"{changed[0]}: differs from the spec the sweep in {spec.output} "
                        f"started with ({saved_file}); resume with that spec, or start a new "
                        "sweep in another output")


def _job(spec: TuneSpec) -> dict[str, Any]:
    """What every trial needs besides its Tune config (plain data, shipped to the workers)."""
    return {"agent": spec.agent, "env": spec.env, "imports": list(spec.imports),
            "base": spec.hyperparameters({}, 0),
            "searched": [d.name for d in spec.space],
            "total_timesteps": spec.total_timesteps, "eval_every": spec.eval_every,
            "checkpoint_buffer": spec.checkpoint_buffer}


class _Lookup:
    """``tune.sample_from``: the value of ``name`` in the trial's configuration (resolved after
    the ``config_index`` grid, so every seed of a configuration gets the same values)."""

    def __init__(self, configs: list[dict[str, Any]], name: str) -> None:
        self.configs, self.name = configs, name

    def __call__(self, config: Any) -> Any:
        return self.configs[config["config_index"]][self.name]


def _param_space(spec: TuneSpec, tune: Any) -> dict[str, Any]:
    configs = spec.configurations()
    space: dict[str, Any] = {"config_index": tune.grid_search(list(range(len(configs)))),
                             "seed": tune.grid_search(list(spec.seeds))}
    for dim in spec.space:
        space[dim.name] = tune.sample_from(_Lookup(configs, dim.name))
    return space


def _scheduler(spec: TuneSpec) -> Any:
    s = spec.scheduler
    if s["type"] == "asha":
        from ray.tune.schedulers import ASHAScheduler

        return ASHAScheduler(time_attr="num_steps", max_t=s["max_t"],
                             grace_period=s["grace_period"],
                             reduction_factor=s["reduction_factor"])
    if s["type"] == "pbt":
        from ray import tune
        from ray.tune.schedulers import PopulationBasedTraining

        dims = {d.name: d for d in spec.space}
        mutations: dict[str, Any] = {}
        for name in s["mutations"]:
            d = dims[name]
            if d.kind == "uniform":
                mutations[name] = tune.uniform(*d.values)
            elif d.kind == "loguniform":
                mutations[name] = tune.loguniform(*d.values)
            else:
                mutations[name] = list(d.values)
        return PopulationBasedTraining(
            time_attr="num_steps", perturbation_interval=s["perturbation_interval"],
            hyperparam_mutations=mutations, quantile_fraction=s["quantile_fraction"],
            resample_probability=s["resample_probability"],
            custom_explore_fn=_Clip([dims[n] for n in s["mutations"]]),
            synch=s["synch"])
    return None


class _Clip:
    """PBT's explore step multiplies values by 0.8 or 1.2: keep them in the spec's bounds
    (and integers for integer fields)."""

    def __init__(self, dims: list[Any]) -> None:
        self.dims = dims

    def __call__(self, config: dict[str, Any]) -> dict[str, Any]:
        for d in self.dims:
            config[d.name] = d.cast(config[d.name])
        return config


def _import_ray() -> tuple[Any, Any]:
    try:
        import ray
        from ray import tune
    except ImportError as err:
        raise MissingDependencyError(
            f"softrl tune needs Ray Tune ({err}); install it with pip install "
            "\"softrl[tune]\" (or pip install \"ray[tune]\")") from err
    return ray, tune


def _init_ray(ray: Any, spec: TuneSpec, address: str | None, log_to_driver: bool) -> bool:
    """Start (or connect to) Ray unless this process already did; True if we must stop it."""
    if ray.is_initialized():
        return False
    if address:
        ray.init(address=address, include_dashboard=False, logging_level="warning",
                 log_to_driver=log_to_driver)
    else:
        ray.init(num_cpus=spec.num_cpus or os.cpu_count() or 1, include_dashboard=False,
                 logging_level="warning", log_to_driver=log_to_driver)
    return True

