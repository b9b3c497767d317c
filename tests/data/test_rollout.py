"""Rollout storage: next values around episode ends, and minibatches that cover every step."""

import pytest
import torch

from softrl.data import RolloutStorage
from softrl.functional import gae


def test_next_values_and_minibatches() -> None:
    T, N = 4, 2
    st = RolloutStorage(T, N, obs_dim=1, action_shape=(), discrete=True,
                        device=torch.device("cpu"))
    for t in range(T):
        ended = torch.tensor([1.0 if t == 1 else 0.0, 0.0])
        st.add(torch.full((N, 1), float(t)), torch.tensor([t, t]), torch.zeros(N),
               torch.ones(N), torch.tensor([10.0 * t, 10.0 * t + 1]), torch.zeros(N), ended)
    st.compute_returns_and_advantages(torch.tensor([40.0, 41.0]), {(1, 0): 99.0}, 0.9, 0.8)
    # Inside an episode V(s_{t+1}) is the next row; at the truncation the final obs' value.
    assert st.next_values[:, 1].tolist() == [11.0, 21.0, 31.0, 41.0]
    assert st.next_values[:, 0].tolist() == [10.0, 99.0, 30.0, 40.0]
    adv, ret = gae(st.rewards, st.values, st.next_values, st.terminated, st.ended, 0.9, 0.8)
    assert torch.equal(st.advantages, adv) and torch.equal(st.returns, ret)
    seen = torch.cat([b.obs[:, 0] for b in st.minibatches(3, torch.Generator().manual_seed(0))])
    assert sorted(seen.tolist()) == sorted([float(t) for t in range(T) for _ in range(N)])
    assert all(b.actions.dtype == torch.int64 for b in st.minibatches(8, torch.Generator()))


def test_incomplete_rollout_and_bad_batch_size_are_refused() -> None:
    st = RolloutStorage(2, 1, obs_dim=1, action_shape=(1,), discrete=False,
                        device=torch.device("cpu"))
    with pytest.raises(RuntimeError, match="holds 0 of its 2 steps"):
        st.compute_returns_and_advantages(torch.zeros(1), {}, 0.9, 0.9)
    with pytest.raises(ValueError, match="batch_size"):
        next(st.minibatches(0, torch.Generator()))
