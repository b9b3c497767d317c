"""Gallery entry (seeds 003, 004): fine-tuning on MultiGoal with the favoured goal removed. The
fast mode pretrains 300 steps and fine-tunes 200; the steps-to-threshold comparison over 5 seeds
is in bench/RESULTS.md (examples/finetune_transfer.py --seeds 0 1 2 3 4)."""

import importlib.util
from pathlib import Path

import numpy as np

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "finetune_transfer.py"


def _module():
    spec = importlib.util.spec_from_file_location("finetune_transfer", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_steps_to_threshold_and_summary(tmp_path) -> None:
    m = _module()
    assert m.steps_to_threshold([0.0, 0.5, 0.95, 1.0], 250, 0.9) == 500
    assert m.steps_to_threshold([0.0, 0.5], 250, 0.9) is None
    assert m.steps_to_threshold([1.0, 0.1, 0.95], 250, 0.9) is None  # one lucky evaluation
    assert m.steps_to_threshold([1.0, 0.1, 0.95], 250, 0.9, hold=1) == 0
    runs = [{"seed": s, **{name: {"curve": curve} for name, curve in zip(
        m.LEARNERS, ([0.8, 0.9, 1.0], [0.0, 0.95, 1.0], [0.0, 0.1, 0.2], [0.0, 0.0, 0.9]),
        strict=True)}} for s in (0, 1)]
    result = m.summarize(runs, tmp_path, 100, 200, 100, 0.9)
    assert result["SQL_median_steps"] == 100 and result["SAC_median_steps"] == 100
    assert result["SAC_hard_steps_to_threshold"] == [None, None]
    assert result["SAC_hard_median_steps"] == 300  # not reached: counted as budget + eval_every
    assert result["SQL_scratch_median_steps"] == 300  # 0.9 at the last evaluation only


def test_fast_mode(tmp_path) -> None:
    m = _module()
    run = m.run_seed(0, pretrain_steps=300, budget=200, eval_every=100, quick=True)
    for name in m.LEARNERS:
        curve = np.array(run[name]["curve"])
        assert len(curve) == 3 and np.all((curve >= 0) & (curve <= 1))
    for name in ("SQL", "SAC", "SAC_hard"):
        hist = run[name]["source_histogram"]
        assert sum(hist) == 50 and hist[run[name]["removed_goal"]] == max(hist[:4])
    # the removed goal is gone from the target: a policy driving to it never succeeds
    goal = m.MultiGoal(removed_goal=run["SQL"]["removed_goal"])
    target = np.array([[5, 0], [-5, 0], [0, 5], [0, -5]])[run["SQL"]["removed_goal"]] / 5.0
    goals, _, _ = m.rollouts(lambda o: target.astype(np.float32), 2, env=goal)
    assert (goals == -1).all()
    m.summarize([run], tmp_path, 300, 200, 100, 0.9)
    assert (tmp_path / "finetune_transfer.png").stat().st_size > 10_000
