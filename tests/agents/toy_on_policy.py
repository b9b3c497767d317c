"""A small on-policy actor-critic built only from OnPolicyAgent (issue 11's proof for the
on-policy base): Gaussian policy with a learned log-std, a value network, one loss
-log pi * A + (V - R)^2 / 2 over minibatches of each rollout."""

from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import Tensor, nn

from softrl.agents.on_policy import OnPolicyAgent, OnPolicyConfig
from softrl.nn import mlp


@dataclass(frozen=True)
class ToyACConfig(OnPolicyConfig):
    """Small rollouts for fast tests."""

    n_steps: int = 20
    batch_size: int = 20
    n_epochs: int = 2
    hidden_sizes: tuple[int, ...] = (16,)
    learning_rate: float = 3e-3


class ToyActorCritic(OnPolicyAgent):
    """Gaussian actor-critic on Box actions."""

    kind: ClassVar[str] = "ToyAC"
    config_class = ToyACConfig

    def _build(self) -> None:
        c, a = self.config, int(self.action_space.shape[0])
        self.actor, self.critic = mlp(self.obs_dim, c.hidden_sizes, a), mlp(self.obs_dim,
                                                                           c.hidden_sizes, 1)
        self.log_std = nn.Parameter(torch.full((a,), -0.5))
        params = [*self.actor.parameters(), *self.critic.parameters(), self.log_std]
        self.optimizer = torch.optim.Adam(params, lr=c.learning_rate)

    def _modules(self) -> dict[str, nn.Module]:
        return {"actor": self.actor, "critic": self.critic}

    def _optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"optimizer": self.optimizer}

    def _extra_state(self) -> dict[str, dict[str, Tensor]]:
        return {"log_std": {"log_std": self.log_std.detach().cpu()}}

    def _load_extra_state(self, states) -> None:
        with torch.no_grad():
            self.log_std.copy_(states["log_std"]["log_std"])

    def _dist(self, obs: Tensor) -> torch.distributions.Normal:
        return torch.distributions.Normal(self.actor(obs), self.log_std.exp())

    def _policy_action(self, obs: Tensor, deterministic: bool, generator) -> Tensor:
        mean = self.actor(obs)
        noise = torch.randn(mean.shape, generator=generator, device=mean.device)
        return mean if deterministic else mean + self.log_std.exp() * noise

    def _rollout_step(self, obs: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        a = self._policy_action(obs, False, self.rngs.torch)
        return a, self._dist(obs).log_prob(a).sum(-1), self._value(obs)

    def _value(self, obs: Tensor) -> Tensor:
        return self.critic(obs).squeeze(-1)

    def train_on_rollout(self, rollout) -> dict[str, Tensor]:
        for _ in range(self.config.n_epochs):
            for b in rollout.minibatches(self.config.batch_size, self.rngs.torch):
                adv = (b.advantages - b.advantages.mean()) / (b.advantages.std() + 1e-8)
                pg = -(self._dist(b.obs).log_prob(b.actions).sum(-1) * adv).mean()
                loss = pg + 0.5 * (self._value(b.obs) - b.returns).pow(2).mean()
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
                self.num_updates += 1
        return {"losses/total": loss.detach()}
