"""PEARL's pieces in isolation: which transitions form the context (recent prior-z episodes
of the task, as PEARL's encoder buffer), where the encoder's gradient comes from (the critic
loss and the KL, never the actor loss), and the no-context baseline."""

import dataclasses

import numpy as np
import pytest
import torch

from softrl.meta import PEARL

KW = dict(n_train_tasks=4, n_test_tasks=2, initial_episodes=1, hidden_sizes=(16,),
          meta_batch=3, batch_size=8, context_size=8, tasks_per_iteration=2, grad_steps=1)


def _rows(buf) -> set[tuple[float, ...]]:
    ctx = np.concatenate([buf.obs, buf.actions, buf.rewards[:, None]], 1)
    return {tuple(r) for r in ctx.round(6)}


def test_collect_refills_the_context_with_fresh_prior_episodes_only() -> None:
    pearl = PEARL("point-dense", prior_episodes=2, posterior_episodes=3,
                  posterior_in_context=False, **KW)  # PEARL's encoder buffer
    pearl.fit(0)  # the initial episodes
    before = [len(b) for b in pearl.rl_buffers]
    old_context = _rows(pearl.context_buffers[1])
    contexts_used = []
    sample_z = pearl._sample_z

    def spy(context, task):
        contexts_used.append(None if context is None else np.array(context))
        return sample_z(context, task)

    pearl._sample_z = spy  # type: ignore[method-assign]
    steps = pearl._collect(1)
    assert steps == (2 + 3) * 20
    rl, ctx = pearl.rl_buffers[1], pearl.context_buffers[1]
    assert len(rl) == before[1] + 100 and len(ctx) == 40
    # The context is exactly the two new prior episodes: the first 40 new RL rows.
    np.testing.assert_array_equal(ctx.obs, rl.obs[before[1]:before[1] + 40])
    assert not _rows(ctx) & old_context
    # Prior episodes act on z ~ p(z); posterior ones on a context drawn from the fresh rows.
    assert contexts_used[:2] == [None, None] and len(contexts_used) == 5
    fresh = _rows(ctx)
    for c in contexts_used[2:]:
        assert c.shape == (8, 5) and {tuple(r) for r in c.round(6)} <= fresh
    # Other tasks' buffers are untouched.
    assert [len(b) for i, b in enumerate(pearl.rl_buffers) if i != 1] == \
        [n for i, n in enumerate(before) if i != 1]


def test_encoder_learns_from_the_critic_and_kl_never_from_the_actor() -> None:
    pearl = PEARL("point-dense", **KW).fit(1)
    idx = np.arange(3)

    def grads(which: str) -> dict[str, list[torch.Tensor | None]]:
        loss = pearl.losses(idx)[which]
        nets = {"encoder": pearl.encoder, "actor": pearl.actor, "critic": pearl.critic,
                "decoder": pearl.reward_decoder}
        params = [p for m in nets.values() for p in m.parameters()]
        gs = torch.autograd.grad(loss, params, allow_unused=True)
        out, k = {}, 0
        for name, m in nets.items():
            n = len(list(m.parameters()))
            out[name] = list(gs[k:k + n])
            k += n
        return out

    def moved(gs: list[torch.Tensor | None]) -> bool:
        return any(g is not None and bool(g.abs().sum() > 0) for g in gs)

    g = grads("actor")
    assert moved(g["actor"]) and not moved(g["encoder"]) and not moved(g["critic"])
    g = grads("critic")
    assert moved(g["critic"]) and moved(g["encoder"]) and not moved(g["actor"])
    g = grads("kl")
    assert moved(g["encoder"]) and not moved(g["actor"]) and not moved(g["critic"])
    # The reward likelihood term trains the decoder and the encoder only.
    g = grads("reward")
    assert moved(g["decoder"]) and moved(g["encoder"])
    assert not moved(g["actor"]) and not moved(g["critic"])
    assert not moved(grads("critic")["decoder"]) and not moved(grads("actor")["decoder"])
    # No gradient ever reaches the target critics.
    assert all(not p.requires_grad for p in pearl.critic_target.parameters())


def test_no_context_baseline_acts_and_learns_on_z_zero() -> None:
    pearl = PEARL("point-dense", no_context=True, **KW)
    task = pearl.train_tasks[0]
    ctx = np.random.default_rng(0).normal(size=(20, 5)).astype(np.float32)
    assert torch.equal(pearl._sample_z(None, task), torch.zeros(5))
    assert torch.equal(pearl._sample_z(ctx, task), torch.zeros(5))
    parts = pearl.fit(1).losses(np.arange(3))
    critic_loss, actor_loss, kl = parts["critic"], parts["actor"], parts["kl"]
    assert float(kl) == 0.0 and torch.isfinite(critic_loss) and torch.isfinite(actor_loss)
    g = torch.autograd.grad(critic_loss, list(pearl.encoder.parameters()), allow_unused=True)
    assert all(x is None for x in g)
    # Without task information every adaptation episode acts the same (deterministic policy).
    returns = pearl.meta_test(n_episodes=2)["returns"]
    np.testing.assert_allclose(returns[:, 0], returns[:, 1])
    with pytest.raises(ValueError, match="oracle and no_context"):
        PEARL("point-dense", oracle=True, no_context=True)
    with pytest.raises(ValueError, match="prior_episodes"):
        PEARL("point-dense", prior_episodes=0)


def test_sparse_task_critic_can_learn_from_the_dense_reward() -> None:
    pearl = PEARL("point-sparse", critic_reward="dense", **KW).fit(1)
    for task, buf in zip(pearl.train_tasks, pearl.rl_buffers, strict=True):
        dist = np.linalg.norm(buf.next_obs - task["goal"], axis=1)
        np.testing.assert_allclose(buf.dense_rewards, -dist, rtol=1e-6)
        np.testing.assert_allclose(buf.rewards, np.where(dist <= 0.2, 1 - dist, 0), atol=1e-6)
    # The critic's targets use the dense reward, the context the sparse one.
    def critic_loss(learner: PEARL) -> float:
        learner.rngs.np.bit_generator.state = np.random.default_rng(0).bit_generator.state
        learner.rngs.torch.manual_seed(0)
        return float(learner.losses(np.arange(3))["critic"])

    dense = critic_loss(pearl)
    pearl.config = dataclasses.replace(pearl.config, critic_reward="env")
    assert critic_loss(pearl) != dense
    ctx = pearl.context_buffers[0].sample_context(8, np.random.default_rng(0), torch.device("cpu"))
    assert set(ctx[:, -1].tolist()) <= set(pearl.context_buffers[0].rewards.tolist())
    # On the dense task the two rewards are the same.
    twin = PEARL("point-dense", critic_reward="dense", **KW).fit(1)
    np.testing.assert_array_equal(twin.rl_buffers[0].dense_rewards, twin.rl_buffers[0].rewards)
    with pytest.raises(ValueError, match="critic_reward"):
        PEARL("point-sparse", critic_reward="shaped")


def test_encoder_learning_rate_is_its_own() -> None:
    pearl = PEARL("point-dense", encoder_learning_rate=1e-3, learning_rate=3e-4, **KW)
    groups = pearl.optimizer.param_groups
    assert [g["lr"] for g in groups] == [3e-4, 1e-3]
    enc = {id(p) for p in [*pearl.encoder.parameters(), *pearl.reward_decoder.parameters()]}
    assert {id(p) for p in groups[1]["params"]} == enc
    assert not enc & {id(p) for p in groups[0]["params"]}
    assert [g["lr"] for g in PEARL("point-dense", **KW).optimizer.param_groups] == [3e-4, 1e-3]
    same = PEARL("point-dense", encoder_learning_rate=None, **KW)  # PEARL's: one step size
    assert [g["lr"] for g in same.optimizer.param_groups] == [3e-4] * 2
    with pytest.raises(ValueError, match="encoder_learning_rate"):
        PEARL("point-dense", encoder_learning_rate=0.0)


def test_posterior_episodes_can_join_the_context() -> None:
    pearl = PEARL("point-dense", prior_episodes=1, posterior_episodes=2,
                  posterior_in_context=True, **KW)
    pearl.fit(0)
    before = len(pearl.rl_buffers[0])
    seen, sizes = [], []
    sample_z = pearl._sample_z

    def spy(context, task):
        seen.append(None if context is None else {tuple(r) for r in context.round(6)})
        sizes.append(len(pearl.context_buffers[0]))
        return sample_z(context, task)

    pearl._sample_z = spy  # type: ignore[method-assign]
    assert pearl._collect(0) == 60
    rl, ctx = pearl.rl_buffers[0], pearl.context_buffers[0]
    # The context is the three new episodes, prior and posterior, in order.
    assert len(ctx) == 60
    np.testing.assert_array_equal(ctx.obs, rl.obs[before:])
    # Posterior episode k draws its z from the episodes collected before it.
    assert seen[0] is None and sizes == [0, 20, 40]
    rows = np.concatenate([ctx.obs, ctx.actions, ctx.rewards[:, None]], 1).round(6)
    assert seen[1] <= {tuple(r) for r in rows[:20]}
    assert seen[2] <= {tuple(r) for r in rows[:40]}


def test_encoder_can_be_left_to_the_reward_likelihood() -> None:
    pearl = PEARL("point-dense", critic_trains_encoder=False, reward_decoder_weight=1.0,
                  **KW).fit(1)
    parts = pearl.losses(np.arange(3))
    enc = list(pearl.encoder.parameters())
    g = torch.autograd.grad(parts["critic"], enc, allow_unused=True)
    assert all(x is None or not bool(x.abs().sum() > 0) for x in g)
    g = torch.autograd.grad(parts["reward"], enc, allow_unused=True)
    assert any(x is not None and bool(x.abs().sum() > 0) for x in g)


@pytest.mark.parametrize("mode, expected", [
    ({}, [False, True, True]),
    ({"oracle": True}, [True, True, True]),
    ({"no_context": True}, [True, True, True]),
])
def test_adaptation_explores_in_its_first_episode_only_when_z_is_inferred(
        mode: dict, expected: list[bool]) -> None:
    # Episode 1 (z ~ p(z)) gathers the context and samples its actions, as training's
    # prior-z episodes do; the posterior episodes, the oracle and no_context follow
    # ``deterministic``.
    pearl = PEARL("point-dense", **mode, **KW)
    flags: list[bool] = []
    policy = pearl._policy

    def spy(z, deterministic):
        flags.append(deterministic)
        return policy(z, deterministic)

    pearl._policy = spy  # type: ignore[method-assign]
    pearl.adapt(pearl.test_tasks[0], 3, seed=0)
    assert flags == expected
    flags.clear()
    pearl.adapt(pearl.test_tasks[0], 2, seed=0, deterministic=False)
    assert flags == [False, False]


def test_adapt_returns_the_returns_of_adapt_episodes_whose_context_grows() -> None:
    # adapt_episodes hands out the episodes themselves (the gallery plots them): the same
    # draws as adapt, episode k reset with seed + k, each posterior from all earlier context.
    pearl = PEARL("point-dense", **KW)
    state = pearl.rngs.torch.get_state()
    episodes = pearl.adapt_episodes(pearl.test_tasks[1], 3, seed=4)
    pearl.rngs.torch.set_state(state)
    returns = pearl.adapt(pearl.test_tasks[1], 3, seed=4)
    assert returns == [ep.total_reward() for ep in episodes]
    contexts: list = []
    sample = pearl._sample_z

    def spy(context, task):
        contexts.append(None if context is None else len(context))
        return sample(context, task)

    pearl._sample_z = spy  # type: ignore[method-assign]
    pearl.adapt_episodes(pearl.test_tasks[1], 3, seed=4)
    assert contexts == [None, len(episodes[0].rewards), len(episodes[0].rewards)
                        + len(episodes[1].rewards)]


def test_fewer_training_tasks_than_tasks_per_iteration_collect_on_all() -> None:
    kw = {**KW, "n_train_tasks": 2, "tasks_per_iteration": 5, "initial_episodes": 1}
    pearl = PEARL("point-dense", prior_episodes=1, posterior_episodes=1, **kw).fit(0)
    before = pearl.num_steps
    pearl.fit(1)
    assert pearl.num_steps - before == 2 * (1 + 1) * 20  # both tasks, 2 episodes of 20 steps
