"""Replay buffer: storage, wrap-around, sampling and serialization."""

import numpy as np
import pytest
import torch

from softrl.data import ReplayBatch, ReplayBuffer


def fill(buffer: ReplayBuffer, start: int, n: int) -> None:
    i = np.arange(start, start + n, dtype=np.float32)
    buffer.add(np.stack([i, -i], 1), i[:, None] * 10, i, np.stack([i + 1, -i - 1], 1), i % 2)


def test_add_and_sample_keep_fields_aligned() -> None:
    buffer = ReplayBuffer(100, obs_dim=2, action_dim=1)
    fill(buffer, 0, 30)
    batch = buffer.sample(64, torch.Generator().manual_seed(0))
    assert isinstance(batch, ReplayBatch)
    assert batch.obs.shape == (64, 2) and batch.actions.shape == (64, 1)
    assert batch.rewards.shape == batch.terminated.shape == (64,)
    i = batch.rewards
    torch.testing.assert_close(batch.obs[:, 0], i)
    torch.testing.assert_close(batch.obs[:, 1], -i)
    torch.testing.assert_close(batch.actions[:, 0], 10 * i)
    torch.testing.assert_close(batch.next_obs[:, 0], i + 1)
    torch.testing.assert_close(batch.terminated, i % 2)
    assert i.max() < 30


def test_ring_overwrites_oldest_and_single_adds() -> None:
    buffer = ReplayBuffer(10, obs_dim=2, action_dim=1)
    fill(buffer, 0, 8)
    for k in range(8, 15):
        fill(buffer, k, 1)
    assert len(buffer) == 10 and buffer.pos == 5
    stored = set(buffer.data[:, 3].tolist())  # reward column (after s, a) = index
    assert stored == set(range(5, 15))


def test_state_dict_round_trip(tmp_path) -> None:
    buffer = ReplayBuffer(50, obs_dim=2, action_dim=1)
    fill(buffer, 0, 20)
    torch.save(buffer.state_dict(), tmp_path / "b.pt")
    other = ReplayBuffer(50, obs_dim=2, action_dim=1)
    other.load_state_dict(torch.load(tmp_path / "b.pt", weights_only=True))
    assert len(other) == 20 and other.pos == buffer.pos
    torch.testing.assert_close(other.data, buffer.data)
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    torch.testing.assert_close(buffer.sample(8, g1).obs, other.sample(8, g2).obs)
    with pytest.raises(ValueError, match="obs_dim"):
        ReplayBuffer(50, obs_dim=3, action_dim=1).load_state_dict(buffer.state_dict())


def test_errors() -> None:
    with pytest.raises(ValueError, match="capacity"):
        ReplayBuffer(0, 1, 1)
    with pytest.raises(ValueError, match="empty"):
        ReplayBuffer(5, 1, 1).sample(2)


def test_schema_extras_discrete_actions_and_round_trip() -> None:
    buf = ReplayBuffer(8, obs_dim=2, action_dim=1, discrete_actions=True,
                       extra_fields={"mask": (3,), "is_demo": (), "task_id": ()},
                       integer_fields={"task_id"})
    n = 5
    obs = np.arange(10, dtype=np.float32).reshape(5, 2)
    buf.add(obs, np.array([0, 1, 2, 3, 4]), np.ones(n), obs + 1, np.zeros(n),
            mask=np.eye(5, 3), is_demo=np.array([1, 0, 1, 0, 1]), task_id=np.arange(5) + 7)
    batch = buf.sample(64, torch.Generator().manual_seed(0))
    assert batch._fields == ("obs", "actions", "rewards", "next_obs", "terminated", "mask",
                             "is_demo", "task_id")
    assert batch.actions.dtype == torch.int64 and batch.actions.shape == (64,)
    assert batch.task_id.dtype == torch.int64 and batch.mask.shape == (64, 3)
    # Every field of a sampled row belongs to the same transition.
    row = batch.obs[:, 0].long() // 2
    assert torch.equal(batch.actions, row) and torch.equal(batch.task_id, row + 7)
    assert torch.equal(batch.is_demo, (row % 2 == 0).float())
    torch.testing.assert_close(batch.mask, torch.eye(5, 3)[row])
    other = ReplayBuffer(8, 2, 1, discrete_actions=True,
                         extra_fields={"mask": (3,), "is_demo": (), "task_id": ()},
                         integer_fields={"task_id"})
    other.load_state_dict(buf.state_dict())
    assert torch.equal(other.data, buf.data)


def test_schema_errors_name_the_field() -> None:
    buf = ReplayBuffer(4, 1, 1, extra_fields={"is_demo": ()})
    with pytest.raises(ValueError, match="is_demo"):
        buf.add(np.zeros((1, 1)), np.zeros((1, 1)), np.zeros(1), np.zeros((1, 1)), np.zeros(1))
    with pytest.raises(ValueError, match="'is_demo' must have shape"):
        buf.add(np.zeros((1, 1)), np.zeros((1, 1)), np.zeros(1), np.zeros((1, 1)), np.zeros(1),
                is_demo=np.zeros((1, 2)))
    with pytest.raises(ValueError, match="extra_fields mismatch"):
        ReplayBuffer(4, 1, 1).load_state_dict(buf.state_dict())
    with pytest.raises(ValueError, match="base field"):
        ReplayBuffer(4, 1, 1, extra_fields={"obs": ()})


def test_base_field_shapes_and_integer_schema_are_checked() -> None:
    buf = ReplayBuffer(4, obs_dim=3, action_dim=2)
    with pytest.raises(ValueError, match=r"obs and next_obs of shape \(N, 3\).*'obs': \(1, 2\)"):
        buf.add(np.zeros((1, 2)), np.zeros((1, 2)), np.zeros(1), np.zeros((1, 3)), np.zeros(1))
    ints = ReplayBuffer(4, 1, 1, extra_fields={"task_id": ()}, integer_fields={"task_id"})
    with pytest.raises(ValueError, match="integer_fields mismatch"):
        ReplayBuffer(4, 1, 1, extra_fields={"task_id": ()}).load_state_dict(ints.state_dict())
    state = buf.state_dict()
    state["data"] = state["data"][:, :1]
    with pytest.raises(ValueError, match="data has shape"):
        buf.load_state_dict(state)
