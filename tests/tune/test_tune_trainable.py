"""The trial's checkpoint round trip without Ray: continuing from a Tune checkpoint equals an
uninterrupted run bit for bit, and a PBT exploit loads the donor's state under the new
hyperparameters (its optimizer moments kept, its learning rate replaced)."""

import json

import pytest
import torch
from tune_specs import tiny_spec

from softrl.tune import load_spec
from softrl.tune.sweep import _job
from softrl.tune.trainable import (
    AGENT_DIR,
    TRIAL_FILE,
    build_agent,
    own_checkpoints,
    restore_agent,
    trial_hyperparameters,
)


def _save(agent, path, trial_id):
    agent.save(path / AGENT_DIR)
    (path / TRIAL_FILE).write_text(json.dumps({"trial_id": trial_id,
                                               "num_steps": agent.num_steps}))


def _same_parameters(a, b):
    pa, pb = a.get_parameters(), b.get_parameters()
    return pa.keys() == pb.keys() and all(
        torch.equal(pa[n][k], pb[n][k]) for n in pa for k in pa[n])


def test_resume_from_a_trial_checkpoint_equals_an_uninterrupted_run(tmp_path):
    spec = load_spec(tiny_spec(tmp_path))
    job = _job(spec)
    hyper = trial_hyperparameters({"config_index": 1, "seed": 1, "learning_rate": 3e-3}, job)
    assert hyper == spec.hyperparameters({"learning_rate": 3e-3}, 1)
    whole = build_agent(job, hyper).learn(200)
    half = build_agent(job, hyper).learn(100)
    _save(half, tmp_path / "checkpoint_000000", "t1")
    resumed, info = restore_agent(tmp_path / "checkpoint_000000", job, hyper)
    assert info == {"trial_id": "t1", "num_steps": 100}
    resumed.learn(100)
    assert resumed.num_steps == whole.num_steps == 200
    assert resumed.num_updates == whole.num_updates
    assert _same_parameters(resumed, whole)
    assert resumed.evaluate(2) == whole.evaluate(2)


def test_exploit_loads_donor_state_with_the_new_learning_rate(tmp_path):
    job = _job(load_spec(tiny_spec(tmp_path)))
    donor_hyper = trial_hyperparameters({"config_index": 0, "seed": 0,
                                         "learning_rate": 1e-3}, job)
    donor = build_agent(job, donor_hyper).learn(100)
    _save(donor, tmp_path / "ckpt", "donor")
    new = {**donor_hyper, "learning_rate": 2.5e-3, "tau": 0.02}
    agent, info = restore_agent(tmp_path / "ckpt", job, new)
    assert info["trial_id"] == "donor" and agent.num_steps == 100
    assert agent.config.learning_rate == 2.5e-3 and agent.config.tau == 0.02
    assert _same_parameters(agent, donor)
    for name, opt in agent._optimizers().items():
        ref = donor._optimizers()[name]
        assert all(g["lr"] == 2.5e-3 for g in opt.param_groups)
        assert all(g["lr"] == 1e-3 for g in ref.param_groups)
        for p, q in zip(opt.param_groups[0]["params"], ref.param_groups[0]["params"],
                        strict=True):
            assert torch.equal(opt.state[p]["exp_avg"], ref.state[q]["exp_avg"])


def test_own_checkpoints_newest_first_and_only_this_trials(tmp_path):
    for i, (trial, steps) in enumerate([("a", 100), ("a", 300), ("b", 400), ("a", 200)]):
        d = tmp_path / f"checkpoint_{i:06d}"
        d.mkdir()
        (d / TRIAL_FILE).write_text(json.dumps({"trial_id": trial, "num_steps": steps}))
    (tmp_path / "checkpoint_000009").mkdir()
    (tmp_path / "checkpoint_000009" / TRIAL_FILE).write_text("{half written")
    found = own_checkpoints(tmp_path, "a")
    assert [info["num_steps"] for _, info in found] == [300, 200, 100]
    assert found[0][0] == tmp_path / "checkpoint_000001"


def test_own_checkpoints_after_an_exploit_only_those_of_the_same_lineage(tmp_path):
    # trial "a" wrote 100..400 itself, then a PBT exploit loaded "b"'s checkpoint at step 200
    # and "a" continued from there (300 again): a restore from its checkpoint at 300 must
    # not go back to the one at 400 of its own run before the exploit.
    exploit = [["b", 200]]
    for i, (steps, lineage) in enumerate([(100, []), (400, []), (300, exploit), (400, None)]):
        d = tmp_path / f"checkpoint_{i:06d}"
        d.mkdir()
        info = {"trial_id": "a", "num_steps": steps}
        if lineage is not None:
            info["lineage"] = lineage
        (d / TRIAL_FILE).write_text(json.dumps(info))
    after = own_checkpoints(tmp_path, "a", lineage=exploit)
    assert [(p.name, info["num_steps"]) for p, info in after] == [("checkpoint_000002", 300)]
    before = own_checkpoints(tmp_path, "a", lineage=[])
    assert {p.name for p, _ in before} == {"checkpoint_000000", "checkpoint_000001",
                                           "checkpoint_000003"}
    assert len(own_checkpoints(tmp_path, "a")) == 4


def test_own_checkpoints_on_a_pyarrow_filesystem_equal_the_local_listing(tmp_path):
    fs = pytest.importorskip("pyarrow.fs")
    for i, steps in enumerate([100, 200]):
        d = tmp_path / f"checkpoint_{i:06d}"
        d.mkdir()
        (d / TRIAL_FILE).write_text(json.dumps({"trial_id": "a", "num_steps": steps}))
    (tmp_path / "checkpoint_000002").mkdir()  # being written: no trial.json yet
    remote = own_checkpoints(str(tmp_path), "a", fs.LocalFileSystem())
    local = own_checkpoints(tmp_path, "a")
    assert [(str(p), i) for p, i in local] == [(p, i) for p, i in remote]
    assert [i["num_steps"] for _, i in remote] == [200, 100]
