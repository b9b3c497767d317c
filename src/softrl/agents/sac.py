"""Soft Actor-Critic (Haarnoja et al. 2018) for Gymnasium environments with Box actions.

Default form ("Soft Actor-Critic Algorithms and Applications", https://arxiv.org/abs/1812.05905):
twin Q networks with Polyak-averaged targets, a tanh-squashed Gaussian policy and a temperature
learned toward a target entropy of -dim(A). ``variant="v_network"`` is the original form
(Algorithm 1 of https://arxiv.org/abs/1801.01290): a state-value network V_psi with a Polyak
target, twin Q networks regressed on r + gamma * Vbar(s'), and the same policy.

Every gradient step evaluates all losses at the current parameters, backpropagates their sum
once and takes one Adam step for all networks: the losses touch disjoint parameters (targets
are constants and the actor loss sees the critic's parameters as constants), so this equals
separate optimizers stepping on the same batch. For the twin-Q form with SAC's own networks
the backward pass is written out by hand (:meth:`SAC._manual_grads`, built on
:mod:`softrl.nn.manual`): no autograd graph, activations in kept buffers, both critics and both
critic evaluations of the step in one pass, the CPU's faster float32 matmul kernel (oneDNN or
torch's BLAS, :func:`softrl.nn.manual.set_matmul_backend`) and one fused Adam call. It
gives the autograd path's gradients (tested to 1e-10 in float64) at about half the CPU time on
Pendulum-sized networks; ``agent.manual_update = False`` selects autograd, which also serves the
V-network form and subclasses that add losses. Both run on any device, and on the CPU both run
with float denormals flushed to zero (:func:`softrl.nn.denormals.flush_denormals`;
``agent.flush_denormals = False`` keeps them).

The loop (acting, replay, logging, checkpoints, callbacks) is :class:`OffPolicyAgent`'s; this
file is SAC's networks and its update.

Example
-------
>>> from softrl.agents import SAC
>>> agent = SAC("Pendulum-v1", seed=0).learn(20_000)  # doctest: +SKIP
>>> agent.evaluate(n_episodes=10)["mean_return"]       # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
import torch
from torch import Tensor, nn

from softrl import functional as F
from softrl.agents.config import Interval, StrOptions
from softrl.agents.off_policy import BoundedBoxActions, OffPolicyAgent, OffPolicyConfig
from softrl.agents.temperature import Temperature
from softrl.data import ReplayBatch
from softrl.functional.squashed_gaussian import (
    squashed_gaussian_backward,
    squashed_gaussian_from_noise,
)
from softrl.nn import QEnsemble, SquashedGaussianActor, ValueNetwork
from softrl.nn.manual import (
    Workspace,
    ensemble_mlp_layers,
    ensemble_relu_mlp_backward,
    ensemble_relu_mlp_forward,
    relu_mlp_backward,
    relu_mlp_forward,
    relu_mlp_layers,
)

Variant = Literal["twin_q", "v_network"]
Layer = tuple[Tensor, Tensor]

__all__ = ["SAC", "SACConfig", "make_config"]


@dataclass(frozen=True)
class SACConfig(OffPolicyConfig):
    """Hyperparameters of :class:`SAC` (defaults: Stable-Baselines3's SAC defaults)."""

    temperature: float | Literal["auto"] = "auto"
    """Entropy weight: "auto" learns it toward target_entropy, a float fixes it."""
    initial_temperature: float = 1.0
    """Starting temperature when temperature="auto"."""
    target_entropy: float | None = None
    """Entropy target for temperature="auto"; None means -dim(A)."""
    variant: Variant = "twin_q"
    """"twin_q": twin Q with target Qs (current SAC); "v_network": V_psi + target V (seed 001)."""

    _constraints: ClassVar[dict[str, list[Any]]] = {
        "temperature": [StrOptions({"auto"}), Interval(float, 0, None, closed="left")],
        "initial_temperature": [Interval(float, 0, None, closed="neither")],
        "target_entropy": [None, Interval(float, None, None, closed="neither")],
        "variant": [StrOptions({"twin_q", "v_network"})],
    }


def make_config(**hyperparameters: Any) -> SACConfig:
    """Build and validate a :class:`SACConfig`; unknown names raise ValueError with suggestions."""
    from softrl.agents.config import make_config as _make

    return _make(SACConfig, "SAC", **hyperparameters)


class SAC(BoundedBoxActions, OffPolicyAgent):
    """Soft Actor-Critic with a Stable-Baselines3-style interface.

    Parameters
    ----------
    env : str, gymnasium.Env or gymnasium.vector.VectorEnv
        Its action space must be a Box with finite bounds, its observation space a Box.
    run_dir, tensorboard, eval_env
        See :class:`softrl.agents.Agent`.
    **hyperparameters
        Fields of :class:`SACConfig`.
    """

    kind: ClassVar[str] = "SAC"
    config: SACConfig
    config_class: ClassVar[type[SACConfig]] = SACConfig

    def _build(self) -> None:
        c, o, a = self.config, self.obs_dim, self.action_dim
        # Networks: policy, twin critics as one batched network, and the targets.
        self.actor = SquashedGaussianActor(o, a, c.hidden_sizes)
        self.critic = QEnsemble(o, a, c.hidden_sizes, n_members=2)
        self.critic_target: QEnsemble | None = None
        self.value: ValueNetwork | None = None
        self.value_target: ValueNetwork | None = None
        if c.variant == "twin_q":
            self.critic_target = _frozen_copy(self.critic, QEnsemble(o, a, c.hidden_sizes, 2))
        else:
            self.value = ValueNetwork(o, c.hidden_sizes)
            self.value_target = _frozen_copy(self.value, ValueNetwork(o, c.hidden_sizes))

        # Temperature: learned in log space toward target_entropy, or fixed.
        self.target_entropy = float(-a) if c.target_entropy is None else float(c.target_entropy)
        self.temperature = Temperature(c.temperature, c.initial_temperature,
                                       self.target_entropy, self.device)
        self.learn_temperature = self.temperature.learn
        self.manual_update = True
        """Use the hand-written backward pass where it applies (False: always autograd)."""
        self._workspace = Workspace()
        self.log_temperature = self.temperature.log_temperature
        self.to(self.device)
        params = [*self.actor.parameters(), *self.critic.parameters()]
        if self.value is not None:
            params += list(self.value.parameters())
        if self.learn_temperature:
            params.append(self.log_temperature)
        self.optimizer = torch.optim.Adam(params, lr=c.learning_rate, **_adam_impl(self.device))
        online, target = (self.critic, self.critic_target) if self.critic_target is not None \
            else (self.value, self.value_target)
        assert online is not None and target is not None
        self._target_pairs = (list(target.parameters()), list(online.parameters()))

    def train_step(self, batch: ReplayBatch) -> dict[str, Tensor]:
        """One gradient step on all networks from one batch; returns the losses (tensors).

        The gradients come from :meth:`_manual_grads` (the backward pass written out by hand)
        when the networks are SAC's own and nothing changes the losses, else from
        :meth:`_autograd_grads`; both give the same gradients (tested to float rounding).
        """
        c = self.config
        with self._flushing():  # a no-op inside the loop's phase, which flushes already
            if self._manual_layers() is not None:
                losses = self._manual_grads(batch)
                self._adam_step()
            else:
                losses = self._autograd_grads(batch)
                self.optimizer.step()
        self.num_updates += 1
        if self.num_updates % c.target_update_interval == 0:
            F.polyak_update(*self._target_pairs, c.tau)
        return losses

    def _autograd_grads(self, batch: ReplayBatch) -> dict[str, Tensor]:
        """Set the parameters' ``.grad`` to the gradient of the summed losses by autograd (the
        reference path: any variant, network or extra loss); returns the losses."""
        c = self.config
        obs, actions, rewards, next_obs, terminated = batch[:5]
        temperature = self.temperature()
        gen = self.rngs.torch

        # Policy sample at s, shared by the actor, temperature (and V target) losses.
        a_pi, log_prob = self.actor.sample(obs, gen)
        q_pi = self.critic(obs, a_pi, detach_params=True)  # gradients reach the actor only
        losses = {"losses/actor": F.actor_loss(q_pi, log_prob, temperature)}

        if self.critic_target is not None:  # twin Q with target Q networks
            with torch.no_grad():
                next_a, next_log_prob = self.actor.sample(next_obs, gen)
                next_q = self.critic_target(next_obs, next_a)
                y = F.soft_q_target(rewards, terminated, next_q, next_log_prob, temperature,
                                    c.gamma)
        else:  # V network: J_V toward min Q - T log pi, J_Q toward r + gamma Vbar(s')
            assert self.value is not None and self.value_target is not None
            v_target = F.soft_v_target(q_pi, log_prob, temperature)
            losses["losses/value"] = F.value_loss(self.value(obs), v_target)
            with torch.no_grad():
                y = F.q_target_from_value(rewards, terminated, self.value_target(next_obs),
                                          c.gamma)
        losses["losses/critic"] = F.critic_loss(self.critic(obs, actions), y)
        if self.learn_temperature:
            losses["losses/temperature"] = self.temperature.loss(log_prob)
        losses.update(self._extra_losses(batch))

        self.optimizer.zero_grad(set_to_none=True)
        torch.stack(list(losses.values())).sum().backward()
        return {k: v.detach() for k, v in losses.items()}

    def _manual_layers(self) -> tuple[list[Layer], list[Layer], list[Layer]] | None:
        """(W, b) of the actor, critic and target critic when the hand-written update applies:
        ``manual_update`` set, the twin-Q variant, SAC's own actor and critic classes with
        plain ReLU MLPs, and no subclass changing the losses (``_extra_losses``). Looked up
        once per set of network objects."""
        key = (self.manual_update, self.actor, self.critic, self.critic_target)
        cache = self.__dict__.get("_manual_cache")
        if cache is None or any(a is not b for a, b in zip(cache[0], key, strict=True)):
            layers = None
            if (self.manual_update and self.critic_target is not None
                    and type(self)._extra_losses is SAC._extra_losses
                    and type(self.actor) is SquashedGaussianActor
                    and type(self.critic) is QEnsemble and type(self.critic_target) is QEnsemble):
                actor = relu_mlp_layers(self.actor.net)
                critic = ensemble_mlp_layers(self.critic.net)
                target = ensemble_mlp_layers(self.critic_target.net)
                if actor is not None and critic is not None and target is not None:
                    layers = (actor, critic, target)
            self.__dict__["_manual_cache"] = cache = (key, layers)
        return cache[1]

    @torch.no_grad()
    def _manual_grads(self, batch: ReplayBatch) -> dict[str, Tensor]:
        """:meth:`_autograd_grads` for twin-Q SAC with the backward pass written out by hand.

        The actor runs once on the 2B rows [s; s'] (a~ ~ pi(.|s) and a' ~ pi(.|s'), noise drawn
        in the autograd path's order), the target critic on (s', a'), the online critic once on
        the 2B rows [(s, a); (s, a~)]. With d_ib = Q_i(s_b, a_b) - y_b and m_b the member
        attaining min_i Q_i(s_b, a~_b), the losses' output gradients are

            dJ_Q/dQ_i(s_b, a_b) = d_ib / B,   dJ_pi/dQ_i(s_b, a~_b) = -1[i = m_b] / B,
            dJ_pi/dlog pi_b = T / B,          dJ(log T)/dlog T = -mean_b (log pi_b + target),

        one backward pass through the critic gives the critic's weight gradients (rows of
        J_Q) and dJ_pi/da~ (rows of J_pi), :func:`squashed_gaussian_backward` carries it to
        the actor's [mean, log_std] output (zero where the clamp of log_std is active), and
        :func:`relu_mlp_backward` to the actor's weights. Gradients land in preallocated
        ``.grad`` buffers; nothing synchronizes with the host.
        """
        c = self.config
        layers = self._manual_layers()
        assert layers is not None
        actor_layers, critic_layers, target_layers = layers
        obs, actions, rewards, next_obs, terminated = batch[:5]
        n, a_dim, o_dim = obs.shape[0], self.action_dim, obs.shape[1]
        temperature = self.temperature()
        gen = self.rngs.torch

        # Actor on [s; s'], noise for s then s' (the order of the autograd path).
        states = torch.cat([obs, next_obs])
        ws = self._workspace
        actor_acts = relu_mlp_forward(states, actor_layers, ws, "actor")
        mean, raw_log_std = actor_acts[-1].split(a_dim, dim=-1)
        lo, hi = self.actor.log_std_bounds
        log_std = raw_log_std.clamp(lo, hi)
        eps = torch.empty_like(mean)
        eps[:n].normal_(generator=gen)
        eps[n:].normal_(generator=gen)
        action, log_prob, std = squashed_gaussian_from_noise(mean, log_std, eps)
        a_pi, log_pi = action[:n], log_prob[:n]

        # Target: y = r + gamma (1 - done) (min_i Qbar_i(s', a') - T log pi(a'|s')).
        next_q = ensemble_relu_mlp_forward(torch.cat([next_obs, action[n:]], dim=-1),
                                           target_layers, ws, "target")[-1]
        next_q = torch.stack([q[:, 0] for q in next_q])  # (E, B)
        y = F.soft_q_target(rewards, terminated, next_q, log_prob[n:], temperature, c.gamma)

        # Online critic on [(s, a); (s, a~)] and the gradient at its output.
        x = torch.cat([obs.repeat(2, 1), torch.cat([actions, a_pi])], dim=-1)
        critic_acts = ensemble_relu_mlp_forward(x, critic_layers, ws, "critic")
        q_all = torch.stack([q[:, 0] for q in critic_acts[-1]])  # (E, 2B)
        diff = q_all[:, :n] - y
        min_q_pi, member = q_all[:, n:].min(0)
        grad_q = torch.empty_like(q_all)
        torch.div(diff, n, out=grad_q[:, :n])
        members = torch.arange(q_all.shape[0], device=q_all.device).unsqueeze(-1)
        torch.mul(members == member, -1.0 / n, out=grad_q[:, n:])
        critic_grads = self._grad_buffers(critic_layers)
        grad_a = ensemble_relu_mlp_backward(x, critic_layers, critic_acts, grad_q.unsqueeze(-1),
                                            critic_grads, weight_rows=n, input_grad=(n, o_dim),
                                            ws=ws, name="critic")
        assert grad_a is not None  # dJ_pi/da~, (B, A)

        # Through the squashed Gaussian and the log_std clamp to the actor's output.
        grad_mean, grad_log_std = squashed_gaussian_backward(
            grad_a, temperature / n, a_pi, eps[:n], std[:n])
        raw = raw_log_std[:n]
        grad_log_std = torch.where((raw >= lo) & (raw <= hi), grad_log_std, 0.0)
        relu_mlp_backward(obs, actor_layers, [h[:n] for h in actor_acts],
                          torch.cat([grad_mean, grad_log_std], dim=-1),
                          self._grad_buffers(actor_layers), ws, "actor")

        losses = {"losses/actor": (temperature * log_pi - min_q_pi).mean(),
                  "losses/critic": 0.5 * diff.square().mean(1).sum()}
        if self.learn_temperature:
            gap = (log_pi + self.target_entropy).mean()
            self.log_temperature.grad = gap.neg()
            losses["losses/temperature"] = -self.log_temperature.detach() * gap
        return losses

    def _adam_step(self) -> None:
        """``self.optimizer.step()`` as one direct ``torch._fused_adam_`` call on lists built
        once, which skips the optimizer's per-step walk over its parameters (the same kernel,
        the same state tensors, so checkpoints and the autograd path see no difference).
        Falls back to ``step()`` until the state exists, after a state load, or for settings
        other than plain fused Adam in one group."""
        opt = self.optimizer
        cache = self.__dict__.get("_adam_cache")
        if cache is None or cache[0] is not opt.state:
            group = opt.param_groups[0]
            params = list(group["params"])
            plain = (len(opt.param_groups) == 1 and group.get("fused")
                     and not group["amsgrad"] and not group["maximize"]
                     and not group.get("decoupled_weight_decay", False)
                     and all(p in opt.state and "exp_avg" in opt.state[p] for p in params))
            if not plain:
                opt.step()
                return
            states = [opt.state[p] for p in params]
            cache = (opt.state, group, params, [st["exp_avg"] for st in states],
                     [st["exp_avg_sq"] for st in states], [st["step"] for st in states])
            self.__dict__["_adam_cache"] = cache
        _, group, params, exp_avgs, exp_avg_sqs, steps = cache
        beta1, beta2 = group["betas"]
        torch._foreach_add_(steps, 1)
        torch._fused_adam_(params, [p.grad for p in params], exp_avgs, exp_avg_sqs, [], steps,
                           amsgrad=False, lr=group["lr"], beta1=beta1, beta2=beta2,
                           weight_decay=group["weight_decay"], eps=group["eps"],
                           maximize=False)

    @staticmethod
    def _grad_buffers(layers: list[Layer]) -> list[Layer]:
        """The parameters' ``.grad`` tensors, created once (the hand-written backward pass
        overwrites them; the autograd path may have set them to None)."""
        for w, b in layers:
            for p in (w, b):
                if p.grad is None:
                    p.grad = torch.zeros_like(p)
        return [(w.grad, b.grad) for w, b in layers]  # type: ignore[misc]

    def _extra_losses(self, batch: ReplayBatch) -> dict[str, Tensor]:
        """Further terms added to the step's sum of losses, by name (default: none; e.g. a
        behavior-cloning term on the demonstration rows of the batch)."""
        return {}

    # ------------------------------------------------------------------ acting
    def _policy_action(self, obs: Tensor, deterministic: bool,
                       generator: torch.Generator) -> Tensor:
        return self.actor.act(obs, deterministic, generator)

    def _random_action(self) -> Tensor:
        return 2.0 * torch.rand((self.n_envs, self.action_dim), generator=self.rngs.torch,
                                device=self.device) - 1.0

    def _to_env_action(self, action: Tensor) -> np.ndarray:
        """Map actions in (-1, 1) to the env's [low, high] as float32 numpy."""
        a = action.detach().cpu()
        return (self.action_low + 0.5 * (a + 1.0) * (self.action_high - self.action_low)).numpy()

    # ------------------------------------------------------------------ state
    def _modules(self) -> dict[str, nn.Module]:
        nets: dict[str, nn.Module | None] = {
            "actor": self.actor, "critic": self.critic, "critic_target": self.critic_target,
            "value": self.value, "value_target": self.value_target,
            "temperature": self.temperature,
        }
        return {k: v for k, v in nets.items() if v is not None}

    def _networks(self) -> dict[str, nn.Module]:
        return self._modules()

    def _optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"optimizer": self.optimizer}

    def _log_values(self) -> dict[str, float]:
        return {"charts/temperature": self.temperature().item(), **super()._log_values()}


def _frozen_copy(source: nn.Module, target: nn.Module) -> nn.Module:
    """``target`` with ``source``'s parameters, excluded from gradients (a target network)."""
    target.load_state_dict(source.state_dict())
    target.requires_grad_(False)
    return target


def _adam_impl(device: torch.device) -> dict[str, bool]:
    """Fused Adam where torch has it for ``device`` (one kernel over all parameters)."""
    return {"fused": True} if device.type in ("cpu", "cuda") else {"foreach": True}
