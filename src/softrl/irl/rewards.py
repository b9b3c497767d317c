"""Reward models r_theta(s) or r_theta(s, a) behind one interface, for the IRL estimators.

Every model maps a flat parameter vector theta (P,) to a reward table and pulls a gradient
with respect to that table back to theta (a vector-Jacobian product):

    r = model.reward(theta)                    # (S,) state reward or (S, A)
    g_theta = model.vjp(theta, dL_dr)          # (P,), dL_dr shaped like r

Tabular and linear models are linear in theta (the MaxEnt / MCE objective is then concave and
L-BFGS is used); the neural model is a torch MLP over state features whose vector-Jacobian
product comes from autograd (Adam is used).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn

from softrl.mdp import FiniteMDP, MDPValidationError
from softrl.nn.mlp import mlp_forward

__all__ = ["RewardModel", "TabularReward", "LinearReward", "NeuralReward"]


class RewardModel(ABC):
    """A differentiable reward table r_theta of shape (S,) (state only) or (S, A).

    Attributes
    ----------
    n_states : int
    n_params : int
        P, the length of theta.
    state_only : bool
        True when ``reward`` returns r(s), shape (S,); False for r(s, a), shape (S, A).
    linear : bool
        True when r is linear in theta (the IRL objective is then concave).
    """

    n_states: int
    n_params: int
    state_only: bool
    linear: bool

    @abstractmethod
    def init_params(self, rng: np.random.Generator) -> np.ndarray:
        """Initial theta, shape (P,)."""

    @abstractmethod
    def reward(self, params: np.ndarray) -> np.ndarray:
        """r_theta, shape (S,) or (S, A)."""

    @abstractmethod
    def vjp(self, params: np.ndarray, grad_reward: np.ndarray) -> np.ndarray:
        """sum_{s,a} dL/dr(s,a) dr(s,a)/dtheta, shape (P,); ``grad_reward`` shaped like r."""

    def check(self, mdp: FiniteMDP) -> None:
        """Raise unless the model's tables fit ``mdp``."""
        n_actions = getattr(self, "n_actions", None)
        if self.n_states != mdp.n_states or (not self.state_only and n_actions != mdp.n_actions):
            shape = (self.n_states,) if self.state_only else (self.n_states, n_actions)
            raise MDPValidationError(
                f"reward_model: {type(self).__name__} has reward shape {shape} but the MDP has "
                f"(S, A) = {mdp.shape}."
            )

    def reward_table(self, params: np.ndarray, n_actions: int) -> np.ndarray:
        """r_theta broadcast to (S, A)."""
        r = self.reward(params)
        return np.repeat(r[:, None], n_actions, axis=1) if self.state_only else r


class TabularReward(RewardModel):
    """One free parameter per state (r(s) = theta_s) or per state-action pair.

    Parameters
    ----------
    n_states : int
    n_actions : int, optional
        Given: r(s, a) = theta[s * A + a], P = S * A.  Omitted: r(s) = theta[s], P = S.
    """

    linear = True

    def __init__(self, n_states: int, n_actions: int | None = None) -> None:
        self.n_states = _positive_int(n_states, "n_states")
        self.n_actions = None if n_actions is None else _positive_int(n_actions, "n_actions")
        self.state_only = n_actions is None
        self.n_params = self.n_states * (1 if self.n_actions is None else self.n_actions)

    def init_params(self, rng: np.random.Generator) -> np.ndarray:
        return np.zeros(self.n_params)

    def reward(self, params: np.ndarray) -> np.ndarray:
        if self.n_actions is None:
            return np.asarray(params, dtype=np.float64).copy()
        return np.asarray(params, dtype=np.float64).reshape(self.n_states, self.n_actions)

    def vjp(self, params: np.ndarray, grad_reward: np.ndarray) -> np.ndarray:
        return np.asarray(grad_reward, dtype=np.float64).ravel().copy()

    def __repr__(self) -> str:
        shape = (self.n_states,) if self.n_actions is None else (self.n_states, self.n_actions)
        return f"TabularReward(shape={shape})"


class LinearReward(RewardModel):
    """r(s, a) = theta . phi(s, a) in user features.

    Parameters
    ----------
    features : array (S, F) or (S, A, F)
        phi(s) (state reward) or phi(s, a).
    """

    linear = True

    def __init__(self, features: np.ndarray) -> None:
        phi = np.asarray(features, dtype=np.float64)
        if phi.ndim not in (2, 3) or 0 in phi.shape or not np.all(np.isfinite(phi)):
            raise MDPValidationError(
                f"features: expected a finite (S, F) or (S, A, F) array, got shape {phi.shape}."
            )
        self.features = phi
        self.n_states = phi.shape[0]
        self.state_only = phi.ndim == 2
        self.n_actions = None if self.state_only else phi.shape[1]
        self.n_params = phi.shape[-1]

    def init_params(self, rng: np.random.Generator) -> np.ndarray:
        return np.zeros(self.n_params)

    def reward(self, params: np.ndarray) -> np.ndarray:
        return self.features @ np.asarray(params, dtype=np.float64)

    def vjp(self, params: np.ndarray, grad_reward: np.ndarray) -> np.ndarray:
        g = np.asarray(grad_reward, dtype=np.float64)
        return np.tensordot(g, self.features, axes=g.ndim)

    def __repr__(self) -> str:
        return f"LinearReward(features={self.features.shape})"


class NeuralReward(RewardModel):
    """A torch MLP over state features: r(s) = f_theta(phi(s)), or r(s, ·) = f_theta(phi(s)) (A,).

    Computed in float64 so that gradients can be checked against finite differences.

    Parameters
    ----------
    features : array (S, F)
        phi(s), the network's input.
    n_actions : int, optional
        Given: the network outputs A values per state, r(s, a).  Omitted: one, r(s).
    hidden : sequence of int, default (32, 32)
        Hidden layer widths.
    activation : {"tanh", "silu", "relu"}, default "tanh"
    """

    linear = False

    _ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
        "tanh": nn.Tanh,
        "silu": nn.SiLU,
        "relu": nn.ReLU,
    }

    def __init__(
        self,
        features: np.ndarray,
        n_actions: int | None = None,
        hidden: Sequence[int] = (32, 32),
        activation: str = "tanh",
    ) -> None:
        phi = np.asarray(features, dtype=np.float64)
        if phi.ndim != 2 or 0 in phi.shape or not np.all(np.isfinite(phi)):
            raise MDPValidationError(
                f"features: NeuralReward needs finite state features (S, F), got {phi.shape}."
            )
        if activation not in self._ACTIVATIONS:
            raise MDPValidationError(
                f"activation: must be one of {sorted(self._ACTIVATIONS)}, got {activation!r}."
            )
        widths = [_positive_int(h, "hidden") for h in hidden]
        self.features = phi
        self.n_states = phi.shape[0]
        self.n_actions = None if n_actions is None else _positive_int(n_actions, "n_actions")
        self.state_only = n_actions is None
        self.hidden = tuple(widths)
        self.activation = activation
        sizes = [phi.shape[1], *widths, 1 if n_actions is None else self.n_actions]
        self._sizes = list(zip(sizes[:-1], sizes[1:], strict=True))  # (fan_in, fan_out)
        self.n_params = sum(i * o + o for i, o in self._sizes)
        self._x = torch.from_numpy(phi)
        self._act = self._ACTIVATIONS[activation]()

    def init_params(self, rng: np.random.Generator) -> np.ndarray:
        """PyTorch's default Linear init, U(-1/sqrt(fan_in), 1/sqrt(fan_in)), from ``rng``."""
        parts = []
        for fan_in, fan_out in self._sizes:
            bound = 1.0 / np.sqrt(fan_in)
            parts.append(rng.uniform(-bound, bound, size=fan_in * fan_out + fan_out))
        return np.concatenate(parts)

    def forward(self, theta: torch.Tensor) -> torch.Tensor:
        """The network on all states, theta a flat float64 tensor (P,) -> (S,) or (S, A)."""
        layers, offset = [], 0
        for fan_in, fan_out in self._sizes:
            W = theta[offset : offset + fan_in * fan_out].view(fan_out, fan_in)
            offset += fan_in * fan_out
            layers.append((W, theta[offset : offset + fan_out]))
            offset += fan_out
        h = mlp_forward(self._x, layers, self._act)
        return h[:, 0] if self.state_only else h

    def reward(self, params: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return self.forward(torch.as_tensor(params, dtype=torch.float64)).numpy().copy()

    def vjp(self, params: np.ndarray, grad_reward: np.ndarray) -> np.ndarray:
        theta = torch.tensor(params, dtype=torch.float64, requires_grad=True)
        out = self.forward(theta)
        g = torch.as_tensor(np.asarray(grad_reward, dtype=np.float64)).reshape(out.shape)
        (grad,) = torch.autograd.grad(out, theta, grad_outputs=g)
        return grad.numpy().copy()

    def __repr__(self) -> str:
        return (
            f"NeuralReward(features={self.features.shape}, hidden={self.hidden}, "
            f"activation={self.activation!r}, state_only={self.state_only})"
        )


def _positive_int(x, name: str) -> int:
    if isinstance(x, bool) or not isinstance(x, int | np.integer) or x < 1:
        raise MDPValidationError(f"{name}: must be a positive int, got {x!r}.")
    return int(x)
