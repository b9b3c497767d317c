"""DQfD's large-margin loss, n-step returns of demonstrated episodes, the soft n-step target
and lambda's schedule, by hand."""

import numpy as np
import pytest
import torch

from softrl.demos import Demonstrations
from softrl.imitation.functional import (
    annealed_weight,
    demo_n_step,
    large_margin_loss,
    soft_n_step_target,
)


def test_large_margin_loss_by_hand() -> None:
    q = torch.tensor([[1.0, 2.0, 0.5],    # expert 1 leads by 1.0 >= margin 0.8: loss 0
                      [1.0, 1.5, 0.9],    # expert 0: max(1.0, 1.5 + .8, .9 + .8) - 1.0 = 1.3
                      [2.0, 1.5, 1.6]])   # expert 0: max(2.0, 2.3, 2.4) - 2.0 = 0.4
    loss = large_margin_loss(q, torch.tensor([1, 0, 0]), 0.8)
    torch.testing.assert_close(loss, torch.tensor([0.0, 1.3, 0.4]))
    q.requires_grad_(True)
    large_margin_loss(q, torch.tensor([1, 0, 0]), 0.8).sum().backward()
    # gradient: +1 at the maximizing action, -1 at the expert's
    torch.testing.assert_close(q.grad, torch.tensor([[0.0, 0, 0], [-1, 1, 0], [-1, 0, 1]]))
    assert large_margin_loss(q.detach(), torch.tensor([1, 1, 1]), 0.0).min() >= 0
    with pytest.raises(ValueError, match=r"\(B, A\)"):
        large_margin_loss(q[0], torch.tensor([1]), 0.8)


def test_demo_n_step_by_hand() -> None:
    # episode 0: rewards 1, 2, 3, terminated; episode 1: rewards 10, 20, truncated
    d = Demonstrations(np.arange(5.0)[:, None], np.zeros(5, np.int64),
                       np.array([1.0, 2, 3, 10, 20]), np.arange(1.0, 6)[:, None],
                       np.array([0, 0, 1, 0, 0], bool), np.array([0, 0, 0, 0, 1], bool),
                       np.array([0, 3]))
    g = 0.5
    ret, last, disc = demo_n_step(d, 2, g)
    np.testing.assert_allclose(ret, [1 + g * 2, 2 + g * 3, 3, 10 + g * 20, 20])
    assert last.tolist() == [1, 2, 2, 4, 4]
    np.testing.assert_allclose(disc, [g**2, 0, 0, g**2, g])  # terminal: 0; truncated: bootstrap
    ret1, last1, disc1 = demo_n_step(d, 1, g)
    np.testing.assert_allclose(ret1, d.rewards)
    assert last1.tolist() == [0, 1, 2, 3, 4]
    np.testing.assert_allclose(disc1, [g, g, 0, g, g])


def test_soft_n_step_target_and_schedule() -> None:
    next_q = torch.tensor([[0.0, np.log(3.0)]])
    y = soft_n_step_target(torch.tensor([1.0]), torch.tensor([0.5]), next_q, 1.0)
    torch.testing.assert_close(y, torch.tensor([1.0 + 0.5 * np.log(4.0)]))
    assert annealed_weight(0, 1.0, 0.0, 100) == 1.0
    assert annealed_weight(25, 1.0, 0.0, 100) == pytest.approx(0.75)
    assert annealed_weight(500, 1.0, 0.0, 100) == 0.0
    assert annealed_weight(500, 1.0, None, 100) == 1.0
