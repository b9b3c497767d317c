"""The replay buffer's demonstration partition: never evicted, sampled at the set ratio,
extras with defaults, checkpoint round trip."""

import numpy as np
import pytest
import torch

from softrl.data import ReplayBuffer


def _buffer(ratio):
    buf = ReplayBuffer(8, 1, 1, demo_capacity=5, demo_ratio=ratio, extra_fields={"is_demo": ()},
                       integer_fields={"is_demo"}, extra_defaults={"is_demo": 0.0})
    r = np.arange(5.0) + 1000  # demo rewards 1000..1004
    buf.add_demos(r[:, None], np.zeros((5, 1)), r, r[:, None], np.zeros(5), is_demo=np.ones(5))
    return buf


def test_demos_are_never_evicted_and_own_rows_ring() -> None:
    buf = _buffer(0.25)
    for k in range(100):  # 100 own transitions through a ring of 8
        buf.add(np.array([[k]]), np.zeros((1, 1)), np.array([float(k)]), np.array([[k]]),
                np.zeros(1))
    assert len(buf) == 8 and buf.demo_size == 5
    assert sorted(buf.demo_data[:, 2].tolist()) == [1000, 1001, 1002, 1003, 1004]
    assert sorted(buf.data[:, 2].tolist()) == list(range(92, 100))
    batch = buf.sample(4000, torch.Generator().manual_seed(0))
    demo = batch.is_demo == 1
    assert torch.equal(demo, batch.rewards >= 1000)  # the flag marks exactly the demo rows
    assert set(batch.rewards[demo].tolist()) == {1000, 1001, 1002, 1003, 1004}
    assert set(batch.rewards[~demo].tolist()) == set(range(92, 100))
    with pytest.raises(ValueError, match="do not fit"):
        buf.add_demos(np.zeros((1, 1)), np.zeros((1, 1)), np.zeros(1), np.zeros((1, 1)),
                      np.zeros(1))


@pytest.mark.parametrize("ratio", [0.0, 0.1, 0.25, 0.37, 1.0, None])
def test_demos_are_sampled_at_the_set_ratio(ratio) -> None:
    buf = _buffer(ratio)
    for k in range(3):
        buf.add(np.array([[k]]), np.zeros((1, 1)), np.array([float(k)]), np.array([[k]]),
                np.zeros(1))
    gen = torch.Generator().manual_seed(1)
    counts = np.array([int(buf.sample(32, gen).is_demo.sum()) for _ in range(3000)])
    expected = (5 / 8 if ratio is None else ratio) * 32
    if ratio is not None:  # floor or ceil of rho B in every batch
        assert set(counts) <= {int(np.floor(expected)), int(np.ceil(expected))}
    se = max(counts.std(), 1e-9) / np.sqrt(len(counts))
    assert abs(counts.mean() - expected) < 5 * se + 1e-9
    # within the partition every demo is drawn equally often
    batch = buf.sample(20_000, gen)
    if ratio != 0.0:
        freq = np.bincount(batch.rewards[batch.is_demo == 1].long().numpy() - 1000, minlength=5)
        assert freq.min() > 0.8 * freq.mean()


def test_only_demos_and_round_trip() -> None:
    buf = _buffer(0.5)
    batch = buf.sample(16, torch.Generator().manual_seed(0))  # no own data yet: all demos
    assert bool((batch.is_demo == 1).all())
    buf.add(np.zeros((2, 1)), np.zeros((2, 1)), np.zeros(2), np.zeros((2, 1)), np.zeros(2))
    other = _buffer(0.5)
    other.demo_data.zero_()
    other.load_state_dict(buf.state_dict())
    assert torch.equal(other.demo_data, buf.demo_data) and other.demo_size == 5
    assert torch.equal(other.data, buf.data)
    plain = ReplayBuffer(8, 1, 1)  # states of buffers without a partition still load
    plain.load_state_dict(ReplayBuffer(8, 1, 1).state_dict())
    with pytest.raises(ValueError, match="demo_capacity mismatch"):
        ReplayBuffer(8, 1, 1, demo_capacity=5, extra_fields={"is_demo": ()},
                     integer_fields={"is_demo"}, extra_defaults={"is_demo": 0.0}
                     ).load_state_dict(plain.state_dict() | {"extra_fields": {"is_demo": []},
                                                             "integer_fields": ["is_demo"],
                                                             "extra_defaults": {"is_demo": 0.0},
                                                             "data": torch.zeros(0, 5)})
    with pytest.raises(ValueError, match="demo_ratio must be a float in"):
        ReplayBuffer(8, 1, 1, demo_ratio=1.5)
    with pytest.raises(ValueError, match="extra_defaults"):
        ReplayBuffer(8, 1, 1, extra_defaults={"nope": 0.0})
