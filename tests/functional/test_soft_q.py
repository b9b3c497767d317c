"""The soft Q-learning target and loss against numpy by hand, stable at extreme temperatures
and rewards; one gradient step of the loss on a tabular Q is seed 002's soft Q update."""

import numpy as np
import pytest
import torch

from softrl.functional import boltzmann_log_policy, soft_dqn_target, soft_q_loss


def numpy_soft_max(q: np.ndarray, T: float) -> np.ndarray:
    m = q.max(-1)
    return m + T * np.log(np.exp((q - m[:, None]) / T).sum(-1))


@pytest.mark.parametrize("T", [2.0, 0.3, 1e-2])
def test_target_is_r_plus_gamma_soft_max(T) -> None:
    rng = np.random.default_rng(0)
    r, q_next = rng.normal(size=8), rng.normal(size=(8, 3))
    done = (rng.random(8) < 0.3).astype(float)
    y = soft_dqn_target(torch.as_tensor(r), torch.as_tensor(done), torch.as_tensor(q_next), T,
                        0.9)
    np.testing.assert_allclose(y.numpy(), r + 0.9 * (1 - done) * numpy_soft_max(q_next, T),
                               rtol=1e-12)
    # The soft max lies between the max and max + T log A.
    v = (y.numpy() - r)[done == 0] / 0.9
    hard = q_next.max(-1)[done == 0]
    assert (v >= hard - 1e-12).all() and (v <= hard + T * np.log(3) + 1e-12).all()


def test_double_q_target_is_the_soft_value_of_the_online_policy() -> None:
    rng = np.random.default_rng(1)
    q_t, q_o = rng.normal(size=(5, 4)), rng.normal(size=(5, 4))
    T = 0.5
    y = soft_dqn_target(torch.zeros(5, dtype=torch.float64), torch.zeros(5, dtype=torch.float64),
                        torch.as_tensor(q_t), T, 1.0, next_q_online=torch.as_tensor(q_o))
    log_pi = q_o / T - numpy_soft_max(q_o, T)[:, None] / T
    np.testing.assert_allclose(y.numpy(), (np.exp(log_pi) * (q_t - T * log_pi)).sum(-1))


def test_extreme_temperature_and_rewards_stay_finite() -> None:
    q = torch.tensor([[1e4, -1e4, 0.0]], dtype=torch.float64)
    y = soft_dqn_target(torch.tensor([1e4], dtype=torch.float64), torch.zeros(1,
                        dtype=torch.float64), q, 1e-6, 0.5)
    assert torch.isfinite(y).all() and abs(float(y[0]) - 1.5e4) < 1e-6
    log_pi = boltzmann_log_policy(q, 1e-6)
    assert torch.isfinite(log_pi[0, 0]) and float(log_pi[0, 0]) == 0.0


def test_loss_gradient_step_is_the_tabular_soft_q_update() -> None:
    rng = np.random.default_rng(2)
    S, A, T, gamma, lr = 4, 3, 0.4, 0.8, 0.3
    table = rng.normal(size=(S, A))
    s, a, r, s2 = 2, 1, 0.7, 3
    q = torch.tensor(table, requires_grad=True)
    y = soft_dqn_target(torch.tensor([r], dtype=torch.float64),
                        torch.zeros(1, dtype=torch.float64), q[[s2]], T, gamma)
    loss = soft_q_loss(q[[s]], torch.tensor([a]), y)
    (grad,) = torch.autograd.grad(loss, q)
    updated = table - lr * grad.numpy()
    expected = table.copy()
    expected[s, a] += lr * (r + gamma * numpy_soft_max(table[[s2]], T)[0] - table[s, a])
    np.testing.assert_allclose(updated, expected, rtol=1e-12)


def test_loss_checks_shapes() -> None:
    with pytest.raises(ValueError, match="q, actions, target"):
        soft_q_loss(torch.zeros(3, 2), torch.zeros(2, dtype=torch.int64), torch.zeros(3))


def test_sample_categorical_frequencies_and_edges() -> None:
    """Inversion sampling: frequencies match pi within 4 standard errors; zero-probability
    actions are never drawn; the same generator seed gives the same draws."""
    import numpy as np
    import torch

    from softrl.functional import sample_categorical

    probs = torch.tensor([0.1, 0.0, 0.6, 0.3], dtype=torch.float64)
    n = 200_000
    log_probs = probs.log().expand(n, 4)
    gen = torch.Generator().manual_seed(0)
    draws = sample_categorical(log_probs, gen)
    assert draws.dtype == torch.int64 and draws.shape == (n,)
    freq = np.bincount(draws.numpy(), minlength=4) / n
    se = np.sqrt(probs.numpy() * (1 - probs.numpy()) / n)
    assert np.all(np.abs(freq - probs.numpy()) <= 4 * se + 1e-12)
    assert freq[1] == 0
    again = sample_categorical(log_probs, torch.Generator().manual_seed(0))
    assert torch.equal(draws, again)
    # Rounding: a cdf ending below 1 never returns an index past the last action.
    one_hot_last = torch.tensor([[-80.0, -80.0, 0.0]])
    assert int(sample_categorical(one_hot_last.log_softmax(-1))) == 2
