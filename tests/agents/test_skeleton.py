"""Issue 11's proof: an agent written only against the bases (tests/agents/toy_agent.py, under
60 lines) gets learn, callbacks, checkpoints, exact resume, `softrl eval` and `softrl plot`."""

import json

import numpy as np
import pytest
import torch
from toy_agent import ToyAgent

from softrl.agents import (
    AGENTS,
    CheckpointCallback,
    EvalCallback,
    StopOnReward,
    load_agent,
)
from softrl.cli.main import main
from softrl.training.checkpoint import is_checkpoint
from softrl.training.toy_env import POINT_MASS_ID as TOY_ID

FAST = {"torch_threads": 1, "log_every": 20}


def params(agent) -> list[torch.Tensor]:
    return [p.detach().clone() for m in agent._modules().values() for p in m.parameters()]


def test_toy_agent_learns_through_the_base_loop() -> None:
    agent = ToyAgent(TOY_ID, seed=0, **FAST)
    before = agent.evaluate(10)["mean_return"]
    agent.learn(400)
    after = agent.evaluate(10)["mean_return"]
    assert agent.num_updates == 400 - 20
    assert before < -1.0 and after > -0.5, (before, after)
    assert AGENTS["Toy"] is ToyAgent


def test_callbacks_eval_best_model_stop_and_checkpoint(tmp_path) -> None:
    agent = ToyAgent(TOY_ID, seed=0, **FAST)
    best = tmp_path / "best"
    evaluate = EvalCallback(every=50, n_episodes=3, best_model_path=best)
    ckpts = CheckpointCallback(every=100, path=tmp_path / "ckpts", keep=0)
    agent.learn(2000, callback=[evaluate, StopOnReward(-0.4), ckpts])
    # Stopped early, at an evaluation step, once the threshold was reached.
    assert agent.num_steps < 2000 and agent.num_steps % 50 == 0
    assert agent.last_evaluation["mean_return"] >= -0.4
    assert evaluate.best_mean_return == agent.last_evaluation["mean_return"]
    # The best model was saved atomically and scores what the callback saw.
    assert is_checkpoint(best) and not list(tmp_path.glob(".best*"))
    assert load_agent(best).evaluate(3)["mean_return"] == pytest.approx(evaluate.best_mean_return)
    # One checkpoint per 100 steps, each complete (no temporary directories left behind).
    steps = sorted(int(p.name[5:]) for p in (tmp_path / "ckpts").glob("step_*"))
    assert steps == list(range(100, agent.num_steps + 1, 100))
    assert all(is_checkpoint(p) for p in (tmp_path / "ckpts").glob("step_*"))
    assert not list((tmp_path / "ckpts").glob(".*tmp*"))


def test_toy_agent_resumes_exactly_and_runs_in_the_cli(tmp_path, capsys) -> None:
    cfg = {**FAST, "checkpoint_every": 60}
    full = ToyAgent(TOY_ID, seed=2, run_dir=tmp_path / "full", **cfg).learn(200)
    ToyAgent(TOY_ID, seed=2, run_dir=tmp_path / "cut", **cfg).learn(150)  # "killed" at 150
    resumed = load_agent(tmp_path / "cut", run_dir=tmp_path / "cut")
    assert isinstance(resumed, ToyAgent) and resumed.num_steps == 120
    resumed.learn(80)
    for a, b in zip(params(full), params(resumed), strict=True):
        assert torch.equal(a, b)
    obs = np.linspace(-1, 1, 5, dtype=np.float32)[:, None]
    np.testing.assert_array_equal(full.act(obs), resumed.act(obs))

    resumed.checkpoint()
    assert main(["eval", str(tmp_path / "cut"), "--episodes", "2"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["agent"] == "Toy" and out["steps"] == 200 and out["episodes"] == 2
    assert main(["plot", str(tmp_path / "cut"), "--keys", "losses/policy"]) == 0
    assert (tmp_path / "cut" / "learning_curve.png").stat().st_size > 1000


def test_on_policy_base_learns_and_bootstraps_truncations() -> None:
    from toy_on_policy import ToyActorCritic

    agent = ToyActorCritic(TOY_ID, seed=0, n_envs=2, torch_threads=1, gamma=0.9)
    before = agent.evaluate(10)["mean_return"]
    agent.learn(3000)
    assert agent.num_steps == 3000 and agent.num_updates == 3000 // 40 * 2 * 2
    after = agent.evaluate(10)["mean_return"]
    assert after > -0.5 and after > before + 1.0, (before, after)
    # Every episode of the point mass is truncated at 10 steps: the rollout bootstraps each
    # cut with V(final observation), never with 0 (the rollout's terminated flags stay 0).
    assert agent.rollout.terminated.sum() == 0 and agent.rollout.ended.sum() > 0
