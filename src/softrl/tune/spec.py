"""Sweep specifications: a TOML file (or a dict) read and checked in full before Ray starts.

A spec names an agent kind and an env, fixed hyperparameters, a search space over any of the
agent's config fields, the seeds every configuration runs with, a scheduler, the budget and
the resources. Example (``examples/tune_toy.toml``)::

    agent = "SAC"
    env = "softrl/PointMass1D-v0"
    output = "out/tune/toy"
    metric = "mean_return"      # mean evaluation return, maximized
    seeds = [0, 1]              # every configuration runs with each seed
    num_samples = 2             # draws of the random (uniform/loguniform) part of the space
    sample_seed = 0             # seed of those draws

    [fixed]                     # hyperparameters shared by every trial
    hidden_sizes = [32, 32]

    [space]                     # one table per searched hyperparameter
    learning_rate = { loguniform = [1e-4, 1e-2] }
    batch_size = { choice = [32, 64] }   # choice and grid: every value is tried
    tau = { uniform = [0.005, 0.05] }

    [scheduler]
    type = "asha"               # "none", "asha" or "pbt"
    grace_period = 1000         # asha: env steps before a trial may be stopped
    reduction_factor = 2
    # pbt: perturbation_interval, quantile_fraction, resample_probability, mutations, synch

    [budget]
    total_timesteps = 5000
    eval_every = 1000           # env steps between evaluations (one report to Tune each)
    eval_episodes = 5

    [resources]
    cpus_per_trial = 1
    num_cpus = 2                # CPUs of the local Ray started by softrl (default: all)

The configurations are the product of the ``grid``/``choice`` values, times ``num_samples``
draws of the ``uniform``/``loguniform`` ones, drawn here with ``sample_seed`` so that every
seed of a configuration trains the same hyperparameters (Tune would draw them per trial).
A trial is one (configuration, seed) pair.
"""

from __future__ import annotations

import dataclasses
import difflib
import itertools
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from softrl.validation import check_names

__all__ = ["DISTRIBUTIONS", "SCHEDULERS", "SpecError", "TuneSpec", "load_spec"]

DISTRIBUTIONS = ("grid", "choice", "uniform", "loguniform")
"""Kinds of search dimension: ``grid`` and ``choice`` list values (all are tried),
``uniform`` and ``loguniform`` give ``[low, high]`` (drawn ``num_samples`` times)."""

SCHEDULERS = ("none", "asha", "pbt")

TOP_KEYS = ("agent", "env", "output", "metric", "seeds", "num_samples", "sample_seed", "imports",
            "fixed", "space", "scheduler", "budget", "resources")
BUDGET_KEYS = ("total_timesteps", "eval_every", "eval_episodes", "checkpoint_buffer")
RESOURCE_KEYS = ("cpus_per_trial", "gpus_per_trial", "num_cpus", "max_concurrent")
SCHEDULER_KEYS = {
    "none": ("type",),
    "asha": ("type", "grace_period", "reduction_factor", "max_t"),
    "pbt": ("type", "perturbation_interval", "quantile_fraction", "resample_probability",
            "mutations", "synch"),
}
RESERVED = ("seed", "eval_every", "eval_episodes", "checkpoint_every")
"""Config fields the spec sets elsewhere (``seeds`` and ``[budget]``)."""


class SpecError(ValueError):
    """A sweep spec that cannot run; the message names the field and the fix."""


@dataclass(frozen=True)
class Dimension:
    """One searched hyperparameter: ``kind`` in :data:`DISTRIBUTIONS` and its values/bounds."""

    name: str
    kind: str
    values: tuple[Any, ...]
    integer: bool = False
    """Round draws to integers (the config field is an int)."""

    @property
    def random(self) -> bool:
        """Whether the values are drawn (uniform/loguniform) rather than enumerated."""
        return self.kind in ("uniform", "loguniform")

    def draw(self, rng: np.random.Generator) -> float | int:
        """One draw of a uniform/loguniform dimension."""
        low, high = self.values
        if self.kind == "uniform":
            value = float(rng.uniform(low, high))
        else:
            value = float(math.exp(rng.uniform(math.log(low), math.log(high))))
        return self.cast(value)

    def cast(self, value: float) -> float | int:
        """``value`` clipped into ``[low, high]`` and rounded for an integer field."""
        if not self.random:
            return value
        value = min(max(float(value), self.values[0]), self.values[1])
        return int(round(value)) if self.integer else value


@dataclass(frozen=True)
class TuneSpec:
    """A checked sweep specification (build it with :func:`load_spec`)."""

    agent: str
    env: str
    output: Path
    fixed: dict[str, Any]
    space: tuple[Dimension, ...]
    seeds: tuple[int, ...] = (0,)
    num_samples: int = 1
    sample_seed: int = 0
    metric: str = "mean_return"
    imports: tuple[str, ...] = ()
    scheduler: dict[str, Any] = field(default_factory=lambda: {"type": "none"})
    total_timesteps: int = 10_000
    eval_every: int = 1_000
    eval_episodes: int = 5
    checkpoint_buffer: bool = True
    cpus_per_trial: float = 1.0
    gpus_per_trial: float = 0.0
    num_cpus: int | None = None
    max_concurrent: int = 0
    source: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """The spec as read (written next to the results)."""

    def configurations(self) -> list[dict[str, Any]]:
        """The searched hyperparameters of each configuration (seeds excluded), in order."""
        grid = [d for d in self.space if not d.random]
        drawn = [d for d in self.space if d.random]
        rng = np.random.default_rng(self.sample_seed)
        n_draws = self.num_samples if drawn else 1
        samples = [{d.name: d.draw(rng) for d in drawn} for _ in range(n_draws)]
        configs = []
        for sample in samples:
            for values in itertools.product(*(d.values for d in grid)):
                configs.append({**dict(zip((d.name for d in grid), values, strict=True)),
                                **sample})
        return configs

    def hyperparameters(self, config: Mapping[str, Any], seed: int) -> dict[str, Any]:
        """Every hyperparameter of a trial: fixed ones, the configuration, seed and budget."""
        threads = {} if "torch_threads" in self.fixed else {
            "torch_threads": max(1, int(self.cpus_per_trial))}
        return {**threads, **self.fixed, **config, "seed": int(seed),
                "eval_every": self.eval_every, "eval_episodes": self.eval_episodes,
                "checkpoint_every": 0}


def load_spec(spec: str | os.PathLike | Mapping[str, Any] | TuneSpec) -> TuneSpec:
    """Read (TOML file) and check a sweep spec; every error is a :class:`SpecError` naming
    the field. Nothing here imports Ray, so a bad spec fails before any worker starts."""
    if isinstance(spec, TuneSpec):
        return spec
    base = Path.cwd()
    if isinstance(spec, Mapping):
        data = dict(spec)
    else:
        path = Path(spec)
        try:
            text = path.read_text()
        except OSError as err:
            raise SpecError(f"cannot read the sweep spec {path}: {err}") from err
        import tomllib  # Python >= 3.11

        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise SpecError(f"sweep spec {path} is not valid TOML: {err}") from err
    return _check(data, base)


# ---------------------------------------------------------------------------- checking
def _check(data: dict[str, Any], base: Path) -> TuneSpec:
    check_names("the sweep spec", data, TOP_KEYS, what="field", error=SpecError)
    for key in ("agent", "env", "output"):
        if key not in data:
            raise SpecError(f"the sweep spec needs '{key}' (e.g. agent = \"SAC\", env = "
                            f"\"softrl/PointMass1D-v0\", output = \"out/tune/run\")")
        _require(isinstance(data[key], str) and data[key], key, "a non-empty string", data[key])
    imports = data.get("imports", [])
    _require(isinstance(imports, list) and all(isinstance(m, str) for m in imports), "imports",
             "a list of module names", imports)
    agent_cls = _agent_class(data["agent"], imports)
    config_cls = agent_cls.config_class
    fields = sorted(f.name for f in dataclasses.fields(config_cls))
    metric = data.get("metric", "mean_return")
    _require(metric == "mean_return", "metric", "'mean_return' (the mean evaluation return, "
             "maximized)", metric)

    fixed = _table(data, "fixed")
    space_raw = _table(data, "space")
    for section, table in (("fixed", fixed), ("space", space_raw)):
        for name in table:
            if name in RESERVED:
                where = "'seeds'" if name == "seed" else "[budget]"
                raise SpecError(f"{section}.{name}: set by the sweep itself; use {where}")
            if name not in fields:
                valid = [f for f in fields if f not in RESERVED]
                close = difflib.get_close_matches(name, valid, n=2)
                hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
                raise SpecError(
                    f"{section}.{name}: {agent_cls.kind} has no hyperparameter {name!r}.{hint} "
                    f"Its hyperparameters: {', '.join(valid)}")
    both = sorted(set(fixed) & set(space_raw))
    if both:
        raise SpecError(f"space.{both[0]}: also in [fixed]; keep it in one of the two")
    if not space_raw:
        raise SpecError("space: the search space is empty; add at least one table such as "
                        "learning_rate = { loguniform = [1e-4, 1e-2] } (to run seeds only, "
                        "use grid = [value])")
    types = {f.name: str(f.type) for f in dataclasses.fields(config_cls)}
    space = tuple(_dimension(name, value, types[name] == "int")
                  for name, value in space_raw.items())

    seeds = data.get("seeds", [0])
    _require(isinstance(seeds, list) and seeds and all(_is_int(s) and s >= 0 for s in seeds)
             and len(set(seeds)) == len(seeds), "seeds",
             "a non-empty list of distinct integers >= 0", seeds)
    num_samples = data.get("num_samples", 1)
    _require(_is_int(num_samples) and num_samples >= 1, "num_samples", "an integer >= 1",
             num_samples)
    sample_seed = data.get("sample_seed", 0)
    _require(_is_int(sample_seed) and sample_seed >= 0, "sample_seed", "an integer >= 0",
             sample_seed)

    budget = _table(data, "budget")
    check_names("[budget]", budget, BUDGET_KEYS, what="field", error=SpecError)
    total = budget.get("total_timesteps", 10_000)
    _require(_is_int(total) and total >= 1, "budget.total_timesteps", "an integer >= 1", total)
    every = budget.get("eval_every", min(1_000, total))
    _require(_is_int(every) and 1 <= every <= total and total % every == 0,
             "budget.eval_every", f"an integer in [1, total_timesteps={total}] that divides "
             "total_timesteps (each evaluation is a report to Tune)", every)
    episodes = budget.get("eval_episodes", 5)
    _require(_is_int(episodes) and episodes >= 1, "budget.eval_episodes", "an integer >= 1",
             episodes)
    keep_buffer = budget.get("checkpoint_buffer", True)
    _require(isinstance(keep_buffer, bool), "budget.checkpoint_buffer", "true or false",
             keep_buffer)

    resources = _table(data, "resources")
    check_names("[resources]", resources, RESOURCE_KEYS, what="field", error=SpecError)
    cpus = resources.get("cpus_per_trial", 1)
    _require(_is_number(cpus) and cpus > 0, "resources.cpus_per_trial", "a number > 0", cpus)
    gpus = resources.get("gpus_per_trial", 0)
    _require(_is_number(gpus) and gpus >= 0, "resources.gpus_per_trial", "a number >= 0", gpus)
    num_cpus = resources.get("num_cpus")
    _require(num_cpus is None or (_is_int(num_cpus) and num_cpus >= 1), "resources.num_cpus",
             "an integer >= 1", num_cpus)
    if num_cpus is not None and cpus > num_cpus:
        raise SpecError(f"resources.cpus_per_trial: {cpus} is more than resources.num_cpus = "
                        f"{num_cpus}; no trial could ever start")
    concurrent = resources.get("max_concurrent", 0)
    _require(_is_int(concurrent) and concurrent >= 0, "resources.max_concurrent",
             "an integer >= 0 (0: as many as the CPUs allow)", concurrent)

    scheduler = _scheduler(_table(data, "scheduler"), space, total)
    output = Path(data["output"])
    spec = TuneSpec(
        agent=agent_cls.kind, env=data["env"], output=output if output.is_absolute()
        else base / output, fixed=fixed, space=space, seeds=tuple(int(s) for s in seeds),
        num_samples=int(num_samples), sample_seed=int(sample_seed), metric=metric,
        imports=tuple(imports), scheduler=scheduler, total_timesteps=int(total),
        eval_every=int(every), eval_episodes=int(episodes), checkpoint_buffer=keep_buffer,
        cpus_per_trial=float(cpus), gpus_per_trial=float(gpus),
        num_cpus=None if num_cpus is None else int(num_cpus), max_concurrent=int(concurrent),
        source=data)
    _check_values(spec, agent_cls)
    return spec


def _agent_class(kind: str, imports: list[str]) -> type:
    import importlib

    import softrl.agents  # noqa: F401 - registers the built-in agents
    from softrl.agents import AGENTS

    for module in imports:
        try:
            importlib.import_module(module)
        except ImportError as err:
            raise SpecError(f"imports: cannot import {module!r}: {err}") from err
    by_name = {k.lower(): cls for k, cls in AGENTS.items()}
    if kind.lower() not in by_name:
        raise SpecError(f"agent: unknown agent {kind!r}; known agents: "
                        f"{', '.join(sorted(AGENTS))} (a third-party agent's module goes in "
                        "'imports')")
    return by_name[kind.lower()]


def _dimension(name: str, value: Any, integer: bool) -> Dimension:
    where = f"space.{name}"
    if not isinstance(value, dict) or len(value) != 1:
        raise SpecError(f"{where}: must be a table with one key among {', '.join(DISTRIBUTIONS)}"
                        f", e.g. {name} = {{ choice = [1, 2] }}; got {value!r}")
    (kind, values), = value.items()
    if kind not in DISTRIBUTIONS:
        raise SpecError(f"{where}: unknown distribution {kind!r}; use one of "
                        f"{', '.join(DISTRIBUTIONS)}")
    if not isinstance(values, list) or not values:
        raise SpecError(f"{where}.{kind}: must be a non-empty list; got {values!r}")
    if kind in ("uniform", "loguniform"):
        ok = len(values) == 2 and all(_is_number(v) for v in values) and values[0] < values[1]
        _require(ok, f"{where}.{kind}", "[low, high] with numbers low < high", values)
        if kind == "loguniform" and values[0] <= 0:
            raise SpecError(f"{where}.loguniform: bounds must be > 0; got {values!r}")
        values = [float(v) for v in values]
        if integer and math.ceil(values[0]) > math.floor(values[1]):
            raise SpecError(f"{where}.{kind}: {name} is an integer and no integer lies in "
                            f"{values!r}")
    elif any(values[i] == v for i, v in enumerate(values) for v in values[i + 1:]):
        raise SpecError(f"{where}.{kind}: values must be distinct; got {values!r}")
    return Dimension(name, kind, tuple(values), integer and kind in ("uniform", "loguniform"))


def _scheduler(table: dict[str, Any], space: tuple[Dimension, ...],
               total: int) -> dict[str, Any]:
    kind = table.get("type", "none")
    if kind not in SCHEDULERS:
        raise SpecError(f"scheduler.type: unknown scheduler {kind!r}; use one of "
                        f"{', '.join(map(repr, SCHEDULERS))}")
    check_names(f"the {kind!r} scheduler", table, SCHEDULER_KEYS[kind], what="field",
                error=SpecError)
    out: dict[str, Any] = {"type": kind}
    if kind == "asha":
        out["max_t"] = table.get("max_t", total)
        _require(_is_int(out["max_t"]) and 1 <= out["max_t"] <= total, "scheduler.max_t",
                 f"an integer in [1, total_timesteps={total}] (env steps)", out["max_t"])
        out["grace_period"] = table.get("grace_period", max(1, total // 10))
        _require(_is_int(out["grace_period"]) and 1 <= out["grace_period"] <= out["max_t"],
                 "scheduler.grace_period", "an integer in [1, max_t] (env steps)",
                 out["grace_period"])
        out["reduction_factor"] = table.get("reduction_factor", 4)
        _require(_is_number(out["reduction_factor"]) and out["reduction_factor"] > 1,
                 "scheduler.reduction_factor", "a number > 1", out["reduction_factor"])
    elif kind == "pbt":
        out["perturbation_interval"] = table.get("perturbation_interval", max(1, total // 5))
        _require(_is_int(out["perturbation_interval"]) and out["perturbation_interval"] >= 1,
                 "scheduler.perturbation_interval", "an integer >= 1 (env steps)",
                 out["perturbation_interval"])
        out["quantile_fraction"] = table.get("quantile_fraction", 0.25)
        _require(_is_number(out["quantile_fraction"])
                 and 0 < out["quantile_fraction"] <= 0.5, "scheduler.quantile_fraction",
                 "a number in (0, 0.5]", out["quantile_fraction"])
        out["resample_probability"] = table.get("resample_probability", 0.25)
        _require(_is_number(out["resample_probability"])
                 and 0 <= out["resample_probability"] <= 1, "scheduler.resample_probability",
                 "a number in [0, 1]", out["resample_probability"])
        names = [d.name for d in space]
        mutations = table.get("mutations", names)
        _require(isinstance(mutations, list) and mutations
                 and all(isinstance(m, str) for m in mutations), "scheduler.mutations",
                 "a non-empty list of names from [space]", mutations)
        unknown = [m for m in mutations if m not in names]
        if unknown:
            raise SpecError(f"scheduler.mutations: {unknown[0]!r} is not in [space]; PBT "
                            f"mutates searched hyperparameters only: {', '.join(names)}")
        out["mutations"] = list(mutations)
        out["synch"] = table.get("synch", False)
        _require(isinstance(out["synch"], bool), "scheduler.synch",
                 "true (every trial waits at each perturbation point, so the bottom quantile "
                 "always exploits the top one) or false (Ray's asynchronous PBT)", out["synch"])
    return out


def _check_values(spec: TuneSpec, agent_cls: type) -> None:
    """Build the agent's config for the fixed values and every searched value (bounds too),
    so that a bad type or range fails now, naming the spec field."""
    from softrl.agents.config import make_config

    def attempt(where: str, hyper: dict[str, Any]) -> None:
        try:
            make_config(agent_cls.config_class, agent_cls.kind,
                        **spec.hyperparameters(hyper, spec.seeds[0]))
        except (ValueError, TypeError) as err:
            raise SpecError(f"{where}: {err}") from err

    attempt("fixed", {})
    first = {d.name: d.cast(d.values[0]) for d in spec.space}
    for d in spec.space:
        for value in (d.values if not d.random else [d.cast(v) for v in d.values]):
            attempt(f"space.{d.name}", {**first, d.name: value})


def _table(data: dict[str, Any], key: str) -> dict[str, Any]:
    table = data.get(key, {})
    if not isinstance(table, dict):
        raise SpecError(f"{key}: must be a table ([{key}]); got {table!r}")
    return dict(table)


def _require(ok: Any, where: str, what: str, value: Any) -> None:
    if not ok:
        raise SpecError(f"{where}: must be {what}; got {value!r}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
