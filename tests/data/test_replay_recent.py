"""ReplayBuffer.sample(recent=k) draws only the newest k transitions of the ring."""

import numpy as np
import pytest
import torch

from softrl.data import ReplayBuffer


def test_recent_draws_only_the_newest_rows_across_the_wrap() -> None:
    buf = ReplayBuffer(5, obs_dim=1, action_dim=1)
    for i in range(7):  # rows 0..6; the ring keeps 2..6, newest 6, 5, 4
        buf.add(np.array([[i]]), np.array([[0.0]]), np.array([float(i)]), np.array([[i]]),
                np.array([False]))
    gen = torch.Generator().manual_seed(0)
    batch = buf.sample(200, gen, recent=3)
    assert set(batch.rewards.tolist()) == {4.0, 5.0, 6.0}
    assert set(buf.sample(300, gen, recent=100).rewards.tolist()) == {2.0, 3.0, 4.0, 5.0, 6.0}
    with pytest.raises(ValueError, match="recent"):
        buf.sample(2, gen, recent=0)


def test_newest_returns_the_last_rows_in_order_across_the_wrap() -> None:
    buf = ReplayBuffer(5, obs_dim=1, action_dim=1, discrete_actions=True)
    for i in range(7):
        buf.add(np.array([[i]]), np.array([[i % 2]]), np.array([float(i)]), np.array([[i]]),
                np.array([False]))
    batch = buf.newest(3)
    assert batch.rewards.tolist() == [4.0, 5.0, 6.0]
    assert batch.actions.dtype == torch.int64 and batch.actions.tolist() == [0, 1, 0]
    assert buf.newest(50).rewards.tolist() == [2.0, 3.0, 4.0, 5.0, 6.0]
    with pytest.raises(ValueError, match="n must"):
        buf.newest(0)
