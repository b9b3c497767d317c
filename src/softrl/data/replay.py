"""Preallocated replay buffer with a schema, returning NamedTuple batches."""

from __future__ import annotations

import math
from collections import namedtuple
from typing import Any, NamedTuple

import numpy as np
import torch
from torch import Tensor


class ReplayBatch(NamedTuple):
    """A batch of transitions (s, a, r, s', terminated); every field has leading size B."""

    obs: Tensor
    """Observations s, shape (B, obs_dim)."""
    actions: Tensor
    """Actions a, shape (B, action_dim)."""
    rewards: Tensor
    """Rewards r, shape (B,)."""
    next_obs: Tensor
    """Next observations s', shape (B, obs_dim)."""
    terminated: Tensor
    """1.0 where s' is terminal (not merely truncated), shape (B,)."""


class ReplayBuffer:
    """Ring buffer of transitions in one preallocated float32 tensor, with a schema.

    Each row holds ``[s, a, r, s', terminated, *extras]``, so sampling a batch is one random
    index draw and one ``index_select``; the batch fields are column views of that gather.
    The base fields are always there; per-transition extras are declared once, e.g.
    ``extra_fields={"mask": (10,), "is_demo": (), "task_id": ()}`` (a bootstrap mask per
    ensemble member, a demonstration flag, a task id), and appear in the batches after the
    base fields, in the order declared. Integer-valued extras (``integer_fields``) and discrete
    actions come back as int64. Extras with a default (``extra_defaults``) may be left out of
    :meth:`add`.

    Demonstrations live in their own partition (``demo_capacity`` rows, filled by
    :meth:`add_demos`), which the ring never overwrites. ``demo_ratio`` sets the share of each
    batch drawn from it: with ratio rho a batch of B holds floor(rho B) demo rows plus one more
    with probability frac(rho B) (so rho B on average), the rest from the ring; None draws
    uniformly over both partitions together. Declare an ``is_demo`` extra (default 0) and
    give ``add_demos`` ``is_demo=1`` to tell the rows apart in a batch.

    Parameters
    ----------
    capacity : int
        Maximum number of transitions; the oldest are overwritten first.
    obs_dim, action_dim : int
        Sizes of the flat observation and action vectors (1 for a discrete action).
    device : str or torch.device
        Where the storage lives (and batches are returned).
    discrete_actions : bool
        Actions are integers: stored as floats (exact below 2^24), returned as int64 (B,).
    extra_fields : dict of str to tuple of int, optional
        Name -> shape of one transition's value (``()`` for a scalar).
    integer_fields : collection of str
        Extras returned as int64.
    extra_defaults : dict of str to float, optional
        Value of an extra that :meth:`add` or :meth:`add_demos` is not given.
    demo_capacity : int
        Rows of the permanent demonstration partition (0: none).
    demo_ratio : float in [0, 1] or None
        Expected share of demonstration rows in a batch (None: uniform over all rows).
    """

    BASE_FIELDS = ("obs", "actions", "rewards", "next_obs", "terminated")

    def __init__(
        self, capacity: int, obs_dim: int, action_dim: int, device: str | torch.device = "cpu",
        discrete_actions: bool = False, extra_fields: dict[str, tuple[int, ...]] | None = None,
        integer_fields: tuple[str, ...] | set[str] = (),
        extra_defaults: dict[str, float] | None = None, demo_capacity: int = 0,
        demo_ratio: float | None = None,
    ) -> None:
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
            raise ValueError(f"capacity must be a positive integer; got {capacity}")
        self.capacity = int(capacity)
        self.obs_dim = int(obs_dim)
        self.action_dim = int(action_dim)
        self.device = torch.device(device)
        self.discrete_actions = bool(discrete_actions)
        self.extra_fields = {k: tuple(v) for k, v in (extra_fields or {}).items()}
        for name in self.extra_fields:
            if name in self.BASE_FIELDS or not name.isidentifier():
                raise ValueError(f"extra field name {name!r} is a base field or not a Python "
                                 "identifier; choose another name")
        unknown = set(integer_fields) - set(self.extra_fields)
        if unknown:
            raise ValueError(f"integer_fields {sorted(unknown)} are not declared in "
                             "extra_fields")
        self.integer_fields = frozenset(integer_fields)
        self.extra_defaults = {k: float(v) for k, v in (extra_defaults or {}).items()}
        unknown = set(self.extra_defaults) - set(self.extra_fields)
        if unknown:
            raise ValueError(f"extra_defaults {sorted(unknown)} are not declared in "
                             "extra_fields")
        if isinstance(demo_capacity, bool) or not isinstance(demo_capacity, int) \
                or demo_capacity < 0:
            raise ValueError(f"demo_capacity must be an integer >= 0; got {demo_capacity!r}")
        self.demo_capacity = int(demo_capacity)
        self.demo_ratio = demo_ratio
        o, a = self.obs_dim, self.action_dim
        self._slices: list[Any] = [slice(0, o), slice(o, o + a), o + a,
                                   slice(o + a + 1, 2 * o + a + 1), 2 * o + a + 1]
        width = 2 * o + a + 2
        for shape in self.extra_fields.values():
            size = math.prod(shape)
            self._slices.append(width if shape == () else slice(width, width + size))
            width += size
        self.width = width
        self.data = torch.zeros(self.capacity, self.width, dtype=torch.float32, device=self.device)
        self.pos = 0
        self.size = 0
        self.demo_data = torch.zeros(self.demo_capacity, self.width, dtype=torch.float32,
                                     device=self.device)
        self.demo_size = 0
        self.batch_type: type = ReplayBatch if not self.extra_fields else namedtuple(
            "ReplayBatchWithExtras", (*self.BASE_FIELDS, *self.extra_fields))

    def __len__(self) -> int:
        return self.size

    @property
    def demo_ratio(self) -> float | None:
        """Expected share of demonstration rows per batch (None: uniform over all rows)."""
        return self._demo_ratio

    @demo_ratio.setter
    def demo_ratio(self, value: float | None) -> None:
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                  or not 0.0 <= value <= 1.0):
            raise ValueError(f"demo_ratio must be a float in [0, 1] or None; got {value!r}")
        self._demo_ratio = None if value is None else float(value)

    def add(
        self,
        obs: np.ndarray | Tensor,
        actions: np.ndarray | Tensor,
        rewards: np.ndarray | Tensor,
        next_obs: np.ndarray | Tensor,
        terminated: np.ndarray | Tensor,
        **extras: np.ndarray | Tensor,
    ) -> None:
        """Append N transitions.

        Parameters
        ----------
        obs, next_obs : array, shape (N, obs_dim)
        actions : array, shape (N, action_dim) (or (N,) for discrete actions)
        rewards, terminated : array, shape (N,)
        **extras : array, shape (N, *shape) for each declared extra field (all required)
        """
        rows = self._rows(obs, actions, rewards, next_obs, terminated, extras, "add")
        n = rows.shape[0]
        idx = (self.pos + np.arange(n)) % self.capacity
        if n == 1:
            self.data[self.pos] = torch.from_numpy(rows[0]).to(self.device)
        else:
            self.data[torch.from_numpy(idx).to(self.device)] = torch.from_numpy(rows).to(
                self.device
            )
        self.pos = int((self.pos + n) % self.capacity)
        self.size = min(self.size + n, self.capacity)

    def add_demos(
        self,
        obs: np.ndarray | Tensor,
        actions: np.ndarray | Tensor,
        rewards: np.ndarray | Tensor,
        next_obs: np.ndarray | Tensor,
        terminated: np.ndarray | Tensor,
        **extras: np.ndarray | Tensor,
    ) -> None:
        """Append N demonstration transitions to the permanent partition (same arguments as
        :meth:`add`); they are never overwritten. More than ``demo_capacity`` in all is an
        error."""
        rows = self._rows(obs, actions, rewards, next_obs, terminated, extras, "add_demos")
        n = rows.shape[0]
        if self.demo_size + n > self.demo_capacity:
            raise ValueError(f"the demonstration partition holds {self.demo_capacity} rows "
                             f"({self.demo_size} used); {n} more do not fit. Build the buffer "
                             "with a larger demo_capacity")
        self.demo_data[self.demo_size:self.demo_size + n] = torch.from_numpy(rows).to(
            self.device)
        self.demo_size += n

    def _rows(self, obs: Any, actions: Any, rewards: Any, next_obs: Any, terminated: Any,
              extras: dict[str, Any], caller: str) -> np.ndarray:
        """The (N, width) float32 rows of N transitions, every field checked."""
        missing = self.extra_fields.keys() - extras.keys() - self.extra_defaults.keys()
        if missing or extras.keys() - self.extra_fields.keys():
            raise ValueError(f"{caller}() needs exactly the declared extra fields "
                             f"{sorted(self.extra_fields)} (those with a default may be left "
                             f"out: {sorted(self.extra_defaults)}); got {sorted(extras)}")
        n = len(rewards)
        rows = np.empty((n, self.width), dtype=np.float32)
        s_obs, s_act, s_rew, s_next, s_term = self._slices[:5]
        try:
            rows[:, s_obs] = _numpy(obs).reshape(n, self.obs_dim)
            rows[:, s_act] = _numpy(actions).reshape(n, self.action_dim)
            rows[:, s_rew] = _numpy(rewards)
            rows[:, s_next] = _numpy(next_obs).reshape(n, self.obs_dim)
            rows[:, s_term] = _numpy(terminated)
        except ValueError as err:  # only on bad input: name the field that does not fit
            shapes = {"obs": np.shape(obs), "actions": np.shape(actions),
                      "rewards": np.shape(rewards), "next_obs": np.shape(next_obs),
                      "terminated": np.shape(terminated)}
            raise ValueError(f"{caller}() takes obs and next_obs of shape (N, {self.obs_dim}), "
                             f"actions of shape (N, {self.action_dim})"
                             f"{' or (N,)' if self.discrete_actions else ''}, rewards and "
                             f"terminated of shape (N,) with N = len(rewards) = {n}; got "
                             f"{shapes}") from err
        for (name, shape), sl in zip(self.extra_fields.items(), self._slices[5:], strict=True):
            if name not in extras:
                rows[:, sl] = self.extra_defaults[name]
                continue
            value = _numpy(extras[name])
            if value.shape != (n, *shape):
                raise ValueError(f"extra field {name!r} must have shape {(n, *shape)}; got "
                                 f"{value.shape}")
            rows[:, sl] = value.reshape(n, -1) if shape != () else value
        return rows

    def sample(self, batch_size: int, generator: torch.Generator | None = None,
               recent: int | None = None) -> Any:
        """Draw ``batch_size`` transitions uniformly with replacement (demonstrations mixed in
        at ``demo_ratio`` when the partition holds any, demo rows first).

        Parameters
        ----------
        batch_size : int
            B.
        generator : torch.Generator, optional
            Source of the indices (on the buffer's device).
        recent : int, optional
            Draw only from the newest ``recent`` transitions of the ring (no demonstrations),
            e.g. samples of the current policy for a discriminator.

        Returns
        -------
        ReplayBatch (or the schema's NamedTuple with the extras after the base fields)
            Fields of shape (B, ...) on the buffer's device.
        """
        if recent is not None:
            if isinstance(recent, bool) or not isinstance(recent, int) or recent < 1:
                raise ValueError(f"recent must be a positive integer; got {recent!r}")
            if self.size == 0:
                raise ValueError("cannot sample from an empty replay buffer")
            back = torch.randint(min(recent, self.size), (batch_size,), generator=generator,
                                 device=self.device)
            rows = self.data.index_select(0, (self.pos - 1 - back) % self.capacity)
        elif self.demo_size == 0:
            if self.size == 0:
                raise ValueError("cannot sample from an empty replay buffer")
            idx = torch.randint(
                self.size, (batch_size,), generator=generator, device=self.device
            )
            rows = self.data.index_select(0, idx)
        else:
            rows = self._mixed_rows(batch_size, generator)
        return self._as_batch(rows)

    def newest(self, n: int) -> Any:
        """The newest ``min(n, len(self))`` transitions of the ring in the order they were
        added (oldest first), as a batch like :meth:`sample`'s (e.g. to cut whole episodes of
        one env copy back out of the buffer)."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be a positive integer; got {n!r}")
        n = min(n, self.size)
        idx = (self.pos - n + torch.arange(n, device=self.device)) % self.capacity
        return self._as_batch(self.data.index_select(0, idx))

    def _as_batch(self, rows: Tensor) -> Any:
        fields = [rows[:, sl] for sl in self._slices]
        if self.discrete_actions:
            fields[1] = fields[1][:, 0].long()
        for k, name in enumerate(self.extra_fields, start=5):
            if name in self.integer_fields:
                fields[k] = fields[k].long()
        return self.batch_type(*fields)

    def _mixed_rows(self, batch_size: int, generator: torch.Generator | None) -> Tensor:
        """Rows of a batch drawn from both partitions (see the class docstring)."""
        ratio = self.demo_ratio
        if self.size == 0:
            n_demo = batch_size
        elif ratio is None:  # uniform over the union: demo rows are those below demo_size
            idx = torch.randint(self.demo_size + self.size, (batch_size,), generator=generator,
                                device=self.device)
            n_demo = int((idx < self.demo_size).sum())
        else:
            expected = ratio * batch_size
            n_demo = int(expected)
            frac = expected - n_demo
            if frac > 0:
                u = torch.rand((), generator=generator, device=self.device)
                n_demo += int(u.item() < frac)
        demo_idx = torch.randint(self.demo_size, (n_demo,), generator=generator,
                                 device=self.device)
        own_idx = torch.randint(max(self.size, 1), (batch_size - n_demo,), generator=generator,
                                device=self.device)
        return torch.cat([self.demo_data.index_select(0, demo_idx),
                          self.data.index_select(0, own_idx)])

    def schema(self) -> dict[str, Any]:
        """What a loaded state must match."""
        return {"capacity": self.capacity, "obs_dim": self.obs_dim,
                "action_dim": self.action_dim, "discrete_actions": self.discrete_actions,
                "extra_fields": {k: list(v) for k, v in self.extra_fields.items()},
                "integer_fields": sorted(self.integer_fields),
                "extra_defaults": dict(self.extra_defaults),
                "demo_capacity": self.demo_capacity}

    def state_dict(self) -> dict[str, Any]:
        """Filled rows, write position and schema, for ``torch.save``."""
        return {"data": self.data[: self.size].cpu().clone(), "pos": self.pos,
                "size": self.size,
                "demo_data": self.demo_data[: self.demo_size].cpu().clone(),
                "demo_size": self.demo_size, **self.schema()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore from :meth:`state_dict`; the schema must match this buffer's."""
        mine = self.schema()
        for key, value in mine.items():
            saved = state.get(key, {"discrete_actions": False, "extra_fields": {},
                                    "integer_fields": [], "extra_defaults": {},
                                    "demo_capacity": 0}.get(key))
            if key in ("capacity", "obs_dim", "action_dim"):
                saved = int(saved) if saved is not None else None
            if saved != value:
                raise ValueError(f"replay buffer {key} mismatch: checkpoint has {saved}, "
                                 f"this buffer {value}")
        data = state["data"]
        size = int(state["size"])
        if not isinstance(data, Tensor) or data.shape != (size, self.width):
            raise ValueError(f"replay buffer data has shape {tuple(np.shape(data))}, "
                             f"expected {(size, self.width)}")
        self.data.zero_()
        self.data[:size] = data.to(self.device)
        self.size = size
        self.pos = int(state["pos"])
        demo_size = int(state.get("demo_size", 0))
        demo = state.get("demo_data", torch.zeros(0, self.width))
        if not isinstance(demo, Tensor) or demo.shape != (demo_size, self.width):
            raise ValueError(f"replay buffer demo_data has shape {tuple(np.shape(demo))}, "
                             f"expected {(demo_size, self.width)}")
        self.demo_data.zero_()
        self.demo_data[:demo_size] = demo.to(self.device)
        self.demo_size = demo_size


def _numpy(x: np.ndarray | Tensor) -> np.ndarray:
    if isinstance(x, Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)
