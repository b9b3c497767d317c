"""GAE and discounted returns against brute-force loops over episodes, lambda = 0 / 1 cases."""

import numpy as np
import pytest
import torch

from softrl.functional.returns import discounted_returns, gae


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


def brute_force_returns(r, v_next, term, end, gamma):
    """G_t summed forward: rewards until the episode or the rollout ends, then V of the final
    state unless it is terminal."""
    T, N = r.shape
    out = np.zeros((T, N))
    for i in range(N):
        for t in range(T):
            total, weight = 0.0, 1.0
            for k in range(t, T):
                total += weight * r[k, i]
                weight *= gamma
                if end[k, i] or k == T - 1:
                    total += 0.0 if term[k, i] else weight * v_next[k, i]
                    break
            out[t, i] = total
    return out


def random_rollout(seed, T=10, N=3):
    """Rewards, values and consistent next values (next row inside an episode)."""
    rng = np.random.default_rng(seed)
    r, v = rng.normal(size=(2, T, N))
    end = rng.random((T, N)) < 0.3
    term = end & (rng.random((T, N)) < 0.5)
    v_next = np.concatenate([v[1:], rng.normal(size=(1, N))])
    v_next[end] = rng.normal(size=end.sum())  # V(final obs) at ends, garbage at terminations
    return r, v, v_next, term, end


def as_t(x):
    return torch.as_tensor(np.asarray(x, dtype=float), dtype=torch.float64)


@pytest.mark.parametrize("gamma", [0.0, 0.7, 1.0])
def test_discounted_returns_match_brute_force(gamma) -> None:
    r, _, v_next, term, end = random_rollout(1)
    got = discounted_returns(as_t(r), as_t(v_next), as_t(term), as_t(end), gamma)
    np.testing.assert_allclose(got.numpy(), brute_force_returns(r, v_next, term, end, gamma),
                               atol=1e-12)


def test_lambda_one_is_returns_minus_values_and_lambda_zero_is_td_error() -> None:
    r, v, v_next, term, end = random_rollout(2)
    args = as_t(r), as_t(v), as_t(v_next), as_t(term), as_t(end)
    gamma = 0.9
    adv1, _ = gae(*args, gamma, 1.0)
    mc = discounted_returns(as_t(r), as_t(v_next), as_t(term), as_t(end), gamma)
    torch.testing.assert_close(adv1, mc - as_t(v), atol=1e-12, rtol=0)
    adv0, ret0 = gae(*args, gamma, 0.0)
    td = r + gamma * (1 - term) * v_next - v
    np.testing.assert_allclose(adv0.numpy(), td, atol=1e-12)
    np.testing.assert_allclose(ret0.numpy(), td + v, atol=1e-12)


def test_truncation_bootstraps_and_termination_does_not() -> None:
    r = as_t([[1.0, 1.0], [1.0, 1.0]])
    v_next = as_t([[5.0, 5.0], [100.0, float("nan")]])  # a terminal state's value is never read
    end = as_t([[0, 0], [1, 1]])
    term = as_t([[0, 0], [0, 1]])
    g = 0.5
    got = discounted_returns(r, v_next, term, end, g)
    np.testing.assert_allclose(got.numpy(), [[1 + g * (1 + g * 100), 1 + g], [1 + g * 100, 1]])


def test_large_rewards_stay_finite_and_shapes_are_checked() -> None:
    r, v, v_next, term, end = random_rollout(3, T=200)
    args = as_t(1e4 * r), as_t(v_next), as_t(term), as_t(end)
    assert torch.isfinite(discounted_returns(*args, 0.99)).all()
    x = torch.zeros(4, 2)
    with pytest.raises(ValueError, match="next_values"):
        discounted_returns(x, x[:, :1], x, x, 0.9)
