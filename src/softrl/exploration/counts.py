"""Count-based bonuses: exact state counts, and SimHash counts for continuous states.

Seed 004: r^+(s, a) = r(s, a) + B(N(s)) with B(N) = beta / sqrt(N) (the MBIE-EB rate of Strehl
and Littman 2008). :class:`CountBonus` counts states exactly (discrete or one-hot
observations); :class:`SimHashBonus` (Tang et al. 2017, "#Exploration",
https://arxiv.org/abs/1611.04717) counts the k-bit code phi(s) = sign(A s) with A a fixed
k x D Gaussian matrix, so that nearby continuous states share a count. Each transition counts
its reached state s' first, so the bonus of a first visit is beta / sqrt(1) = beta.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import torch
from torch import Tensor

from softrl.exploration.base import Bonus, _generator

__all__ = ["CountBonus", "SimHashBonus"]


class _CountTable(Bonus):
    """A bonus beta / sqrt(N(key(s'))) over a table of hashable keys (bytes)."""

    def __init__(self, scale: float = 1.0, **params: Any) -> None:
        super().__init__(scale, **params)
        self._index: dict[bytes, int] = {}
        self._counts: list[int] = []

    def keys(self, states: Tensor) -> list[bytes]:
        """The table key of each state row, (B, D) -> B byte strings: the row itself, bit
        for bit (-0.0 and 0.0 are one state); :class:`SimHashBonus` keys by its code."""
        rows = states.detach().to("cpu", torch.float32).numpy()
        rows = rows + 0.0
        return [row.tobytes() for row in rows]

    def count(self, states: Tensor) -> np.ndarray:
        """N(s) of each row (0 for a state never counted), without counting."""
        return np.array([self._counts[self._index[k]] if k in self._index else 0
                         for k in self.keys(states)], dtype=np.int64)

    def observe(self, states: Tensor) -> np.ndarray:
        """Count each row in turn and return its count after counting it, shape (B,)."""
        out = np.empty(states.shape[0], dtype=np.int64)
        for i, key in enumerate(self.keys(states)):
            j = self._index.setdefault(key, len(self._counts))
            if j == len(self._counts):
                self._counts.append(0)
            self._counts[j] += 1
            out[i] = self._counts[j]
        return out

    @property
    def n_keys(self) -> int:
        """Distinct keys counted so far."""
        return len(self._counts)

    def reward(self, obs: Tensor, actions: Tensor, next_obs: Tensor) -> Tensor:
        """beta / sqrt(N(s')), counting s' first."""
        n = self.observe(next_obs.reshape(next_obs.shape[0], -1))
        return torch.as_tensor(self.scale / np.sqrt(n), dtype=torch.float32,
                               device=next_obs.device)

    def get_extra_state(self) -> dict[str, Tensor]:
        keys = list(self._index)
        width = len(keys[0]) if keys else 0
        raw = np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(len(keys), width)
        return {"keys": torch.from_numpy(raw.copy()),
                "counts": torch.tensor([self._counts[self._index[k]] for k in keys],
                                       dtype=torch.int64)}

    def set_extra_state(self, state: dict[str, Tensor]) -> None:
        raw = state["keys"].numpy()
        self._index = {bytes(row): i for i, row in enumerate(raw)}
        self._counts = [int(c) for c in state["counts"]]


class CountBonus(_CountTable):
    """Exact counts: B(N(s')) = beta / sqrt(N(s')), states compared bit for bit.

    For Discrete observation spaces (one-hot in the agents) and small grids such as deep_sea.

    Parameters
    ----------
    scale : float
        beta.

    Examples
    --------
    >>> import torch
    >>> bonus = CountBonus(scale=1.0)
    >>> s = torch.eye(2)[[0, 0, 1, 0]]
    >>> bonus.reward(s, None, s).tolist()  # 1/sqrt(1), 1/sqrt(2), 1/sqrt(1), 1/sqrt(3)
    [1.0, 0.7071067690849304, 1.0, 0.5773502588272095]
    """

    kind: ClassVar[str] = "counts"

    def __init__(self, scale: float = 1.0) -> None:
        super().__init__(scale)


class SimHashBonus(_CountTable):
    """SimHash counts: B = beta / sqrt(N(phi(s'))), phi(s) = sign(A s) in {-1, 1}^k.

    A has i.i.d. N(0, 1) entries drawn from ``seed`` (for the observation width D met first);
    sign(0) counts as +1. With k large, distinct states rarely collide and the counts are
    exact; with k small, nearby states share codes (generalization; Tang et al. 2017 use k
    between 64 and 512 on Atari pixels, fewer on low-dimensional control).

    Parameters
    ----------
    scale : float
        beta.
    n_bits : int
        Code length k.
    seed : int
        Seed of A.
    """

    kind: ClassVar[str] = "simhash"

    def __init__(self, scale: float = 1.0, n_bits: int = 32, seed: int = 0) -> None:
        if isinstance(n_bits, bool) or not isinstance(n_bits, int) or n_bits < 1:
            raise ValueError(f"The 'n_bits' parameter of SimHashBonus must be an integer >= 1. "
                             f"Got {n_bits!r} instead.")
        super().__init__(scale, n_bits=n_bits, seed=seed)
        self.n_bits, self.seed = n_bits, seed
        _generator(seed)  # validates the seed
        self._projection: Tensor | None = None

    def projection(self, dim: int) -> Tensor:
        """A, shape (k, D), fixed by ``seed`` and D."""
        if self._projection is None or self._projection.shape[1] != dim:
            self._projection = torch.randn(self.n_bits, dim, generator=_generator(self.seed))
        return self._projection

    def codes(self, states: Tensor) -> np.ndarray:
        """phi(s) as booleans (s A^T >= 0), shape (B, k)."""
        x = states.detach().to("cpu", torch.float32).reshape(states.shape[0], -1)
        return (x @ self.projection(x.shape[1]).T >= 0).numpy()

    def keys(self, states: Tensor) -> list[bytes]:
        return [np.packbits(code).tobytes() for code in self.codes(states)]
