"""Atomic checkpoints: ``config.json`` + ``meta.json`` + one ``.pt`` file per state dict.

A checkpoint is a directory. It is written under a temporary name and renamed into place, so
a reader never sees half of one; tensors are saved with ``torch.save`` and read back with
``weights_only=True`` (no pickled objects). A training run keeps its checkpoints under
``RUN_DIR/checkpoints/step_000020000`` (the step, nine digits) with a ``latest`` pointer
file replaced atomically.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any, NamedTuple

import torch

import softrl
from softrl.training.logger import write_json

CHECKPOINT_FORMAT = 1
CONFIG_FILE = "config.json"
META_FILE = "meta.json"
CHECKPOINTS_DIR = "checkpoints"
LATEST_FILE = "latest"


class CheckpointError(ValueError):
    """A checkpoint is missing, corrupt or incompatible with the object loading it."""


class Checkpoint(NamedTuple):
    """A loaded checkpoint."""

    path: Path
    """Directory it was read from."""
    config: dict[str, Any]
    """Constructor hyperparameters (``config.json``)."""
    meta: dict[str, Any]
    """Format, library version, kind, step and agent-specific JSON state (``meta.json``)."""
    states: dict[str, Any]
    """State dicts by name, one ``NAME.pt`` file each."""


def save_checkpoint(
    path: str | os.PathLike,
    config: dict[str, Any],
    states: dict[str, Any],
    meta: dict[str, Any],
) -> Path:
    """Write a checkpoint directory atomically (temp dir + rename).

    Parameters
    ----------
    path : path
        Target directory. An existing checkpoint there is replaced only once the new one is
        complete.
    config : dict
        JSON-serializable hyperparameters.
    states : dict
        ``{name: state_dict}``; each becomes ``name.pt``.
    meta : dict
        JSON-serializable metadata; ``format``, ``softrl_version`` and ``files`` are added.

    Returns
    -------
    Path
        The checkpoint directory.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        for name, state in states.items():
            with (tmp / f"{name}.pt").open("wb") as f:
                torch.save(state, f)
                f.flush()
                os.fsync(f.fileno())
        write_json(tmp / CONFIG_FILE, config)
        full_meta = {
            **meta,
            "format": CHECKPOINT_FORMAT,
            "softrl_version": softrl.__version__,
            "files": sorted(states),
        }
        write_json(tmp / META_FILE, full_meta)
        if path.exists():
            old = path.with_name(f".{path.name}.old-{os.getpid()}")
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old)
        else:
            os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def save_run_checkpoint(
    run_dir: str | os.PathLike,
    step: int,
    config: dict[str, Any],
    states: dict[str, Any],
    meta: dict[str, Any],
    keep: int = 2,
) -> Path:
    """Write ``RUN_DIR/checkpoints/step_{step}``, point ``latest`` at it, keep the last ``keep``."""
    root = Path(run_dir) / CHECKPOINTS_DIR
    path = save_checkpoint(root / f"step_{step:09d}", config, states, meta)
    pointer = root / LATEST_FILE
    tmp = root / f".{LATEST_FILE}.tmp-{os.getpid()}"
    tmp.write_text(path.name + "\n")
    os.replace(tmp, pointer)
    old = sorted(p for p in root.glob("step_*") if p.is_dir())
    for stale in old[:-keep] if keep > 0 else []:
        shutil.rmtree(stale, ignore_errors=True)
    return path


def resolve_checkpoint(path: str | os.PathLike) -> Path:
    """Map a checkpoint dir, or a run dir with ``checkpoints/latest``, to a checkpoint dir."""
    path = Path(path)
    if (path / META_FILE).exists():
        return path
    pointer = path / CHECKPOINTS_DIR / LATEST_FILE
    if pointer.exists():
        target = path / CHECKPOINTS_DIR / pointer.read_text().strip()
        if not (target / META_FILE).exists():
            raise CheckpointError(f"{pointer} points at {target}, which is not a checkpoint")
        return target
    if not path.exists():
        raise CheckpointError(f"no checkpoint at {path}: path does not exist")
    raise CheckpointError(
        f"no checkpoint at {path}: expected {META_FILE} there or {CHECKPOINTS_DIR}/{LATEST_FILE}"
    )


def load_checkpoint(path: str | os.PathLike, kind: str) -> Checkpoint:
    """Read and validate a checkpoint written by :func:`save_checkpoint`.

    Parameters
    ----------
    path : path
        Checkpoint directory or run directory.
    kind : str
        Expected ``meta["kind"]`` (e.g. ``"SAC"``).

    Returns
    -------
    Checkpoint

    Raises
    ------
    CheckpointError
        Missing files, unreadable JSON or tensors, other format version or other kind.
    """
    path = resolve_checkpoint(path)
    meta = _read_json(path / META_FILE)
    config = _read_json(path / CONFIG_FILE)
    if meta.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(
            f"checkpoint {path} has format {meta.get('format')!r}; this softrl "
            f"({softrl.__version__}) reads format {CHECKPOINT_FORMAT}"
        )
    if meta.get("kind") != kind:
        raise CheckpointError(f"checkpoint {path} holds a {meta.get('kind')!r}, not a {kind!r}")
    states: dict[str, Any] = {}
    for name in meta.get("files", []):
        file = path / f"{name}.pt"
        try:
            states[name] = torch.load(file, map_location="cpu", weights_only=True)
        except FileNotFoundError as err:
            raise CheckpointError(f"checkpoint {path} is missing {file.name}") from err
        except Exception as err:  # torch raises several types for truncated/garbled files
            raise CheckpointError(f"checkpoint file {file} is corrupt: {err}") from err
    return Checkpoint(path, config, meta, states)


def _read_json(file: Path) -> dict[str, Any]:
    try:
        data = json.loads(file.read_text())
    except FileNotFoundError as err:
        raise CheckpointError(f"checkpoint is missing {file}") from err
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise CheckpointError(f"checkpoint file {file} is corrupt: {err}") from err
    if not isinstance(data, dict):
        raise CheckpointError(f"checkpoint file {file} is corrupt: expected a JSON object")
    return data
