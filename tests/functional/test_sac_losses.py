"""SAC losses against hand computation on a fixed batch."""

import math

import pytest
import torch

from softrl.functional import (
    actor_loss,
    critic_loss,
    polyak_update,
    q_target_from_value,
    soft_q_target,
    soft_v_target,
    soft_value,
    temperature_loss,
    value_loss,
)

REWARD = torch.tensor([1.0, -0.5, 2.0])
TERMINATED = torch.tensor([0.0, 1.0, 0.0])
NEXT_Q = torch.tensor([[3.0, 1.0, -1.0], [2.5, 4.0, -2.0]])  # (E=2, B=3)
NEXT_LOG_PROB = torch.tensor([-1.0, 0.5, 2.0])


def test_critic_target_by_hand() -> None:
    temperature, gamma = 0.2, 0.9
    # b=0: min(3, 2.5) = 2.5, soft 2.5 + 0.2 = 2.7 -> 1 + 0.9 * 2.7 = 3.43
    # b=1: terminal -> -0.5
    # b=2: min(-1, -2) = -2, soft -2 - 0.4 = -2.4 -> 2 + 0.9 * -2.4 = -0.16
    y = soft_q_target(REWARD, TERMINATED, NEXT_Q, NEXT_LOG_PROB, temperature, gamma)
    torch.testing.assert_close(y, torch.tensor([3.43, -0.5, -0.16]))
    assert not y.requires_grad


def test_critic_loss_by_hand() -> None:
    q = torch.tensor([[1.0, 2.0, 3.0], [0.0, 2.0, 5.0]], requires_grad=True)
    y = torch.tensor([2.0, 2.0, 2.0])
    # head 1: (1 + 0 + 1) / 3, head 2: (4 + 0 + 9) / 3 -> 0.5 * (2/3 + 13/3) = 2.5
    loss = critic_loss(q, y)
    assert loss.item() == pytest.approx(2.5)
    loss.backward()
    torch.testing.assert_close(q.grad, (q - y).detach() / 3)


def test_actor_and_temperature_losses_by_hand() -> None:
    q_pi = torch.tensor([[1.0, 4.0], [2.0, 3.0]])
    log_prob = torch.tensor([-0.5, 1.5], requires_grad=True)
    temperature = torch.tensor(0.5)
    # mean(0.5 * -0.5 - 1, 0.5 * 1.5 - 3) = mean(-1.25, -2.25) = -1.75
    assert actor_loss(q_pi, log_prob, temperature).item() == pytest.approx(-1.75)
    log_t = torch.tensor(math.log(0.5), requires_grad=True)
    # -log T * mean(log pi + target) with target -1: -log 0.5 * mean(-1.5, 0.5) = -0.5 log 2
    loss = temperature_loss(log_t, log_prob, target_entropy=-1.0)
    assert loss.item() == pytest.approx(-0.5 * math.log(2.0))
    loss.backward()
    assert log_t.grad.item() == pytest.approx(0.5)  # = -mean(log pi + target)
    assert log_prob.grad is None  # log pi is a constant in the temperature loss
    # Entropy (-mean log pi = -0.5) above the target (-1): descending lowers the temperature.
    assert log_t.grad.item() > 0


def test_v_network_targets_by_hand() -> None:
    q_pi = torch.tensor([[1.0, -2.0], [0.5, 0.0]])
    log_prob = torch.tensor([0.2, -1.0])
    v_t = soft_v_target(q_pi, log_prob, 0.5)
    torch.testing.assert_close(v_t, torch.tensor([0.5 - 0.1, -2.0 + 0.5]))
    v = torch.tensor([0.0, 0.0], requires_grad=True)
    assert value_loss(v, v_t).item() == pytest.approx(0.5 * (0.16 + 2.25) / 2)
    y = q_target_from_value(torch.tensor([1.0, 1.0]), torch.tensor([0.0, 1.0]),
                            torch.tensor([2.0, 5.0]), 0.5)
    torch.testing.assert_close(y, torch.tensor([2.0, 1.0]))


def test_shape_checks() -> None:
    with pytest.raises(ValueError, match="next_q"):
        soft_q_target(REWARD, TERMINATED, NEXT_Q[0], NEXT_LOG_PROB, 0.1, 0.9)


def test_polyak_update() -> None:
    target = [torch.tensor([0.0, 1.0]), torch.tensor([[2.0]])]
    online = [torch.tensor([1.0, 1.0]), torch.tensor([[0.0]])]
    polyak_update(target, online, tau=0.25)
    torch.testing.assert_close(target[0], torch.tensor([0.25, 1.0]))
    torch.testing.assert_close(target[1], torch.tensor([[1.5]]))


def test_soft_value_limits() -> None:
    q = torch.tensor([[1.0, 2.0, 3.0]])
    expected = math.log(math.exp(1) + math.exp(2) + math.exp(3))
    assert soft_value(q, 1.0).item() == pytest.approx(expected)
    assert soft_value(q, 1e-3).item() == pytest.approx(3.0, abs=1e-2)
