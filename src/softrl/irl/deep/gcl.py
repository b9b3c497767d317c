"""Guided cost learning (Finn, Levine and Abbeel 2016) on Gymnasium, with a max-ent inner agent.

A reward network r_psi(s) (or r_psi(s, a)) and an inner agent (SAC for Box actions, soft
Q-learning for Discrete) trained on r_psi alone, in alternation: every ``disc_every``
environment steps, ``disc_steps`` gradient steps on the importance-sampled MaxEnt IRL loss
(:func:`softrl.functional.gcl_loss`)

    loss = -(1/N) sum_i R_psi(tau_i) + log (1/M) sum_j exp(R_psi(tau_j)) / q(tau_j),

with ``gcl_trajectories`` demonstrated episodes tau_i and a background batch of as many recent
policy episodes plus the demonstrated ones (Finn et al., Algorithm 1: the demonstration batch
is appended to the background batch). The proposal density of every background trajectory is
the mixture q = (1 - lambda) pi + lambda q_demo (:func:`softrl.functional.mixture_log_proposal`,
lambda = ``demo_fraction``): pi the inner agent's current policy (the policy samples come from
its newest episodes, drawn by nearby policies: an approximation), q_demo a rough density of the
demonstrations, a behaviour-cloned Gaussian (Box) or categorical (Discrete) policy fitted once
at construction. Episodes are read back from the replay buffer (one env copy), so checkpoints
and resume need nothing more than the agent's.

>>> from softrl.irl.deep import GCL
>>> GCL("Pendulum-v1", demos="demos.npz", seed=0).learn(30_000)  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import torch
from torch import Tensor, nn

from softrl import functional as F
from softrl.agents.config import Interval, PositiveInt
from softrl.agents.sac import SAC, SACConfig
from softrl.agents.softq import SoftQ, SoftQConfig
from softrl.irl.deep.adversarial import AdversarialConfig, AdversarialMixin, _pick
from softrl.nn import CategoricalActor, GaussianActor
from softrl.nn.mlp import mlp

__all__ = ["GCL", "GCLConfig", "GCLSAC", "GCLSoftQ", "RewardNet"]


class RewardNet(nn.Module):
    """r_psi(s) or r_psi(s, a), one MLP."""

    def __init__(self, obs_dim: int, act_dim: int, hidden_sizes: tuple[int, ...],
                 state_only: bool = True) -> None:
        super().__init__()
        self.state_only = state_only
        self.net = mlp(obs_dim + (0 if state_only else act_dim), hidden_sizes, 1)

    def reward(self, obs: Tensor, act: Tensor) -> Tensor:
        """r_psi, (B,)."""
        x = obs if self.state_only else torch.cat([obs, act], -1)
        return self.net(x).squeeze(-1)


@dataclass(frozen=True)
class GCLConfig(AdversarialConfig):
    """GCL's own hyperparameters (with the reward network's in :class:`AdversarialConfig`)."""

    gcl_trajectories: int = 8
    """Demonstrated and policy episodes per reward step (each)."""
    demo_fraction: float = 0.5
    """lambda: share of the demonstrations' density in the proposal mixture."""
    reward_l2: float = 1e-3
    """Penalty reward_l2 * mean(r_psi^2) over the batch's steps (keeps r_psi bounded)."""
    bc_steps: int = 500
    """Adam steps of the behaviour-cloned demonstration density."""

    _constraints: ClassVar[dict[str, list[Any]]] = {
        "gcl_trajectories": [PositiveInt],
        "demo_fraction": [Interval(float, 0, 1, closed="left")],
        "reward_l2": [Interval(float, 0, None, closed="left")],
        "bc_steps": [PositiveInt],
    }


class GCLMixin(AdversarialMixin):
    """What guided cost learning adds to an off-policy max-ent agent (module docstring)."""

    algorithm: ClassVar[str] = "gcl"

    def _make_discriminator(self) -> nn.Module:
        if self.n_envs != 1:
            raise ValueError(f"The 'n_envs' parameter of {type(self).__name__} must be 1 (its "
                             f"episodes are read back from the replay buffer). Got "
                             f"{self.n_envs} instead.")
        c = self.config
        return RewardNet(self.obs_dim, self.act_feat_dim, c.disc_hidden_sizes, c.state_only)

    def _set_demos(self, demos: Any) -> None:
        super()._set_demos(demos)
        self._fit_demo_density()  # a resumed run then loads the saved one

    # ------------------------------------------------------------------ demo density
    def _fit_demo_density(self) -> None:
        """q_demo(a|s): a behaviour-cloned policy, maximum likelihood on the demonstrations."""
        c = self.config
        self.bc: nn.Module = (CategoricalActor(self.obs_dim, self.act_feat_dim, (64,))
                              if self.discrete else
                              GaussianActor(self.obs_dim, self.act_feat_dim, (64,)))
        self.bc.to(self.device)
        opt = torch.optim.Adam(self.bc.parameters(), lr=3e-3)
        obs, acts = self._demo["obs"], self._demo_actions()
        for _ in range(c.bc_steps):
            loss = -self.bc.log_prob(obs, acts).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        self.bc.requires_grad_(False)

    def _demo_actions(self) -> Tensor:
        a = self._demo["actions"]
        return a[:, 0].long() if self.discrete else a

    def _modules(self) -> dict[str, nn.Module]:
        modules = super()._modules()
        if hasattr(self, "bc"):
            modules["demo_density"] = self.bc
        return modules

    # ------------------------------------------------------------------ episodes
    def _policy_episodes(self) -> tuple[Any, list[tuple[int, int]]]:
        """The newest disc_recent transitions of the replay buffer (oldest first) and the
        (start, length) of the complete episodes among them: the window's first, possibly
        cut, episode and the ongoing last one are dropped."""
        b = self.buffer.newest(self.config.disc_recent)
        n = b.obs.shape[0]
        cont = (b.obs[1:] == b.next_obs[:-1]).all(-1) & (b.terminated[:-1] < 0.5)
        bounds = [0, *(torch.nonzero(~cont).squeeze(-1) + 1).tolist(), n]
        episodes = [(a, e - a) for a, e in zip(bounds[:-1], bounds[1:], strict=True)]
        return b, episodes[1:-1]

    def _segments(self, starts: list[int], lengths: list[int]) -> tuple[Tensor, Tensor]:
        """Row indices of the chosen segments and the segment id of each row."""
        idx = [torch.arange(a, a + n, device=self.device) for a, n in zip(starts, lengths,
                                                                            strict=True)]
        seg = [torch.full((len(r),), j, device=self.device) for j, r in enumerate(idx)]
        return torch.cat(idx), torch.cat(seg)

    def _discriminator_phase(self) -> None:
        c, gen = self.config, self.rngs.torch
        batch, episodes = self._policy_episodes()
        if not episodes:
            return
        starts = self._demo["episode_starts"].tolist()
        ends = [*starts[1:], int(self._demo["obs"].shape[0])]
        demo_actions = self._demo_actions()
        for _ in range(c.disc_steps):
            pick_d = torch.randint(len(starts), (c.gcl_trajectories,), generator=gen,
                                   device=self.device).tolist()
            pick_p = torch.randint(len(episodes), (c.gcl_trajectories,), generator=gen,
                                   device=self.device).tolist()
            d_rows, d_seg = self._segments([starts[i] for i in pick_d],
                                           [ends[i] - starts[i] for i in pick_d])
            p_rows, p_seg = self._segments([episodes[j][0] for j in pick_p],
                                           [episodes[j][1] for j in pick_p])
            loss, logs = self._gcl_step(self._demo["obs"][d_rows], demo_actions[d_rows], d_seg,
                                        batch.obs[p_rows], batch.actions[p_rows], p_seg)
            self.disc_optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.disc_optimizer.step()
        self._disc_logs = logs

    def _segment_sum(self, x: Tensor, seg: Tensor, n: int) -> Tensor:
        return torch.zeros(n, dtype=x.dtype, device=x.device).index_add(0, seg, x)

    def _gcl_step(self, d_obs: Tensor, d_act: Tensor, d_seg: Tensor, p_obs: Tensor,
                  p_act: Tensor, p_seg: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
        c, K = self.config, self.config.gcl_trajectories
        r_d = self.discriminator.reward(d_obs, self._act_features(d_act))
        r_p = self.discriminator.reward(p_obs, self._act_features(p_act))
        R_d, R_p = self._segment_sum(r_d, d_seg, K), self._segment_sum(r_p, p_seg, K)
        with torch.no_grad():
            log_pi = torch.cat([self._segment_sum(self._log_pi(p_obs, p_act), p_seg, K),
                                self._segment_sum(self._log_pi(d_obs, d_act), d_seg, K)])
            log_bc = torch.cat([self._segment_sum(self.bc.log_prob(p_obs, p_act), p_seg, K),
                                self._segment_sum(self.bc.log_prob(d_obs, d_act), d_seg, K)])
            log_q = F.mixture_log_proposal(log_pi, log_bc, c.demo_fraction)
        background = torch.cat([R_p, R_d])
        loss = F.gcl_loss(R_d, background, log_q)
        loss = loss + c.reward_l2 * torch.cat([r_d, r_p]).square().mean()
        with torch.no_grad():
            w = F.gcl_normalized_weights(F.gcl_log_weights(background, log_q))
            logs = {"gcl/loss": loss.detach(),
                    "gcl/effective_sample_size": 1.0 / w.square().sum(),
                    "gcl/demo_return_gap": (R_d.mean() - R_p.mean()).detach()}
        return loss, logs


@dataclass(frozen=True)
class GCLSACConfig(SACConfig, GCLConfig):
    """:class:`SACConfig` plus :class:`GCLConfig`, at the temperature GCL's weights assume."""

    temperature: float | Literal["auto"] = 1.0
    """Entropy weight of the inner agent. GCL's importance weights
    w = exp(R_psi(tau)) / q(tau) are uniform when the sampler is the soft-optimal policy of
    r_psi at T = 1 (pi(tau) proportional to exp(R_psi(tau))), the distribution MaxEnt IRL's
    partition function sums over; a sharper pi (SAC's learned T) makes the 200-step log-weights
    differ by hundreds of nats, the effective sample size collapses to one trajectory, and on
    Pendulum-v1 GCL stalled at 0.37 of the expert where T = 1 reached it (bench/RESULTS.md)."""


@dataclass(frozen=True)
class GCLSoftQConfig(SoftQConfig, GCLConfig):
    """:class:`SoftQConfig` plus :class:`GCLConfig`, at the temperature GCL's weights assume."""

    temperature: float | Literal["auto"] = 1.0
    """Boltzmann temperature of the inner agent; 1 for the reason given in
    :attr:`GCLSACConfig.temperature`."""


class GCLSAC(GCLMixin, SAC):
    """Guided cost learning with a SAC inner agent (Box actions)."""

    kind: ClassVar[str] = "GCL-SAC"
    config_class: ClassVar[type] = GCLSACConfig


class GCLSoftQ(GCLMixin, SoftQ):
    """Guided cost learning with a soft Q-learning inner agent (Discrete actions)."""

    kind: ClassVar[str] = "GCL-SoftQ"
    config_class: ClassVar[type] = GCLSoftQConfig


def GCL(env: Any, **kwargs: Any) -> GCLMixin:  # noqa: N802 - a class-like factory
    """GCL with SAC (Box actions) or soft Q-learning (Discrete actions) inside."""
    return _pick((GCLSAC, GCLSoftQ), env)(env, **kwargs)

