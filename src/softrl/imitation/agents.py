"""The max-ent agents learning from demonstrations and rewards together (seed 004).

:class:`SoftQfD`, :class:`SACfD` and :class:`EntropyPGfD` are SoftQ, SAC and EntropyPG with
demonstrations (a ``demos=`` file, or :meth:`add_demos`), and these options of their config
(so ``softrl train softqfd --demos demos.npz ...`` has them as flags):

1. pretrain and fine-tune: ``pretrain_epochs`` of behavior cloning (validation split, early
   stopping) and ``pretrain_critic_epochs`` fitting the critic to the demos' discounted
   returns, before the first environment step; off-policy agents also take
   ``pretrain_steps`` gradient steps of their full loss on demonstration-only batches
   (DQfD's pre-training phase);
2. demonstrations in the replay buffer (off-policy agents): a permanent partition of the
   buffer, a share ``demo_ratio`` of every batch; SoftQfD adds DQfD's large-margin loss
   (``margin``, ``margin_weight``) and n-step returns on the demonstrations (``n_step``,
   ``n_step_weight``);
3. the hybrid objective E_pi[r] + lambda sum_demos log pi(a|s): every agent adds
   lambda * mean_demos(-log pi(a|s)) to its loss, lambda = ``bc_weight`` moving linearly to
   ``bc_weight_final`` over ``bc_anneal_steps`` env steps (fixed when that is None). SACfD's
   BC term is this term on the demonstration rows of its batches.

The demo terms of SoftQfD and SACfD are means over the demonstration rows of each batch; the
agents' own rows carry ``is_demo = 0``. The demonstrations travel in checkpoints (the replay
buffer's partition, or EntropyPGfD's extra state), so a run resumes without the file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch
from torch import Tensor

from softrl import functional as F
from softrl.agents.config import AgentConfig, Interval, NonNegInt, PositiveInt
from softrl.agents.pg import EntropyPG, EntropyPGConfig
from softrl.agents.sac import SAC, SACConfig
from softrl.agents.softq import SoftQ, SoftQConfig
from softrl.data import ReplayBuffer
from softrl.demos import DemonstrationError, Demonstrations, concatenate, load_demos
from softrl.imitation.bc import behavior_cloning, fit_critic_to_returns
from softrl.imitation.functional import (
    annealed_weight,
    demo_n_step,
    large_margin_loss,
    soft_n_step_target,
)
from softrl.imitation.policies import policy_log_prob, to_agent_actions

__all__ = ["EntropyPGfD", "EntropyPGfDConfig", "SACfD", "SACfDConfig", "SoftQfD",
           "SoftQfDConfig"]

_NonNegFloat = Interval(float, 0, None, closed="left")


@dataclass(frozen=True)
class DemoConfig(AgentConfig):
    """Options shared by every agent that learns from demonstrations."""

    demos: str | None = None
    """Demonstrations file (.npz from `softrl demos`), checked against the env."""
    pretrain_epochs: int = 0
    """Epochs of behavior cloning before RL (10% of episodes held out, early stopping)."""
    pretrain_critic_epochs: int = 0
    """Epochs fitting the critic to the demos' discounted returns before RL (needs rewards)."""
    pretrain_learning_rate: float = 1e-3
    """Adam step size of the pretraining fits."""
    bc_weight: float = 0.0
    """lambda of the hybrid objective E[r] + lambda * mean_demos log pi(a|s) (0: off)."""
    bc_weight_final: float | None = None
    """lambda after bc_anneal_steps env steps (linear schedule; None keeps bc_weight)."""
    bc_anneal_steps: int = 0
    """Env steps over which lambda moves from bc_weight to bc_weight_final."""

    _constraints: ClassVar[dict[str, list[Any]]] = {
        "demos": [None, str],
        "pretrain_epochs": [NonNegInt],
        "pretrain_critic_epochs": [NonNegInt],
        "pretrain_learning_rate": [Interval(float, 0, None, closed="neither")],
        "bc_weight": [_NonNegFloat],
        "bc_weight_final": [None, _NonNegFloat],
        "bc_anneal_steps": [NonNegInt],
    }


@dataclass(frozen=True)
class OffPolicyDemoConfig(DemoConfig):
    """Demonstrations in the replay buffer."""

    demo_ratio: float | None = 0.25
    """Share of demonstration rows in each batch (None: uniform over demos and own data)."""
    pretrain_steps: int = 0
    """Gradient steps of the full loss on demonstration-only batches before RL."""

    _constraints: ClassVar[dict[str, list[Any]]] = {
        "demo_ratio": [None, Interval(float, 0, 1, closed="both")],
        "pretrain_steps": [NonNegInt],
    }


class _FromDemos:
    """What the three agents share: demonstrations, pretraining, lambda's schedule."""

    config: Any
    _demos: Demonstrations | None
    _pretrained: bool

    def _init_demos(self, resuming: bool) -> None:
        self._demos = None
        self._pretrained = False
        if self.config.demos and not resuming:
            self.add_demos(load_demos(self.config.demos))

    def add_demos(self, demos: Demonstrations) -> Any:
        """Add demonstrations (checked against the env); returns ``self``."""
        if not isinstance(demos, Demonstrations):
            raise TypeError(f"add_demos takes a softrl.demos.Demonstrations; got "
                            f"{type(demos).__name__} (files: softrl.demos.load_demos)")
        env_id = getattr(self, "env_id", None)
        if demos.env_id and env_id and demos.env_id != env_id:
            raise DemonstrationError(f"env_id: the demonstrations were recorded in "
                                     f"{demos.env_id!r}, this agent trains in {env_id!r}")
        demos.validate_for((self.observation_space, self.action_space))  # type: ignore[attr-defined]
        self._demos = demos if self._demos is None else concatenate([self._demos, demos])
        self._store_demos(demos)
        return self

    def _store_demos(self, demos: Demonstrations) -> None:
        """Keep the demonstrations where the update reads them."""

    def bc_weight_now(self) -> float:
        """lambda of the hybrid objective at the current env step."""
        c = self.config
        return annealed_weight(self.num_steps, c.bc_weight, c.bc_weight_final,  # type: ignore[attr-defined]
                               c.bc_anneal_steps)

    def pretrain(self) -> dict[str, Any]:
        """Behavior cloning, critic fit and demo-only gradient steps as configured (once, before
        the first env step; ``learn`` calls it). Returns what each did (also written to
        ``RUN_DIR/pretrain.json``)."""
        c = self.config
        wanted = c.pretrain_epochs or c.pretrain_critic_epochs or getattr(c, "pretrain_steps", 0)
        if wanted and self._demos is None and not self._has_stored_demos():
            raise ValueError("pretraining needs demonstrations: pass demos=PATH (--demos) or "
                             "call add_demos() first")
        with self._flushing():  # type: ignore[attr-defined]
            report = self._pretrain_report()
        self._pretrained = True
        run_dir = getattr(self, "run_dir", None)
        if run_dir is not None and report:
            run_dir.mkdir(parents=True, exist_ok=True)
            (run_dir / "pretrain.json").write_text(json.dumps(report, indent=1))
        return report

    def _pretrain_report(self) -> dict[str, Any]:
        """The gradient steps of :meth:`pretrain`; returns its report."""
        c = self.config
        report: dict[str, Any] = {}
        if c.pretrain_epochs and self._demos is not None:
            report["bc"] = behavior_cloning(self, self._demos, max_epochs=c.pretrain_epochs,
                                            learning_rate=c.pretrain_learning_rate,
                                            seed=c.seed).as_dict()
        if c.pretrain_critic_epochs and self._demos is not None \
                and self._demos.rewards is not None:
            report["critic_mse"] = fit_critic_to_returns(
                self, self._demos, epochs=c.pretrain_critic_epochs,
                learning_rate=c.pretrain_learning_rate, seed=c.seed)
        steps = getattr(c, "pretrain_steps", 0)
        if steps:
            report["demo_steps"] = self._pretrain_steps(steps)
        return report

    def _has_stored_demos(self) -> bool:
        return False

    def _pretrain_steps(self, steps: int) -> list[float]:
        raise TypeError(f"{type(self).__name__} has no demo-only gradient steps")

    def learn(self, total_timesteps: int, *args: Any, **kwargs: Any) -> Any:
        """Pretrain (first call only, as configured), then the agent's own ``learn``."""
        if not self._pretrained and self.num_steps == 0:  # type: ignore[attr-defined]
            self.pretrain()
        return super().learn(total_timesteps, *args, **kwargs)  # type: ignore[misc]

    def _meta(self) -> dict[str, Any]:
        return {**super()._meta(), "pretrained": self._pretrained}  # type: ignore[misc]

    def _load_states(self, states: dict[str, Any], meta: dict[str, Any]) -> None:
        super()._load_states(states, meta)  # type: ignore[misc]
        self._pretrained = bool(meta.get("pretrained", True))

    def _demo_nll(self, obs: Tensor, actions: Tensor) -> Tensor:
        """mean -log pi(a|s) over demonstration rows."""
        return -policy_log_prob(self, obs, actions).mean()


class _ReplayDemos(_FromDemos):
    """Demonstrations in a permanent partition of the replay buffer."""

    buffer: ReplayBuffer

    def _demo_extras(self) -> dict[str, tuple[int, ...]]:
        """Extra per-row fields of demonstrations besides ``is_demo`` (default: none)."""
        return {}

    def _demo_extra_values(self, demos: Demonstrations) -> dict[str, np.ndarray]:
        return {}

    def _make_buffer(self) -> ReplayBuffer:
        c = self.config
        extras = {"is_demo": (), **self._demo_extras()}
        return ReplayBuffer(
            c.buffer_size, self.obs_dim, self._buffer_action_dim(), self.device,  # type: ignore[attr-defined]
            discrete_actions=self._discrete_actions(), extra_fields=extras,  # type: ignore[attr-defined]
            integer_fields={"is_demo"}, extra_defaults=dict.fromkeys(extras, 0.0),
            demo_ratio=c.demo_ratio)

    def _grow_demo_partition(self, rows: int) -> None:
        """Rebuild the buffer with ``rows`` more demonstration rows, keeping its content."""
        old = self.buffer
        new = self._make_buffer()
        grown = ReplayBuffer(new.capacity, new.obs_dim, new.action_dim, new.device,
                             new.discrete_actions, new.extra_fields, new.integer_fields,
                             new.extra_defaults, old.demo_capacity + rows, new.demo_ratio)
        grown.data.copy_(old.data)
        grown.pos, grown.size = old.pos, old.size
        grown.demo_data[:old.demo_size] = old.demo_data[:old.demo_size]
        grown.demo_size = old.demo_size
        self.buffer = grown

    def _store_demos(self, demos: Demonstrations) -> None:
        if demos.rewards is None:
            raise DemonstrationError("demonstrations in the replay buffer need rewards; these "
                                     "have none (use pretrain_epochs / bc_weight, or record "
                                     "them with rewards)")
        self._grow_demo_partition(len(demos))
        obs = self._obs_tensor(demos.obs).cpu().numpy()  # type: ignore[attr-defined]
        next_obs = self._obs_tensor(demos.next_obs).cpu().numpy()  # type: ignore[attr-defined]
        actions = to_agent_actions(self, demos.actions).cpu().numpy().reshape(len(demos), -1)
        self.buffer.add_demos(obs, actions, demos.rewards, next_obs,
                              demos.terminated.astype(np.float32),
                              is_demo=np.ones(len(demos), np.float32),
                              **self._demo_extra_values(demos))

    def _has_stored_demos(self) -> bool:
        return self.buffer.demo_size > 0

    def _pretrain_steps(self, steps: int) -> list[float]:
        if self.buffer.demo_size == 0:
            raise ValueError("pretrain_steps needs demonstrations in the replay buffer")
        saved, self.buffer.demo_ratio = self.buffer.demo_ratio, 1.0
        losses = []
        try:
            for _ in range(steps):
                out = self.train_step(self.buffer.sample(self.config.batch_size,  # type: ignore[attr-defined]
                                                         self.rngs.torch))  # type: ignore[attr-defined]
                losses.append(float(sum(v.item() for v in out.values())))
        finally:
            self.buffer.demo_ratio = saved
        return losses[-1:]

    def _load_buffer_states(self, states: dict[str, Any]) -> None:
        saved = states.get("replay_buffer", {})
        need = int(saved.get("demo_capacity", 0)) - self.buffer.demo_capacity
        if need > 0:
            self._grow_demo_partition(need)
        super()._load_buffer_states(states)  # type: ignore[misc]


# ---------------------------------------------------------------------- SoftQ
@dataclass(frozen=True)
class SoftQfDConfig(SoftQConfig, OffPolicyDemoConfig):
    """Hyperparameters of :class:`SoftQfD`: SoftQ's plus the demonstration options."""

    margin: float = 0.8
    """DQfD's margin l(a_E, a) for a != a_E."""
    margin_weight: float = 1.0
    """Weight of the large-margin loss on demonstration rows (0: off)."""
    n_step: int = 1
    """n of the n-step return loss on demonstration rows (1: off)."""
    n_step_weight: float = 1.0
    """Weight of the n-step loss."""

    _constraints: ClassVar[dict[str, list[Any]]] = {
        "margin": [_NonNegFloat],
        "margin_weight": [_NonNegFloat],
        "n_step": [PositiveInt],
        "n_step_weight": [_NonNegFloat],
    }


class SoftQfD(_ReplayDemos, SoftQ):
    """Soft Q-learning from demonstrations (soft DQfD): SoftQ with demos in replay, the
    large-margin and n-step losses on them, the hybrid BC term, and pretraining.

    Loss of a batch: Huber(Q(s,a) - y) over all rows, plus over the demonstration rows
    margin_weight * J_E (:func:`~softrl.imitation.functional.large_margin_loss`),
    n_step_weight * Huber(Q(s,a) - y_n) (:func:`~softrl.imitation.functional.soft_n_step_target`)
    and lambda * mean(-log pi(a|s)) with pi the Boltzmann policy softmax(Q/T).
    """

    kind: ClassVar[str] = "SoftQfD"
    config: SoftQfDConfig
    config_class: ClassVar[type[SoftQfDConfig]] = SoftQfDConfig

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._init_demos(kwargs.get("_resuming", False))

    def _demo_extras(self) -> dict[str, tuple[int, ...]]:
        if self.config.n_step == 1:
            return {}
        return {"nstep_return": (), "nstep_obs": (self.obs_dim,), "nstep_discount": ()}

    def _demo_extra_values(self, demos: Demonstrations) -> dict[str, np.ndarray]:
        if self.config.n_step == 1:
            return {}
        ret, last, discount = demo_n_step(demos, self.config.n_step, self.config.gamma)
        return {"nstep_return": ret.astype(np.float32),
                "nstep_obs": self._obs_tensor(demos.next_obs[last]).cpu().numpy(),
                "nstep_discount": discount.astype(np.float32)}

    def _batch_losses(self, batch: Any, q_all: Tensor, q_taken: Tensor,
                      temperature: Tensor) -> dict[str, Tensor]:
        """The demonstration terms on the batch's demo rows: DQfD's margin loss, the n-step
        soft return's Huber loss and the hybrid term -lambda * mean log pi(a|s)."""
        c, actions = self.config, batch[1]
        losses: dict[str, Tensor] = {}
        demo = batch.is_demo.bool()
        if bool(demo.any()):
            q_d, a_d, T_d = q_all[demo], actions[demo], temperature.detach()
            if c.margin_weight > 0:
                losses["losses/margin"] = c.margin_weight * large_margin_loss(
                    q_d, a_d, c.margin).mean()
            if c.n_step > 1:
                with torch.no_grad():
                    y_n = soft_n_step_target(batch.nstep_return[demo],
                                             batch.nstep_discount[demo],
                                             self.q_target(batch.nstep_obs[demo]), T_d)
                losses["losses/n_step"] = c.n_step_weight * \
                    torch.nn.functional.smooth_l1_loss(q_taken[demo], y_n)
            lam = self.bc_weight_now()
            if lam > 0:
                log_pi = F.boltzmann_log_policy(q_d, T_d).gather(-1, a_d.unsqueeze(-1))
                losses["losses/bc"] = -lam * log_pi.mean()
        return losses


# ---------------------------------------------------------------------- SAC
@dataclass(frozen=True)
class SACfDConfig(SACConfig, OffPolicyDemoConfig):
    """Hyperparameters of :class:`SACfD`: SAC's plus the demonstration options."""


class SACfD(_ReplayDemos, SAC):
    """SAC from demonstrations: demos in replay, the hybrid BC term lambda * mean(-log pi(a|s))
    on the demonstration rows of each batch (added to the actor's loss), and pretraining."""

    kind: ClassVar[str] = "SACfD"
    config: SACfDConfig
    config_class: ClassVar[type[SACfDConfig]] = SACfDConfig

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._init_demos(kwargs.get("_resuming", False))

    def _extra_losses(self, batch: Any) -> dict[str, Tensor]:
        lam = self.bc_weight_now()
        demo = batch.is_demo.bool()
        if lam <= 0 or not bool(demo.any()):
            return {}
        return {"losses/bc": lam * self._demo_nll(batch.obs[demo], batch.actions[demo])}


# ---------------------------------------------------------------------- EntropyPG
@dataclass(frozen=True)
class EntropyPGfDConfig(EntropyPGConfig, DemoConfig):
    """Hyperparameters of :class:`EntropyPGfD`: EntropyPG's plus the demonstration options."""

    demo_batch_size: int = 256
    """Demonstrated transitions per minibatch of the BC term."""

    _constraints: ClassVar[dict[str, list[Any]]] = {"demo_batch_size": [PositiveInt]}


class EntropyPGfD(_FromDemos, EntropyPG):
    """Entropy-regularized policy gradient with the hybrid objective: each minibatch adds
    lambda * mean(-log pi(a|s)) over ``demo_batch_size`` demonstrated transitions; plus
    pretraining (BC, and the value network fitted to the demos' returns)."""

    kind: ClassVar[str] = "PGfD"
    config: EntropyPGfDConfig
    config_class: ClassVar[type[EntropyPGfDConfig]] = EntropyPGfDConfig

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._demo_obs: Tensor | None = None
        self._demo_actions: Tensor | None = None
        super().__init__(*args, **kwargs)
        self._init_demos(kwargs.get("_resuming", False))

    def _store_demos(self, demos: Demonstrations) -> None:
        obs = self._obs_tensor(demos.obs)
        actions = to_agent_actions(self, demos.actions)
        if self._demo_obs is not None and self._demo_actions is not None:
            obs = torch.cat([self._demo_obs, obs])
            actions = torch.cat([self._demo_actions, actions])
        self._demo_obs, self._demo_actions = obs, actions

    def _has_stored_demos(self) -> bool:
        return self._demo_obs is not None

    def _extra_losses(self) -> dict[str, Tensor]:
        lam = self.bc_weight_now()
        if lam <= 0 or self._demo_obs is None or self._demo_actions is None:
            return {}
        n = self._demo_obs.shape[0]
        idx = torch.randint(n, (min(self.config.demo_batch_size, n),),
                            generator=self.rngs.torch, device=self.device)
        return {"losses/bc": lam * self._demo_nll(self._demo_obs[idx], self._demo_actions[idx])}

    def _extra_state(self) -> dict[str, dict[str, Tensor]]:
        state = super()._extra_state()
        if self._demo_obs is not None and self._demo_actions is not None:
            state["demonstrations"] = {"obs": self._demo_obs.cpu(),
                                       "actions": self._demo_actions.cpu()}
        return state

    def _load_extra_state(self, states: dict[str, Any]) -> None:
        super()._load_extra_state(states)
        saved = states.get("demonstrations")
        if saved:
            self._demo_obs = saved["obs"].to(self.device)
            self._demo_actions = saved["actions"].to(self.device)
