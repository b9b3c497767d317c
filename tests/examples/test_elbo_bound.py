"""Gallery claim: ELBO(pi) = E[sum r]/T + entropy <= log p(O) for every policy; the variational
optimum maximises it and, for deterministic dynamics only, reaches log p(O). Checked with a
dense numpy forward pass (marginals, alpha messages) and random policies."""

import importlib.util
from pathlib import Path

import numpy as np
from scipy.special import logsumexp

from softrl.inference import soft_backward

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "elbo_bound.py"


def numpy_elbo(mdp, pi, T):
    P, d, total = mdp.dense_transitions(), mdp.initial.copy(), 0.0
    for t in range(mdp.horizon):
        joint = d[:, None] * pi[t]
        total += (joint * (mdp.reward / T - np.log(pi[t]))).sum()
        d = np.einsum("sa,sap->p", joint, P)
    return total


def numpy_log_evidence(mdp, T):
    P = mdp.dense_transitions()
    with np.errstate(divide="ignore"):
        log_alpha = np.log(mdp.initial)
    for _ in range(mdp.horizon):  # alpha' = sum_{s,a} alpha(s) e^{r/T} p(s'|s,a)
        log_alpha = logsumexp((log_alpha[:, None] + mdp.reward / T)[:, :, None], b=P, axis=(0, 1))
    return logsumexp(log_alpha)


def test_claim(tmp_path) -> None:
    spec = importlib.util.spec_from_file_location("elbo_bound", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.main(tmp_path, fast=True)
    assert abs(result["deterministic_gap_at_optimum"]) < 1e-10
    assert result["slippery_gap_at_optimum"] > 1.0
    assert result["deterministic_min_gap"] > -1e-10 and result["slippery_min_gap"] > 0
    assert result["deterministic_argmax_lambda"] == result["slippery_argmax_lambda"] == 1.0
    assert max(result["deterministic_max_identity_error"],
               result["slippery_max_identity_error"]) < 1e-10
    T, rng = module.T, np.random.default_rng(0)
    for slip in (0.0, 0.2):
        mdp = module.world(slip)
        pi_star = soft_backward(mdp, T).policy
        curve = module.curve(mdp, np.array([1.0]))
        best = numpy_elbo(mdp, pi_star, T)
        assert abs(curve["elbo_at_optimum"] - best) < 1e-10
        assert abs(curve["log_evidence"] - numpy_log_evidence(mdp, T)) < 1e-10
        for _ in range(20):
            pi = rng.dirichlet(np.full(4, 0.3), size=(mdp.horizon, mdp.n_states))
            assert numpy_elbo(mdp, pi, T) < best < curve["log_evidence"] + 1e-10
    assert (tmp_path / "elbo_bound.png").stat().st_size > 20_000
