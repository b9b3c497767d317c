"""One seed -> explicit random number generators."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import torch


class Rngs(NamedTuple):
    """The two generators an agent draws from."""

    np: np.random.Generator
    """NumPy generator (environment reset seeds and other host-side draws)."""
    torch: torch.Generator
    """Torch generator on the agent's device (exploration noise, replay indices)."""


def make_rngs(seed: int, device: str | torch.device = "cpu") -> Rngs:
    """Build ``Rngs`` from one integer seed and seed torch's global RNG (network init) with it.

    Parameters
    ----------
    seed : int
        Non-negative seed.
    device : str or torch.device
        Device of the torch generator.

    Returns
    -------
    Rngs
        ``np.random.Generator(PCG64(seed))`` and a ``torch.Generator`` seeded with a value
        derived from ``seed`` (distinct from the global seed used for initialization).
    """
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer; got {seed}")
    torch.manual_seed(seed)
    np_rng = np.random.default_rng(seed)
    gen = torch.Generator(device=torch.device(device))
    gen.manual_seed(int(np.random.SeedSequence(seed).generate_state(1, np.uint64)[0] >> 1))
    return Rngs(np_rng, gen)


def rng_state(rngs: Rngs) -> tuple[dict[str, Any], torch.Tensor]:
    """(JSON-serializable NumPy bit-generator state, torch generator state tensor)."""
    return rngs.np.bit_generator.state, rngs.torch.get_state()


def set_rng_state(rngs: Rngs, np_state: dict[str, Any], torch_state: torch.Tensor) -> None:
    """Restore the states returned by :func:`rng_state` in place."""
    rngs.np.bit_generator.state = np_state
    rngs.torch.set_state(torch_state)
