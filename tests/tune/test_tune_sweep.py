"""Sweeps on a real (local) Ray: trial == the same seeded run outside Tune, bit for bit; a sweep
killed mid-way resumes with no trial lost or restarted; a PBT exploit loads a checkpoint.

One Ray (2 CPUs) serves the whole module; the killed sweep runs in a subprocess connected to it
with --address, so that killing it leaves this process's Ray alive for the restore.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import tomllib
import torch
from tune_specs import tiny_spec

from softrl.agents import AGENTS, Callback
from softrl.cli.train import _parse
from softrl.training.checkpoint import CheckpointError, load_checkpoint
from softrl.tune import load_spec, run
from softrl.tune.results import write_config_toml
from softrl.tune.trainable import AGENT_DIR, TRIAL_FILE, own_checkpoints, restore_agent

ray = pytest.importorskip("ray")

TOTAL = 300


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, logging_level="warning",
             log_to_driver=False)
    yield ray.get_runtime_context().gcs_address
    ray.shutdown()


class _Record(Callback):
    def __init__(self, every):
        self.every, self.returns = every, []

    def on_step(self, agent):
        if agent.num_steps % self.every == 0:
            self.returns.append(agent.last_evaluation["mean_return"])
        return True


@pytest.fixture(scope="module")
def plain_runs(tmp_path_factory):
    """The four trials of tiny_spec trained outside Tune: (config_index, seed) -> (returns at
    every evaluation, final agent)."""
    spec = load_spec(tiny_spec(tmp_path_factory.mktemp("plain"),
                               budget={"total_timesteps": TOTAL, "eval_every": 100,
                                       "eval_episodes": 2}))
    out = {}
    for index, config in enumerate(spec.configurations()):
        for seed in spec.seeds:
            record = _Record(spec.eval_every)
            agent = AGENTS[spec.agent](spec.env, tensorboard=False,
                                       **spec.hyperparameters(config, seed))
            agent.learn(spec.total_timesteps, callback=record)
            out[index, seed] = record.returns, agent
    return out


def _spec(output, **changes):
    return tiny_spec(output, budget={"total_timesteps": TOTAL, "eval_every": 100,
                                     "eval_episodes": 2}, **changes)


def _same_parameters(a, b):
    pa, pb = a.get_parameters(), b.get_parameters()
    return all(torch.equal(pa[n][k], pb[n][k]) for n in pa for k in pa[n])


def _check_equal_to_plain_runs(sweep, spec, plain_runs):
    job = {"agent": spec.agent, "env": spec.env}
    for row in sweep.trials:
        returns, agent = plain_runs[row["config_index"], row["seed"]]
        history = sweep.histories[row["trial_id"]]
        n = len(history["num_steps"])
        assert history["num_steps"] == [100 * (i + 1) for i in range(n)], row
        assert history["mean_return"] == returns[:n], row  # bit for bit
        if n == len(returns):
            path, info = own_checkpoints(row["path"], row["trial_id"])[0]
            final, _ = restore_agent(path, job, spec.hyperparameters(
                {"learning_rate": row["learning_rate"]}, row["seed"]))
            assert info["num_steps"] == TOTAL and _same_parameters(final, agent)


def test_trials_equal_plain_runs_under_asha_and_results_are_written(local_ray, tmp_path,
                                                                      plain_runs):
    spec = load_spec(_spec(tmp_path / "asha", scheduler={
        "type": "asha", "grace_period": 100, "reduction_factor": 2, "max_t": TOTAL}))
    sweep = run(spec, verbose=0)
    assert len(sweep.trials) == 4 and not sweep.errors
    assert {r["status"] for r in sweep.trials} <= {"complete", "stopped"}
    assert any(r["status"] == "complete" for r in sweep.trials)
    _check_equal_to_plain_runs(sweep, spec, plain_runs)
    # results: table, curves, best config (accepted by softrl train --config)
    lines = sweep.table_path.read_text().splitlines()
    assert lines[0].startswith("trial_id,config_index,seed,learning_rate,status")
    assert len(lines) == 5
    assert sweep.curves_path.stat().st_size > 10_000
    best = tomllib.loads(sweep.best_config_path.read_text())
    complete = [r for r in sweep.trials if r["status"] == "complete"]
    by_config = {}
    for r in complete:
        by_config.setdefault(r["config_index"], []).append(r["mean_return"])
    full = {i: sum(v) / len(v) for i, v in by_config.items() if len(v) == len(spec.seeds)}
    if full:
        assert sweep.best_index == max(full, key=full.get)
    assert best["learning_rate"] == spec.configurations()[sweep.best_index]["learning_rate"]
    args, _ = _parse("sac", AGENTS["SAC"], ["--config", str(sweep.best_config_path)])
    assert args.hp.learning_rate == best["learning_rate"] and args.hp.hidden_sizes == (16, 16)
    assert args.hp.eval_every == 100 and args.hp.batch_size == 16


def test_killed_sweep_resumes_without_losing_or_restarting_a_trial(local_ray, tmp_path,
                                                                     plain_runs):
    spec_file = tmp_path / "spec.toml"
    spec = _spec(tmp_path / "out")
    write_config_toml(spec_file, {k: v for k, v in spec.items() if not isinstance(v, dict)})
    with spec_file.open("a") as f:
        for table in ("fixed", "space", "budget", "resources"):
            f.write(f"[{table}]\n")
            for k, v in spec[table].items():
                f.write(f"{k} = {_inline(v)}\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "softrl.cli.main", "tune", str(spec_file), "--address",
         local_ray, "--verbose", "0"], start_new_session=True, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    sweep_dir = tmp_path / "out" / "sweep"
    deadline = time.monotonic() + 120
    # Kill once a trial has reported (its checkpoint is on disk) and before any finished.
    while not any(len(p.read_text().splitlines()) >= 2
                  for p in sweep_dir.glob("*/progress.csv")):
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        assert time.monotonic() < deadline, "the sweep reported nothing in 120 s"
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    # The trial actors live in the module's Ray, not in the killed process group: Ray kills
    # them once it notices their driver is gone, and until then a trial may write one more
    # checkpoint. Read the folders only after that (what a resumed sweep finds too).
    _wait_until_dead(_other_jobs_actors())
    before = {p.parent.name: _newest_intact(p.parent) for p in sweep_dir.glob("*/params.json")}
    assert any(before.values())
    with pytest.raises(ValueError, match="already holds a sweep; continue it with --resume"):
        run(spec_file, verbose=0)
    sweep = run(spec_file, resume=True, verbose=0)
    assert len(sweep.trials) == 4 and not sweep.errors
    assert all(r["status"] == "complete" and r["num_steps"] == TOTAL for r in sweep.trials)
    _check_equal_to_plain_runs(sweep, load_spec(spec_file), plain_runs)
    resumed = 0
    for row in sweep.trials:
        newest = before.get(Path(row["path"]).name)
        if newest:  # it continued from its newest intact checkpoint written before the kill
            history = sweep.histories[row["trial_id"]]
            # (a trial that had finished unseen by Tune's state reports its end once more)
            first_after = history["num_steps"].index(min(newest + 100, TOTAL))
            assert history["loaded_step"][first_after] == newest
            assert history["loaded_from_trial"][first_after] == row["trial_id"]
            resumed += 1
    assert resumed >= 1


def test_pbt_exploit_loads_a_checkpoint(local_ray, tmp_path):
    spec = load_spec(_spec(tmp_path / "pbt", space={"learning_rate": {"choice": [3e-4, 3e-3]}},
                           scheduler={"type": "pbt", "perturbation_interval": 100,
                                      "quantile_fraction": 0.5,
                                      "resample_probability": 0.5,
                                      # synchronous: every trial waits at each perturbation
                                      # point, so an exploit happens however the 4 trials are
                                      # scheduled (asynchronous PBT may see too few results)
                                      "synch": True}))
    sweep = run(spec, verbose=0)
    assert not sweep.errors
    exploits = 0
    for row in sweep.trials:
        h = sweep.histories[row["trial_id"]]
        for steps, donor, step in zip(h["num_steps"], h["loaded_from_trial"], h["loaded_step"],
                                      strict=True):
            if donor and donor != row["trial_id"]:
                # the recipient continued from the donor's checkpoint, not from scratch
                # (a donor that had finished hands over its final state: nothing is left)
                assert step >= 100 and steps == min(step + 100, TOTAL)
                assert donor in sweep.histories and step in sweep.histories[donor]["num_steps"]
                exploits += 1
                break
    assert exploits >= 1
    assert all(r["learning_rate"] in (3e-4, 3e-3) for r in sweep.trials)


def _other_jobs_actors():
    """Process ids of the actors in this Ray that the test process does not own."""
    from ray._private.state import actors  # the GCS actor table (no dashboard needed)

    mine = ray.get_runtime_context().get_job_id()
    return {a["Pid"] for a in actors().values() if a["JobID"] != mine and a["Pid"]}


def _wait_until_dead(pids, timeout=60):
    deadline = time.monotonic() + timeout
    for pid in pids:
        while True:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            assert time.monotonic() < deadline, f"actor process {pid} outlived its driver"
            time.sleep(0.1)


def _newest_intact(trial_dir):
    """Step of the newest checkpoint in a trial folder that loads (one being written when the
    sweep was killed does not), or 0."""
    for path, info in own_checkpoints(trial_dir, info_trial_id(trial_dir)):
        try:
            load_checkpoint(path / AGENT_DIR)
        except CheckpointError:
            continue
        return info["num_steps"]
    return 0


def info_trial_id(trial_dir):
    """The trial id in the folder's checkpoints (written by the trial itself)."""
    for file in trial_dir.glob(f"checkpoint_*/{TRIAL_FILE}"):
        try:
            return json.loads(file.read_text())["trial_id"]
        except (ValueError, KeyError):
            continue
    return ""


def _inline(value):
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_inline(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_inline(v) for v in value) + "]"
    return repr(value) if not isinstance(value, str) else f'"{value}"'
