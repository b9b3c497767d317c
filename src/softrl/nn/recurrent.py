"""A recurrent core for agents that remember across steps and episodes (RL^2, meta-RL)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

__all__ = ["RecurrentCore"]


class RecurrentCore(nn.Module):
    """A GRU over time with an explicit hidden state and per-step resets.

    h_t = GRU(x_t, (1 - reset_t) * h_{t-1}): where ``reset_t`` is 1 the memory is cleared before
    step t (an episode, or a task, starts there).

    Parameters
    ----------
    in_dim, hidden_dim : int
        Input width and hidden-state width.
    """

    def __init__(self, in_dim: int, hidden_dim: int) -> None:
        super().__init__()
        self.hidden_dim = hidden_dim
        self.cell = nn.GRUCell(in_dim, hidden_dim)

    def initial_state(self, batch_size: int, device: torch.device | str = "cpu") -> Tensor:
        """Zeros of shape (B, hidden_dim)."""
        return torch.zeros(batch_size, self.hidden_dim, device=device)

    def forward(self, x: Tensor, hidden: Tensor, reset: Tensor | None = None
                ) -> tuple[Tensor, Tensor]:
        """Run T steps.

        Parameters
        ----------
        x : Tensor, shape (T, B, in_dim)
            Inputs.
        hidden : Tensor, shape (B, hidden_dim)
            State before the first step.
        reset : Tensor, shape (T, B), optional
            1 where the state is cleared before that step.

        Returns
        -------
        (outputs, hidden) : (T, B, hidden_dim) and the final state (B, hidden_dim)
        """
        if x.dim() != 3 or hidden.shape != (x.shape[1], self.hidden_dim):
            raise ValueError(f"x must be (T, B, in_dim) and hidden (B, {self.hidden_dim}); got "
                             f"{tuple(x.shape)} and {tuple(hidden.shape)}")
        if reset is not None and reset.shape != x.shape[:2]:
            raise ValueError(f"reset must be (T, B) = {tuple(x.shape[:2])}; got "
                             f"{tuple(reset.shape)}")
        outputs = []
        for t in range(x.shape[0]):
            if reset is not None:
                hidden = hidden * (1.0 - reset[t].to(hidden.dtype)).unsqueeze(-1)
            hidden = self.cell(x[t], hidden)
            outputs.append(hidden)
        return torch.stack(outputs), hidden
