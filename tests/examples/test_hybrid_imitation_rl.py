"""Gallery claim: on the exact hybrid objective, imitation alone stops at the demonstrator,
RL alone starts slowly, and lambda annealed from 10 to 0 gets to the demonstrator's level as
fast as imitation and ends beyond it (fast mode: 400 steps); the exact return matches
softrl.planning's policy evaluation."""

import importlib.util
from pathlib import Path

import numpy as np
import torch

from softrl.envs import gridworld
from softrl.imitation.tabular import exact_return, hybrid_objective
from softrl.planning import policy_evaluation

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "hybrid_imitation_rl.py"


def test_claim(tmp_path) -> None:
    spec = importlib.util.spec_from_file_location("hybrid_imitation_rl", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    c = module.main(tmp_path, fast=True)
    assert c["exact_return_check"] < 1e-10
    assert abs(c["final_bc"] - c["demo_return"]) < 0.05 * c["demo_return"]  # only as good
    assert c["steps_to_demo_level_anneal"] <= 1.2 * c["steps_to_demo_level_bc"]
    assert c["steps_to_demo_level_rl"] == -1 or \
        c["steps_to_demo_level_rl"] > 3 * c["steps_to_demo_level_anneal"]
    assert c["final_anneal"] > 1.3 * c["demo_return"] and c["final_anneal"] > c["final_rl"]
    fixed = [c[f"final_fixed_lambda_{lam:g}"] for lam in (0.3, 1.0, 3.0, 10.0)]
    assert all(a > b for a, b in zip(fixed, fixed[1:], strict=False))
    assert (tmp_path / "hybrid_imitation_rl.png").stat().st_size > 5000


def test_exact_return_and_gradient() -> None:
    mdp = gridworld(3, slip=0.2, gamma=0.9).mdp
    rng = np.random.default_rng(0)
    logits = torch.tensor(rng.normal(size=mdp.shape), requires_grad=True)
    pi = torch.softmax(logits, -1).detach().numpy()
    expected = float(mdp.initial @ policy_evaluation(mdp, pi)[0])
    assert abs(float(exact_return(mdp, logits).detach()) - expected) < 1e-12
    counts = rng.integers(0, 3, size=mdp.shape).astype(float)
    f = lambda x: float(hybrid_objective(mdp, x, counts, 0.7)[0])  # noqa: E731
    (grad,) = torch.autograd.grad(hybrid_objective(mdp, logits, counts, 0.7)[0], logits)
    eps, x = 1e-6, logits.detach()
    for s, a in [(0, 0), (4, 2), (7, 3)]:
        d = torch.zeros_like(x)
        d[s, a] = eps
        assert abs((f(x + d) - f(x - d)) / (2 * eps) - float(grad[s, a])) < 1e-7
