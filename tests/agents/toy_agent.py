"""A one-network agent built only from the bases: proof that a new agent gets the loop,
callbacks, checkpoints, resume, evaluation and the CLI for free (issue 11).

It learns a deterministic policy a = tanh(f(s)) on the point-mass task by regressing, on replay
batches, toward the action that moves the point to 0 (a* = clip(-2 s, -1, 1)).
"""

from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import Tensor, nn

from softrl.agents import OffPolicyAgent, OffPolicyConfig
from softrl.nn import mlp


@dataclass(frozen=True)
class ToyConfig(OffPolicyConfig):
    """The off-policy defaults, smaller."""

    hidden_sizes: tuple[int, ...] = (16,)
    batch_size: int = 16
    learning_starts: int = 20
    learning_rate: float = 1e-2


class ToyAgent(OffPolicyAgent):
    """Toy agent: one MLP policy regressed toward the action that reaches the origin."""

    kind: ClassVar[str] = "Toy"
    config_class = ToyConfig

    def _build(self) -> None:
        self.policy = mlp(self.obs_dim, self.config.hidden_sizes, 1)
        self.optimizer = torch.optim.Adam(self.policy.parameters(), lr=self.config.learning_rate)

    def _modules(self) -> dict[str, nn.Module]:
        return {"policy": self.policy}

    def _optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"optimizer": self.optimizer}

    def _policy_action(self, obs: Tensor, deterministic: bool, generator) -> Tensor:
        return torch.tanh(self.policy(obs))

    def train_step(self, batch) -> dict[str, Tensor]:
        target = (-2.0 * batch.obs).clamp(-1.0, 1.0)
        loss = (torch.tanh(self.policy(batch.obs)) - target).pow(2).mean()
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.num_updates += 1
        return {"losses/policy": loss.detach()}
