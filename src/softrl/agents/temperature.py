"""The entropy weight of max-ent agents: fixed, or learned toward a target entropy."""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch import Tensor, nn

from softrl.functional.sac import temperature_loss

__all__ = ["Temperature"]


class Temperature(nn.Module):
    """T = exp(log_temperature), a module so that checkpoints and ``get_parameters`` see it.

    Parameters
    ----------
    temperature : float or "auto"
        A fixed T >= 0, or "auto" to learn log T toward ``target_entropy``.
    initial : float
        Starting T when learned.
    target_entropy : float
        Desired policy entropy (nats) when learned.
    device : torch.device
        Where the parameter lives.
    """

    def __init__(self, temperature: float | Literal["auto"], initial: float,
                 target_entropy: float, device: torch.device | str = "cpu") -> None:
        super().__init__()
        self.learn = temperature == "auto"
        init = initial if self.learn else float(temperature)
        self.log_temperature = nn.Parameter(
            torch.tensor(math.log(max(init, 1e-30)), device=device), requires_grad=self.learn)
        self.target_entropy = float(target_entropy)

    def forward(self) -> Tensor:
        """The current T, without gradient (shape ())."""
        return self.log_temperature.detach().exp()

    def loss(self, log_prob: Tensor) -> Tensor:
        """:func:`softrl.functional.temperature_loss` of log pi samples (or -entropies)."""
        return temperature_loss(self.log_temperature, log_prob, self.target_entropy)
