"""Gallery claim: p(s_t | O) = alpha_t beta_t / sum alpha_t beta_t at every t, and sum_s alpha_t
beta_t = p(O) at every t, checked by enumerating every trajectory of the 2 x 3 slippery grid."""

import importlib.util
from pathlib import Path

import numpy as np

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "messages_heatmaps.py"


def enumerate_posterior(mdp, temperature: float) -> tuple[np.ndarray, float]:
    """p(s_t | O_{0:H-1}) and log p(O) from all paths: weight p(s_0) prod_t p(s'|s,a) e^{r/T}
    (improper uniform action prior, p(a|s) = 1)."""
    P = mdp.dense_transitions()
    S, A = mdp.shape
    paths = np.flatnonzero(mdp.initial)[:, None]
    log_w = np.log(mdp.initial[paths[:, 0]])
    for _ in range(mdp.horizon):
        s = paths[:, -1]
        a, s_next = np.meshgrid(np.arange(A), np.arange(S), indexing="ij")
        a, s_next = a.ravel(), s_next.ravel()
        p = P[s[:, None], a[None], s_next[None]]  # (N, A*S)
        keep = p > 0
        rows, cols = np.nonzero(keep)
        log_w = log_w[rows] + np.log(p[rows, cols]) + mdp.reward[s[rows], a[cols]] / temperature
        paths = np.concatenate([paths[rows], s_next[cols][:, None]], axis=1)
    log_z = np.logaddexp.reduce(log_w)
    w = np.exp(log_w - log_z)
    post = np.zeros((mdp.horizon + 1, S))
    for t in range(mdp.horizon + 1):
        np.add.at(post[t], paths[:, t], w)
    return post, float(log_z)


def test_claim(tmp_path) -> None:
    spec = importlib.util.spec_from_file_location("messages_heatmaps", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.main(tmp_path, fast=True)
    assert result["max_diff_alpha_beta_vs_engine_posterior"] < 1e-12
    assert result["max_diff_log_z_over_t"] < 1e-12
    world = module.build(module.QUICK)
    T = module.QUICK["temperature"]
    m = module.messages(world, T)
    post, log_z = enumerate_posterior(world.mdp, T)
    np.testing.assert_allclose(m["posterior"], post, atol=1e-12)
    assert abs(result["log_evidence"] - log_z) < 1e-10
    # beta_H = 1, so sum_s alpha_H(s) = p(O_{0:H-1}) by itself.
    assert abs(np.logaddexp.reduce(m["log_alpha"][-1]) - log_z) < 1e-10  # beta_H = 1
    assert (tmp_path / "messages_heatmaps.png").stat().st_size > 20_000
