"""Gallery claim: an action prior inside the soft max equals the uniform-prior pass on the
reward r + T log p(a|s) (seed 004, proof 1), to 1e-12; and both are the exact posterior of the
graphical model with p(a|s), checked by enumerating every trajectory."""

import importlib.util
from pathlib import Path

import numpy as np

from softrl.inference import log_evidence, soft_backward

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "action_prior_folding.py"


def load():
    spec = importlib.util.spec_from_file_location("action_prior_folding", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_claim(tmp_path) -> None:
    module = load()
    result = module.main(tmp_path, fast=True)
    assert max(result.values()) < 1e-12, result
    assert (tmp_path / "action_prior_folding.png").stat().st_size > 20_000


def test_enumeration() -> None:
    """p(a_0 | s_0, O) and log p(O) from all paths weighted p(s_0) prod p(a|s) p(s'|s,a) e^{r/T}."""
    module = load()
    mdp, prior = module.problem(seed=3, n_states=4, horizon=3)
    T = 0.7
    P, S, A = mdp.dense_transitions(), 4, 4
    paths = [(np.log(mdp.initial[s]), s, s, None) for s in range(S)]  # (log w, s0, s, a0)
    for t in range(mdp.horizon):
        paths = [(lw + np.log(prior[s, a]) + np.log(P[s, a, s2]) + mdp.reward[s, a] / T,
                  s0, s2, a if t == 0 else a0)
                 for lw, s0, s, a0 in paths for a in range(A) for s2 in range(S) if P[s, a, s2]]
    log_w = np.array([p[0] for p in paths])
    s0, a0 = np.array([p[1] for p in paths]), np.array([p[3] for p in paths])
    joint = np.zeros((S, A))
    np.add.at(joint, (s0, a0), np.exp(log_w - log_w.max()))
    folded = mdp.replace(reward=mdp.reward + T * np.log(prior))
    np.testing.assert_allclose(soft_backward(folded, T, "optimistic").policy[0],
                               joint / joint.sum(axis=1, keepdims=True), atol=1e-12)
    log_z = np.logaddexp.reduce(log_w)
    assert abs(log_evidence(mdp, T, action_prior=prior) - log_z) < 1e-10
    assert abs(log_evidence(folded, T) - log_z) < 1e-10
