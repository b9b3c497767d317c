"""GAE against a brute-force loop over episodes, and its lambda = 0 / 1 special cases."""

import numpy as np
import pytest
import torch

from softrl.functional.gae import gae


def brute_force(r, v, v_next, term, end, gamma, lam):
    """A_t = sum_k (gamma lam)^k delta_{t+k}, summed until the episode ends (inclusive)."""
    T, N = r.shape
    delta = r + gamma * (1 - term) * v_next - v
    adv = np.zeros((T, N))
    for i in range(N):
        for t in range(T):
            total, weight = 0.0, 1.0
            for k in range(t, T):
                total += weight * delta[k, i]
                if end[k, i]:
                    break
                weight *= gamma * lam
            adv[t, i] = total
    return adv


@pytest.mark.parametrize("gamma,lam", [(0.99, 0.95), (0.9, 0.0), (0.8, 1.0), (0.0, 0.5)])
def test_gae_matches_brute_force(gamma, lam) -> None:
    rng = np.random.default_rng(0)
    T, N = 12, 3
    r, v, v_next = rng.normal(size=(3, T, N))
    end = rng.random((T, N)) < 0.25
    term = end & (rng.random((T, N)) < 0.5)
    t = lambda x: torch.as_tensor(x, dtype=torch.float64)  # noqa: E731
    adv, ret = gae(t(r), t(v), t(v_next), t(term), t(end), gamma, lam)
    expected = brute_force(r, v, v_next, term.astype(float), end, gamma, lam)
    np.testing.assert_allclose(adv.numpy(), expected, atol=1e-12)
    np.testing.assert_allclose(ret.numpy(), expected + v, atol=1e-12)


def test_lambda_one_is_monte_carlo_bootstrapped_only_at_truncation() -> None:
    # One episode of 3 steps cut by a time limit (truncated at t=2), then a terminal one.
    r = torch.tensor([[1.0], [2.0], [3.0], [4.0], [5.0]], dtype=torch.float64)
    v = torch.zeros_like(r)
    v_next = torch.tensor([[0.0], [0.0], [10.0], [0.0], [99.0]], dtype=torch.float64)
    end = torch.tensor([[0.0], [0.0], [1.0], [0.0], [1.0]], dtype=torch.float64)
    term = torch.tensor([[0.0], [0.0], [0.0], [0.0], [1.0]], dtype=torch.float64)
    g = 0.5
    _, ret = gae(r, v, v_next, term, end, g, 1.0)
    expected = [1 + g * 2 + g**2 * 3 + g**3 * 10, 2 + g * 3 + g**2 * 10, 3 + g * 10,
                4 + g * 5, 5]  # V of the terminal state (99) is never used
    np.testing.assert_allclose(ret.squeeze(1).numpy(), expected)


def test_shapes_are_checked() -> None:
    x = torch.zeros(4, 2)
    with pytest.raises(ValueError, match=r"shape \(T, N\)"):
        gae(x, x, x[:3], x, x, 0.9, 0.9)
