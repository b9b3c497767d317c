"""Importance-sampled policy gradient with demonstrations as an agent (seed 004, "Learning
With Demonstrations"): :class:`ISPGfD`.

Each update uses M trajectories: the policy's own rollout, cut into segments at episode ends
(``n_steps`` per env copy, as every on-policy agent), and ``demo_episodes`` demonstrated
episodes drawn whole from their first step. They come from the fused proposal

    q(tau) = c_demo q_demo(tau) + c_pi pi_old(tau),   c_demo = M_demo / M,  c_pi = M_pi / M

(seed 004's sum_i q_i / M with the components weighted by how many trajectories each gave:
the balance heuristic), where pi_old is the policy that collected the rollout and q_demo is

- ``proposal="bc"``: a policy network fitted to the demonstrations by behavior cloning
  (``proposal_epochs``, 10% of episodes held out, early stopping), q_demo(tau) =
  prod_t q_bc(a_t|s_t) (the dynamics cancel in every ratio);
- ``proposal="dirac"``: delta(tau in D) / N over the N stored demonstrated episodes.

The policy term is :func:`softrl.imitation.is_pg.is_pg_loss`: per-step weights

    w_{j,t} = prod_{t'<=t} pi_theta(a_t'|s_t') / q(tau_{j,1:t}),

computed in log space (log w = sum log pi - logsumexp_k(log c_k + sum log q_k)), in seed
004's form G_jt = w_jt (sum_{t'>=t} gamma^(t'-t) r~_jt' - b(s_jt)) or, with
``future_ratios=True``, the unbiased sum_{t'>=t} gamma^(t'-t) w_jt' r~_jt' - w_jt b(s_jt).
Options: ``clip`` = c truncates every weight at c (biased, lower variance);
``self_normalize`` divides each step's weights by their mean over the trajectories still
running (weighted importance sampling: biased, consistent, bounded); clipping comes first.

The rewards are the soft rewards r~ = r - T log pi_old(a|s) (T = ``temperature``; their
expected policy gradient is the gradient of E_pi[sum r - T log pi], because
E[grad log pi] = 0), a segment cut by the rollout's end or a time limit is bootstrapped
with gamma V(s_next), and the baseline b(s) = V(s) is the critic (``baseline=True``): a
function of the state, so it leaves the expectation unchanged. The critic regresses on the
policy's own soft returns (GAE with ``gae_lambda``). A policy segment that starts in the
middle of an episode (at a rollout boundary) is weighted from its first state, as if its
state there came from the proposal: the on-policy approximation every rollout agent makes.

Every epoch is one gradient step on all M trajectories; EntropyPG's ``batch_size``,
``normalize_advantages`` and ``clip_range`` do not apply and are refused. The demonstration
options of :class:`~softrl.imitation.EntropyPGfD` (BC pretraining, the critic fitted to the
demos' returns, the hybrid term ``bc_weight``) work as there.

Example
-------
>>> from softrl.imitation import ISPGfD
>>> ISPGfD("CartPole-v1", demos="demos.npz", proposal="bc").learn(50_000)  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch
from torch import Tensor, nn

from softrl.agents.config import Interval, PositiveInt, StrOptions
from softrl.data import RolloutStorage
from softrl.demos import DemonstrationError, Demonstrations
from softrl.imitation.agents import EntropyPGfD, EntropyPGfDConfig
from softrl.imitation.bc import behavior_cloning
from softrl.imitation.is_pg import (
    dirac_log_proposal,
    fused_log_proposal,
    is_log_weights,
    is_pg_loss,
)
from softrl.imitation.policies import to_agent_actions
from softrl.nn import CategoricalActor, GaussianActor

__all__ = ["ISPGfD", "ISPGfDConfig", "TrajectoryBatch"]

_BATCH_SIZE_DEFAULT = 1_000_000


@dataclass(frozen=True)
class ISPGfDConfig(EntropyPGfDConfig):
    """Hyperparameters of :class:`ISPGfD`: EntropyPGfD's plus the importance-sampling options."""

    n_steps: int = 128
    """Steps per env copy in one rollout (the policy's own trajectory segments)."""
    proposal: str = "bc"
    """Demo component of the fused proposal: "bc" (a policy fitted to the demos) or "dirac"
    (delta(tau in D) / N)."""
    proposal_epochs: int = 50
    """Epochs of the BC fit of the "bc" proposal (10% of episodes held out, early stopping)."""
    demo_episodes: int = 2
    """Demonstrated episodes (whole, from their first step) in every update."""
    future_ratios: bool = False
    """Weight each future reward by its own prefix ratio (unbiased) instead of seed 004's
    w_t * reward-to-go."""
    self_normalize: bool = False
    """Divide each step's weights by their mean over the trajectories (weighted IS)."""
    clip: float | None = None
    """Upper bound c of every importance weight (None: no clipping)."""
    baseline: bool = True
    """Subtract w_t V(s_t) (the critic) from each step's weighted return."""

    _constraints: ClassVar[dict[str, list[Any]]] = {
        "proposal": [StrOptions({"bc", "dirac"})],
        "proposal_epochs": [PositiveInt],
        "demo_episodes": [PositiveInt],
        "future_ratios": [bool],
        "self_normalize": [bool],
        "clip": [None, Interval(float, 0, None, closed="neither")],
        "baseline": [bool],
    }


@dataclass
class TrajectoryBatch:
    """M trajectories padded to T steps, what one importance-sampled update reads.

    Attributes
    ----------
    obs : Tensor (M, T, obs_dim)
    actions : Tensor (M, T) int64 or (M, T, A) float32, in the agent's units
    rewards : Tensor (M, T)
        Soft rewards r - T log pi_old(a|s), with gamma V(s_next) added on the last step of a
        trajectory cut before its end.
    mask : Tensor (M, T)
        1 on real steps, 0 on padding.
    is_demo : Tensor (M,) bool
        Demonstrated trajectories.
    log_behavior : Tensor (M, T)
        log pi_old(a|s): the policy component of the proposal (the policy that collected the
        rollout, evaluated before the update's first gradient step).
    """

    obs: Tensor
    actions: Tensor
    rewards: Tensor
    mask: Tensor
    is_demo: Tensor
    log_behavior: Tensor

    @property
    def shape(self) -> tuple[int, int]:
        """(M, T)."""
        return int(self.mask.shape[0]), int(self.mask.shape[1])

    def demo_share(self) -> float:
        """c_demo = M_demo / M."""
        return float(self.is_demo.float().mean())


class _ProposalView:
    """The proposal network seen as an agent, for :func:`behavior_cloning`."""

    def __init__(self, agent: ISPGfD, net: nn.Module) -> None:
        self.actor = net
        self.device = agent.device
        self.observation_space = agent.observation_space
        self.action_space = agent.action_space
        self._obs_tensor = agent._obs_tensor


class ISPGfD(EntropyPGfD):
    """Importance-sampled policy gradient with demonstrations (seed 004): the policy's own
    rollouts and whole demonstrated episodes, weighted by prod pi / q with q the fused
    proposal of the demonstrator (BC estimate or Dirac) and the current policy.

    Parameters
    ----------
    env : str, gymnasium.Env or gymnasium.vector.VectorEnv
        Discrete or bounded Box actions.
    run_dir, tensorboard, eval_env
        See :class:`softrl.agents.Agent`.
    **hyperparameters
        Fields of :class:`ISPGfDConfig`; ``demos=PATH`` or :meth:`add_demos` (with rewards)
        before :meth:`learn`.
    """

    kind: ClassVar[str] = "ISPGfD"
    config: ISPGfDConfig
    config_class: ClassVar[type[ISPGfDConfig]] = ISPGfDConfig

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._proposal_fitted = False
        self._demo_rewards: Tensor | None = None
        self._demo_starts: Tensor | None = None
        self._demo_lengths: Tensor | None = None
        self._demo_last_next_obs: Tensor | None = None
        self._demo_cut: Tensor | None = None
        super().__init__(*args, **kwargs)
        c = self.config
        for name, bad in (("batch_size", c.batch_size != _BATCH_SIZE_DEFAULT),
                          ("normalize_advantages", c.normalize_advantages),
                          ("clip_range", c.clip_range is not None)):
            if bad:
                raise ValueError(f"ISPGfD does not use {name} (each epoch is one gradient step "
                                 f"on all the trajectories, weighted by importance ratios); "
                                 f"leave it at its default and use clip / self_normalize to "
                                 f"tame the weights")

    # ------------------------------------------------------------------ networks
    def _build(self) -> None:
        super()._build()
        c = self.config
        self.proposal_net: nn.Module | None = None
        if c.proposal == "bc":
            self.proposal_net = (
                CategoricalActor(self.obs_dim, int(self.action_space.n), c.hidden_sizes)
                if self.discrete else
                GaussianActor(self.obs_dim, int(np.prod(self.action_space.shape)),
                              c.hidden_sizes))

    def _modules(self) -> dict[str, nn.Module]:
        modules = super()._modules()
        if self.proposal_net is not None:
            modules["proposal"] = self.proposal_net
        return modules

    # ------------------------------------------------------------------ demonstrations
    def add_demos(self, demos: Demonstrations) -> ISPGfD:
        """Add demonstrations with rewards (checked against the env); returns ``self``."""
        if isinstance(demos, Demonstrations) and demos.rewards is None:
            raise DemonstrationError("the importance-sampled policy gradient needs the demos' "
                                     "rewards; these have none (record them with rewards)")
        return super().add_demos(demos)

    def _store_demos(self, demos: Demonstrations) -> None:
        """Keep every demonstration (``self._demos``, all added so far) as tensors."""
        self._tensors_from(self._demos if self._demos is not None else demos)
        self._proposal_fitted = False

    def _tensors_from(self, demos: Demonstrations) -> None:
        assert demos.rewards is not None
        dev = self.device
        self._demo_obs = self._obs_tensor(demos.obs)
        self._demo_actions = to_agent_actions(self, demos.actions)
        self._demo_rewards = torch.as_tensor(demos.rewards, dtype=torch.float32, device=dev)
        self._demo_starts = torch.as_tensor(demos.episode_starts, dtype=torch.int64, device=dev)
        self._demo_lengths = torch.as_tensor(demos.episode_lengths(), dtype=torch.int64,
                                             device=dev)
        last = demos.episode_starts + demos.episode_lengths() - 1
        self._demo_last_next_obs = self._obs_tensor(demos.next_obs[last])
        self._demo_cut = torch.as_tensor(~demos.terminated[last], device=dev)

    def _has_stored_demos(self) -> bool:
        return self._demo_rewards is not None

    def fit_proposal(self) -> dict[str, Any]:
        """Fit the "bc" proposal to the demonstrations (behavior cloning); ``learn`` calls
        it when the demonstrations changed. Returns the fit's summary."""
        if self.proposal_net is None or self._demos is None:
            raise ValueError("fit_proposal needs proposal='bc' and demonstrations")
        c = self.config
        with self._flushing():
            result = behavior_cloning(_ProposalView(self, self.proposal_net), self._demos,
                                      max_epochs=c.proposal_epochs,
                                      learning_rate=c.pretrain_learning_rate, seed=c.seed)
        self._proposal_fitted = True
        return result.as_dict()

    def learn(self, total_timesteps: int, *args: Any, **kwargs: Any) -> Any:
        """Fit the proposal (when needed), pretrain (first call, as configured), train."""
        if not self._has_stored_demos():
            raise ValueError("ISPGfD needs demonstrations: pass demos=PATH (--demos) or call "
                             "add_demos() first")
        if self.proposal_net is not None and not self._proposal_fitted:
            self.fit_proposal()
        return super().learn(total_timesteps, *args, **kwargs)

    # ------------------------------------------------------------------ batches
    def trajectory_batch(self, obs: Tensor, actions: Tensor, rewards: Tensor, mask: Tensor,
                         is_demo: Tensor, last_values: Tensor | None = None
                         ) -> TrajectoryBatch:
        """A batch from padded trajectories: log pi_old by the current actor, soft rewards
        r - T log pi_old, and gamma * last_values added at each trajectory's last step.

        Parameters
        ----------
        obs : Tensor (M, T, obs_dim); actions : Tensor (M, T[, A]) in the agent's units
        rewards, mask : Tensor (M, T)
        is_demo : Tensor (M,)
        last_values : Tensor (M,), optional
            V of the state after the last step (0 for a trajectory that ended).
        """
        m, t = mask.shape
        mask = mask.float()
        with torch.no_grad():
            log_b = self.actor.log_prob(obs.reshape(m * t, -1),
                                        actions.reshape(m * t, *actions.shape[2:]))
        log_b = log_b.reshape(m, t) * mask
        soft = (rewards.float() - self.config.temperature * log_b) * mask
        if last_values is not None:
            last = (mask.sum(1).long() - 1).clamp(min=0)
            soft = soft.clone()
            soft[torch.arange(m, device=soft.device), last] += \
                self.config.gamma * last_values.float()
        return TrajectoryBatch(obs, actions, soft, mask, is_demo.bool(), log_b)

    def _rollout_batch(self, rollout: RolloutStorage) -> TrajectoryBatch:
        """The rollout cut into trajectory segments at episode ends (env copy by env copy)."""
        c = self.config
        steps, n = rollout.n_steps, rollout.n_envs
        dev = rollout.obs.device
        flat = lambda x: x.transpose(0, 1).reshape(steps * n, *x.shape[2:])  # noqa: E731
        ended = flat(rollout.ended).bool()
        t_idx = torch.arange(steps, device=dev).repeat(n)
        start = (t_idx == 0)
        start[1:] |= ended[:-1]
        seg = start.long().cumsum(0) - 1
        idx = torch.arange(steps * n, device=dev)
        pos = idx - idx[start][seg]
        m, length = int(seg[-1]) + 1, int(pos.max()) + 1

        def pad(x: Tensor, fill: float = 0.0) -> Tensor:
            out = torch.full((m, length, *x.shape[1:]), fill, dtype=x.dtype, device=dev)
            out[seg, pos] = x
            return out

        rewards = flat(rollout.rewards).clone()
        last = ended | (t_idx == steps - 1)
        boot = last & ~flat(rollout.terminated).bool()
        rewards[boot] += c.gamma * flat(rollout.next_values)[boot]
        mask = pad(torch.ones(steps * n, device=dev))
        return TrajectoryBatch(pad(flat(rollout.obs)), pad(flat(rollout.actions)), pad(rewards),
                               mask, torch.zeros(m, dtype=torch.bool, device=dev),
                               pad(flat(rollout.log_probs)))

    def _demo_batch(self) -> TrajectoryBatch:
        """``demo_episodes`` demonstrated episodes (without replacement when there are
        enough), whole, bootstrapped with the critic where the recorder cut them."""
        assert self._demo_starts is not None and self._demo_lengths is not None
        assert self._demo_obs is not None and self._demo_actions is not None
        assert self._demo_rewards is not None and self._demo_cut is not None
        assert self._demo_last_next_obs is not None
        k, e = self.config.demo_episodes, self._demo_starts.shape[0]
        gen = self.rngs.torch
        eps = (torch.randperm(e, generator=gen, device=gen.device)[:k] if k <= e else
               torch.randint(e, (k,), generator=gen, device=gen.device)).to(self.device)
        lengths = self._demo_lengths[eps]
        t = torch.arange(int(lengths.max()), device=self.device)
        mask = t.unsqueeze(0) < lengths.unsqueeze(1)
        rows = torch.where(mask, self._demo_starts[eps].unsqueeze(1) + t,
                           self._demo_starts[eps].unsqueeze(1))
        with torch.no_grad():
            boot = self.critic(self._demo_last_next_obs[eps]) * self._demo_cut[eps].float()
        return self.trajectory_batch(self._demo_obs[rows], self._demo_actions[rows],
                                     self._demo_rewards[rows], mask,
                                     torch.ones(k, dtype=torch.bool, device=self.device), boot)

    @staticmethod
    def _concat(a: TrajectoryBatch, b: TrajectoryBatch) -> TrajectoryBatch:
        length = max(a.shape[1], b.shape[1])

        def pad(x: Tensor) -> Tensor:
            if x.ndim == 1 or x.shape[1] == length:
                return x
            return torch.cat([x, x.new_zeros((x.shape[0], length - x.shape[1],
                                              *x.shape[2:]))], dim=1)

        return TrajectoryBatch(*(torch.cat([pad(x), pad(y)]) for x, y in zip(
            (a.obs, a.actions, a.rewards, a.mask, a.is_demo, a.log_behavior),
            (b.obs, b.actions, b.rewards, b.mask, b.is_demo, b.log_behavior), strict=True)))

    # ------------------------------------------------------------------ the estimator
    def log_proposal(self, batch: TrajectoryBatch, demo_share: float) -> Tensor:
        """log q(tau_{j,1:t}) of the fused proposal, (M, T), with c_demo = ``demo_share``."""
        m, t = batch.shape
        if self.proposal_net is not None:
            with torch.no_grad():
                log_demo = self.proposal_net.log_prob(
                    batch.obs.reshape(m * t, -1),
                    batch.actions.reshape(m * t, *batch.actions.shape[2:])).reshape(m, t)
        else:
            n = int(self._demo_starts.shape[0]) if self._demo_starts is not None else 1
            log_demo = dirac_log_proposal(batch.is_demo, n, t).to(batch.rewards.dtype)
        comps = torch.stack([log_demo.to(batch.log_behavior.dtype), batch.log_behavior])
        weights = torch.tensor([demo_share, 1.0 - demo_share], dtype=comps.dtype)
        return fused_log_proposal(comps, batch.mask, weights)

    def importance_log_weights(self, batch: TrajectoryBatch, demo_share: float) -> Tensor:
        """log w_{j,t} = sum_{t'<=t} log pi_theta - log q(tau_{j,1:t}) before clipping and
        self-normalization, (M, T)."""
        log_pi = self._log_pi(batch).detach()
        return is_log_weights(log_pi, self.log_proposal(batch, demo_share), batch.mask)

    def surrogate(self, batch: TrajectoryBatch, demo_share: float) -> Tensor:
        """The policy loss whose gradient is minus the importance-sampled policy gradient
        (:func:`~softrl.imitation.is_pg.is_pg_loss` with this agent's options)."""
        c = self.config
        m, t = batch.shape
        log_pi = self._log_pi(batch)
        baseline = None
        if c.baseline:
            with torch.no_grad():
                baseline = self.critic(batch.obs.reshape(m * t, -1)).reshape(m, t)
        return is_pg_loss(log_pi, self.log_proposal(batch, demo_share), batch.rewards,
                          batch.mask, future_ratios=c.future_ratios,
                          self_normalize=c.self_normalize, clip=c.clip, gamma=c.gamma,
                          baseline=baseline)

    def _log_pi(self, batch: TrajectoryBatch) -> Tensor:
        m, t = batch.shape
        log_pi = self.actor.log_prob(batch.obs.reshape(m * t, -1),
                                     batch.actions.reshape(m * t, *batch.actions.shape[2:]))
        return log_pi.reshape(m, t) * batch.mask

    def train_on_rollout(self, rollout: RolloutStorage) -> dict[str, Tensor]:
        """``n_epochs`` gradient steps, each on all the trajectories: the IS policy term,
        value_coef * mean (V - R)^2 on the policy's own steps, and the hybrid BC term.

        Also logged: ``charts/is_ess_fraction``, Kish's effective sample size
        (sum w)^2 / sum w^2 of the trajectories' final weights divided by M, and
        ``charts/demo_weight``, the mean final weight of the demonstrated trajectories (both
        before clipping and self-normalization)."""
        c = self.config
        batch = self._concat(self._rollout_batch(rollout), self._demo_batch())
        share = batch.demo_share()
        obs, returns = rollout.obs.flatten(0, 1), rollout.returns.flatten()
        for _ in range(c.n_epochs):
            policy_loss = self.surrogate(batch, share)
            value_loss = c.value_coef * (self.critic(obs) - returns).square().mean()
            extra = self._gradient_step(policy_loss + value_loss)
        with torch.no_grad():
            log_w = self.importance_log_weights(batch, share)
            last = (batch.mask.sum(1).long() - 1).clamp(min=0)
            final = log_w[torch.arange(batch.shape[0]), last]
            ess = torch.exp(2 * torch.logsumexp(final, 0) - torch.logsumexp(2 * final, 0))
            demo_w = final[batch.is_demo].exp().mean()
        return {"losses/policy": policy_loss.detach(), "losses/value": value_loss.detach(),
                "charts/is_ess_fraction": ess / batch.shape[0],
                "charts/demo_weight": demo_w,
                **{k: v.detach() for k, v in extra.items()}}

    # ------------------------------------------------------------------ persistence
    def _extra_state(self) -> dict[str, dict[str, Tensor]]:
        state = super()._extra_state()
        state.pop("demonstrations", None)
        d = self._demos
        if d is not None and d.rewards is not None:
            state["demonstrations"] = {
                "obs": torch.as_tensor(d.obs), "actions": torch.as_tensor(d.actions),
                "rewards": torch.as_tensor(d.rewards), "next_obs": torch.as_tensor(d.next_obs),
                "terminated": torch.as_tensor(d.terminated),
                "truncated": torch.as_tensor(d.truncated),
                "episode_starts": torch.as_tensor(d.episode_starts)}
        return state

    def _load_extra_state(self, states: dict[str, Any]) -> None:
        super(EntropyPGfD, self)._load_extra_state(states)
        saved = states.get("demonstrations")
        if saved:
            arrays = {k: v.numpy() for k, v in saved.items()}
            self._demos = Demonstrations(
                arrays["obs"], arrays["actions"], arrays["rewards"], arrays["next_obs"],
                arrays["terminated"], arrays["truncated"], arrays["episode_starts"],
                self.env_id)
            self._tensors_from(self._demos)

    def _meta(self) -> dict[str, Any]:
        return {**super()._meta(), "proposal_fitted": self._proposal_fitted}

    def _load_states(self, states: dict[str, Any], meta: dict[str, Any]) -> None:
        super()._load_states(states, meta)
        self._proposal_fitted = bool(meta.get("proposal_fitted", True))
