"""Learned novelty bonuses: random network distillation and the exemplar classifier.

:class:`RNDBonus` (Burda et al. 2018, https://arxiv.org/abs/1810.12894) is seed 004's
prediction-error bonus E(s) = ||f_hat_theta(s) - f*(s)||^2 with f* = f_phi a fixed random
network: the predictor f_hat learns to imitate f* on visited states, so the error stays large
where the agent has not been. Observations are whitened with running statistics and clipped
to [-c, c] before both networks; the error is divided by its running root mean square, so the
bonus is O(1) whatever the scale of the error.

:class:`ExemplarBonus` (Fu et al. 2017, EX2, https://arxiv.org/abs/1703.01260) is seed 004's
implicit density: an amortized classifier D(s*, s) = sigmoid(g(s*, s)) learns to tell the
exemplar s* (label 1) from states of the replay batch (label 0). The optimal classifier is
D(s*, s*) = 1 / (1 + p(s*)), hence the density p(s) = (1 - D_s(s)) / D_s(s) and the bonus
beta * (-log p(s)) = beta * g(s, s), clipped at 0.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from softrl.exploration.base import Bonus, _generator
from softrl.nn import mlp

__all__ = ["ExemplarBonus", "RNDBonus", "RunningMeanStd", "exemplar_density"]


class RunningMeanStd(nn.Module):
    """Mean and variance of every sample seen so far, merged batch by batch (float64).

    Chan et al.'s parallel update: for a batch with n_b samples, mean m_b and variance v_b,
    delta = m_b - m, m <- m + delta n_b / n', v <- (v n + v_b n_b + delta^2 n n_b / n') / n'
    with n' = n + n_b; the result equals the statistics of the concatenated samples.

    Parameters
    ----------
    shape : tuple of int
        Shape of one sample.
    """

    def __init__(self, shape: tuple[int, ...] = ()) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(shape, dtype=torch.float64))
        self.register_buffer("var", torch.zeros(shape, dtype=torch.float64))
        self.register_buffer("count", torch.zeros((), dtype=torch.float64))

    def update(self, x: Tensor) -> None:
        """Merge a batch x of shape (N, *shape)."""
        x = x.detach().to(self.mean.device, torch.float64)
        n_b = x.shape[0]
        if n_b == 0:
            return
        m_b, v_b = x.mean(0), x.var(0, unbiased=False)
        n = self.count
        total = n + n_b
        delta = m_b - self.mean
        self.var.copy_((self.var * n + v_b * n_b + delta**2 * n * n_b / total) / total)
        self.mean.add_(delta * n_b / total)
        self.count.fill_(total)


class RNDBonus(Bonus):
    """Random network distillation: B(s') = beta * e(s') / RMS(e), e = mean_j (f_hat - f*)_j^2.

    Parameters
    ----------
    scale : float
        beta.
    hidden_sizes : sequence of int
        Hidden widths of the target and the predictor.
    out_dim : int
        Width of the random features f*(s).
    learning_rate : float
        Adam step size of the predictor.
    obs_clip : float
        c: whitened observations are clipped to [-c, c].
    seed : int
        Seed of both networks' initialization (the target stays fixed).
    """

    kind: ClassVar[str] = "rnd"

    def __init__(self, scale: float = 1.0, hidden_sizes: Sequence[int] = (64, 64),
                 out_dim: int = 64, learning_rate: float = 1e-3, obs_clip: float = 5.0,
                 seed: int = 0) -> None:
        super().__init__(scale, hidden_sizes=[int(h) for h in hidden_sizes], out_dim=out_dim,
                         learning_rate=learning_rate, obs_clip=obs_clip, seed=seed)
        for name, value in (("out_dim", out_dim),):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"The '{name}' parameter of RNDBonus must be an integer >= 1. "
                                 f"Got {value!r} instead.")
        for name, value in (("learning_rate", learning_rate), ("obs_clip", obs_clip)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise ValueError(f"The '{name}' parameter of RNDBonus must be a float > 0. "
                                 f"Got {value!r} instead.")
        _generator(seed)
        self.hidden_sizes, self.out_dim = tuple(int(h) for h in hidden_sizes), out_dim
        self.learning_rate, self.obs_clip, self.seed = learning_rate, float(obs_clip), seed
        self.obs_dim: int | None = None
        self.obs_rms = RunningMeanStd()
        self.err_sq = RunningMeanStd()  # running mean of e^2 -> RMS of e
        self.err_sq_mean: Tensor
        self.target: nn.Module | None = None
        self.predictor: nn.Module | None = None
        self.optimizer: torch.optim.Optimizer | None = None

    def setup(self, obs_dim: int) -> None:
        """Build both networks for observations of width ``obs_dim`` (once)."""
        if self.obs_dim is not None:
            if obs_dim != self.obs_dim:
                raise ValueError(f"this RNDBonus was built for observations of width "
                                 f"{self.obs_dim}; got {obs_dim}")
            return
        device = self.obs_rms.mean.device
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            self.target = mlp(obs_dim, self.hidden_sizes, self.out_dim).requires_grad_(False)
            self.predictor = mlp(obs_dim, self.hidden_sizes, self.out_dim)
        self.target.to(device)
        self.predictor.to(device)
        self.obs_dim = obs_dim
        self.obs_rms = RunningMeanStd((obs_dim,)).to(device)
        self.optimizer = torch.optim.Adam(self.predictor.parameters(), lr=self.learning_rate)

    def normalize(self, x: Tensor) -> Tensor:
        """clip((x - mean) / sqrt(var + 1e-8), -c, c) with the current running statistics."""
        rms = self.obs_rms
        z = (x.to(torch.float64) - rms.mean) / torch.sqrt(rms.var + 1e-8)
        return z.clamp(-self.obs_clip, self.obs_clip).to(torch.float32)

    def errors(self, next_obs: Tensor) -> Tensor:
        """e(s') = mean_j (f_hat(s')_j - f*(s')_j)^2 on whitened s', shape (B,)."""
        x = next_obs.reshape(next_obs.shape[0], -1)
        self.setup(x.shape[1])
        z = self.normalize(x)
        return (self.predictor(z) - self.target(z)).pow(2).mean(-1)

    def reward(self, obs: Tensor, actions: Tensor, next_obs: Tensor) -> Tensor:
        """Merge s' into the observation statistics, then beta * e(s') / RMS(e) (e merged)."""
        x = next_obs.reshape(next_obs.shape[0], -1)
        self.setup(x.shape[1])
        self.obs_rms.update(x)
        with torch.no_grad():
            e = self.errors(x)
        self.err_sq.update(e.pow(2))
        rms = torch.sqrt(self.err_sq.mean).clamp_min(1e-12).to(e.dtype)
        return self.scale * e / rms

    def update(self, batch: Any) -> dict[str, Tensor]:
        """One Adam step of the predictor on the batch's s' (statistics held fixed)."""
        loss = self.errors(batch.next_obs).mean()
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return {"losses/rnd": loss.detach()}

    def get_extra_state(self) -> dict[str, Any]:
        return {"obs_dim": -1 if self.obs_dim is None else self.obs_dim,
                "optimizer": None if self.optimizer is None else _copy_state(self.optimizer)}

    def set_extra_state(self, state: dict[str, Any]) -> None:
        if state["optimizer"] is not None:
            self.optimizer.load_state_dict(state["optimizer"])

    def _load_from_state_dict(self, state_dict: dict[str, Any], prefix: str, *args: Any,
                              **kwargs: Any) -> None:
        key = prefix + "_extra_state"
        if key in state_dict and state_dict[key]["obs_dim"] > 0:
            self.setup(int(state_dict[key]["obs_dim"]))  # networks exist before loading
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)


def _copy_state(optimizer: torch.optim.Optimizer) -> dict[str, Any]:
    """A copy of an optimizer's state (``state_dict()`` shares the live moment tensors)."""
    return copy.deepcopy(optimizer.state_dict())


def exemplar_density(d: Tensor) -> Tensor:
    """p(s) = (1 - D_s(s)) / D_s(s): the density that an optimal exemplar classifier encodes.

    With the exemplar s* labelled 1 and negatives s ~ p labelled 0 in equal weight, the Bayes
    classifier at s = s* is D = 1 / (1 + p(s*)); inverting gives p. Takes D in (0, 1).
    """
    return (1.0 - d) / d


class ExemplarBonus(Bonus):
    """EX2's amortized exemplar classifier: B(s') = beta * max(0, -log p_hat(s')).

    Positives are pairs (s*, s* + noise), negatives (s*, s) with s another state of the same
    batch (a sample of the replay distribution); g takes [s*, s, s* - s].

    Parameters
    ----------
    scale : float
        beta.
    hidden_sizes : sequence of int
        Hidden widths of g.
    learning_rate : float
        Adam step size.
    noise_std : float
        Gaussian noise on the positive (0 for discrete states; > 0 smooths continuous ones).
    seed : int
        Seed of g's initialization, the noise and the pairing.
    """

    kind: ClassVar[str] = "exemplar"

    def __init__(self, scale: float = 1.0, hidden_sizes: Sequence[int] = (64, 64),
                 learning_rate: float = 1e-3, noise_std: float = 0.0, seed: int = 0) -> None:
        super().__init__(scale, hidden_sizes=[int(h) for h in hidden_sizes],
                         learning_rate=learning_rate, noise_std=noise_std, seed=seed)
        if isinstance(noise_std, bool) or not isinstance(noise_std, (int, float)) or noise_std < 0:
            raise ValueError(f"The 'noise_std' parameter of ExemplarBonus must be a float >= 0. "
                             f"Got {noise_std!r} instead.")
        self.hidden_sizes = tuple(int(h) for h in hidden_sizes)
        self.learning_rate, self.noise_std, self.seed = learning_rate, float(noise_std), seed
        self._gen = _generator(seed)
        self.obs_dim: int | None = None
        self.net: nn.Module | None = None
        self.optimizer: torch.optim.Optimizer | None = None
        self.register_buffer("_device_probe", torch.zeros(()))

    def setup(self, obs_dim: int) -> None:
        """Build g for observations of width ``obs_dim`` (once)."""
        if self.obs_dim is not None:
            return
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            self.net = mlp(3 * obs_dim, self.hidden_sizes, 1).to(self._device_probe.device)
        self.obs_dim = obs_dim
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=self.learning_rate)

    def logits(self, exemplars: Tensor, states: Tensor) -> Tensor:
        """g(s*, s), shape (B,): the log-odds that s is the exemplar s*."""
        self.setup(exemplars.shape[1])
        return self.net(torch.cat([exemplars, states, exemplars - states], -1)).squeeze(-1)

    def density(self, states: Tensor) -> Tensor:
        """p_hat(s) = (1 - D_s(s)) / D_s(s) = exp(-g(s, s)), shape (B,)."""
        x = states.reshape(states.shape[0], -1).float()
        with torch.no_grad():
            return torch.exp(-self.logits(x, x))

    def reward(self, obs: Tensor, actions: Tensor, next_obs: Tensor) -> Tensor:
        """beta * max(0, g(s', s')) = beta * max(0, -log p_hat(s'))."""
        x = next_obs.reshape(next_obs.shape[0], -1).float()
        with torch.no_grad():
            return self.scale * self.logits(x, x).clamp_min(0.0)

    def update(self, batch: Any) -> dict[str, Tensor]:
        """One Adam step of the classifier: exemplars vs. a shuffled copy of the batch."""
        x = batch.next_obs.reshape(batch.next_obs.shape[0], -1).float()
        perm = torch.randperm(x.shape[0], generator=self._gen).to(x.device)
        positive = x
        if self.noise_std > 0:
            positive = x + self.noise_std * torch.randn(x.shape, generator=self._gen).to(x.device)
        bce = nn.functional.binary_cross_entropy_with_logits
        pos, neg = self.logits(x, positive), self.logits(x, x[perm])
        loss = bce(pos, torch.ones_like(pos)) + bce(neg, torch.zeros_like(neg))
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return {"losses/exemplar": loss.detach()}

    def get_extra_state(self) -> dict[str, Any]:
        return {"obs_dim": -1 if self.obs_dim is None else self.obs_dim,
                "optimizer": None if self.optimizer is None else _copy_state(self.optimizer),
                "generator": self._gen.get_state()}

    def set_extra_state(self, state: dict[str, Any]) -> None:
        if state["optimizer"] is not None:
            self.optimizer.load_state_dict(state["optimizer"])
        self._gen.set_state(state["generator"])

    def _load_from_state_dict(self, state_dict: dict[str, Any], prefix: str, *args: Any,
                              **kwargs: Any) -> None:
        key = prefix + "_extra_state"
        if key in state_dict and state_dict[key]["obs_dim"] > 0:
            self.setup(int(state_dict[key]["obs_dim"]))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
