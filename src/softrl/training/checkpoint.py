"""Atomic checkpoints: ``config.json`` + ``meta.json`` + one ``.pt`` file per state dict.

A checkpoint is a directory. It is written under a temporary name and renamed into place, so
a reader never sees half of one; tensors are saved with ``torch.save`` and read back with
``weights_only=True`` (no pickled objects). A training run keeps its checkpoints under
``RUN_DIR/checkpoints/step_000020000`` (the step, nine digits) with a ``latest`` pointer
file replaced atomically; a loader falls back past a corrupt latest checkpoint to the newest
intact one, with a warning. Saving never deletes or moves anything softrl did not write.
"""

from __future__ import annotations

import json
import os
import shutil
import warnings
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


def is_checkpoint(path: str | os.PathLike) -> bool:
    """True when ``path`` is a directory written by :func:`save_checkpoint`."""
    path = Path(path)
    if not (path / META_FILE).is_file():
        return False
    try:
        meta = json.loads((path / META_FILE).read_text())
    except (OSError, ValueError):
        return False
    return isinstance(meta, dict) and "format" in meta and "softrl_version" in meta


def _check_target(path: Path) -> None:
    """Refuse to overwrite anything that is not a softrl checkpoint holding only its files."""
    if not path.exists():
        return
    if not path.is_dir():
        raise CheckpointError(f"cannot save to {path}: a file of that name exists; softrl "
                              "replaces only its own checkpoint directories. Choose another path.")
    if not is_checkpoint(path):
        if any(path.iterdir()):
            raise CheckpointError(f"cannot save to {path}: it is a directory that is not a "
                                  "softrl checkpoint; choose another path (nothing was changed)")
        return
    meta = json.loads((path / META_FILE).read_text())
    ours = {CONFIG_FILE, META_FILE, *(f"{n}.pt" for n in meta.get("files", []))}
    others = sorted(p.name for p in path.iterdir() if p.name not in ours)
    if others:
        raise CheckpointError(f"cannot replace the checkpoint {path}: it also holds files "
                              f"softrl did not write ({', '.join(others)}); move them or "
                              "choose another path")


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
        Target directory. It must not exist, be empty, or be an earlier softrl checkpoint
        (replaced only once the new one is complete); anything else raises CheckpointError,
        so a save never deletes or moves what softrl did not write.
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
    _check_target(path)
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
        if path.exists():  # an earlier checkpoint (checked above), or an empty directory
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
    root: str | os.PathLike,
    step: int,
    config: dict[str, Any],
    states: dict[str, Any],
    meta: dict[str, Any],
    keep: int = 2,
) -> Path:
    """Write ``ROOT/step_{step:09d}``, point ``ROOT/latest`` at it, keep the last ``keep``.

    ``ROOT`` is a run's ``checkpoints`` directory (``RUN_DIR/checkpoints``) or any folder of
    step checkpoints. Only directories that are softrl checkpoints named ``step_*`` are ever
    removed.
    """
    root = Path(root)
    if root.exists() and not root.is_dir():
        raise CheckpointError(f"cannot write checkpoints into {root}: it is a file")
    path = save_checkpoint(root / f"step_{step:09d}", config, states, meta)
    pointer = root / LATEST_FILE
    tmp = root / f".{LATEST_FILE}.tmp-{os.getpid()}"
    tmp.write_text(path.name + "\n")
    os.replace(tmp, pointer)
    old = _step_checkpoints(root)
    for stale in old[:-keep] if keep > 0 else []:
        shutil.rmtree(stale, ignore_errors=True)
    return path


def _step_checkpoints(root: Path) -> list[Path]:
    """The ``step_*`` checkpoints under ``root``, oldest first."""
    return sorted(p for p in root.glob("step_*") if p.is_dir() and is_checkpoint(p))


def resolve_checkpoint(path: str | os.PathLike, step: int | None = None) -> list[Path]:
    """Candidate checkpoint directories for ``path``, best first.

    A checkpoint directory gives itself. A run directory (or its ``checkpoints`` directory)
    gives the checkpoint ``latest`` points at, then the older ones, newest first, so a loader
    can fall back past a corrupt one; with ``step``, only that step's checkpoint.
    """
    path = Path(path)
    if (path / META_FILE).exists():
        if step is not None:
            raise CheckpointError(f"{path} is a single checkpoint; step= applies to run "
                                  "directories")
        return [path]
    if not path.exists():
        raise CheckpointError(f"no checkpoint at {path}: path does not exist")
    root = path / CHECKPOINTS_DIR if (path / CHECKPOINTS_DIR).is_dir() else path
    found = _step_checkpoints(root)
    if step is not None:
        wanted = root / f"step_{int(step):09d}"
        if wanted not in found:
            have = ", ".join(str(int(p.name[5:])) for p in found) or "none"
            raise CheckpointError(f"no checkpoint of step {step} in {root} (steps: {have})")
        return [wanted]
    pointer = root / LATEST_FILE
    order = list(reversed(found))
    if pointer.exists():
        target = root / pointer.read_text().strip()
        if target in order:
            order.remove(target)
        order.insert(0, target)
    if not order:
        raise CheckpointError(f"no checkpoint at {path}: expected {META_FILE} there or "
                              f"step checkpoints in {root}")
    return order


def load_checkpoint(path: str | os.PathLike, kind: str | None = None,
                    step: int | None = None) -> Checkpoint:
    """Read and validate a checkpoint written by :func:`save_checkpoint`.

    Parameters
    ----------
    path : path
        Checkpoint directory or run directory. In a run directory a corrupt latest checkpoint
        is skipped with a warning naming it, and the newest intact one is loaded.
    kind : str, optional
        Expected ``meta["kind"]`` (e.g. ``"SAC"``); None accepts any.
    step : int, optional
        In a run directory, the step of the checkpoint to load.

    Returns
    -------
    Checkpoint

    Raises
    ------
    CheckpointError
        Missing files, unreadable JSON or tensors, other format version or other kind (when
        no intact candidate is left).
    """
    candidates = resolve_checkpoint(path, step)
    errors: list[str] = []
    for i, candidate in enumerate(candidates):
        try:
            ckpt = _read_checkpoint(candidate, kind)
        except CheckpointError as err:
            if len(candidates) == 1 or "holds a" in str(err) or "format" in str(err):
                raise
            errors.append(str(err))
            continue
        if i > 0:
            warnings.warn(f"skipped the unreadable checkpoint(s): {'; '.join(errors)}; "
                          f"loaded {candidate} instead", RuntimeWarning, stacklevel=2)
        return ckpt
    raise CheckpointError("no intact checkpoint in " + str(path) + ": " + "; ".join(errors))


def _read_checkpoint(path: Path, kind: str | None) -> Checkpoint:
    meta = _read_json(path / META_FILE)
    config = _read_json(path / CONFIG_FILE)
    if meta.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(
            f"checkpoint {path} has format {meta.get('format')!r}; this softrl "
            f"({softrl.__version__}) reads format {CHECKPOINT_FORMAT}"
        )
    if kind is not None and meta.get("kind") != kind:
        raise CheckpointError(f"checkpoint {path} holds a {meta.get('kind')!r}, not a {kind!r}")
    states: dict[str, Any] = {}
    for name in meta.get("files", []):
        file = path / f"{name}.pt"
        try:
            states[name] = torch.load(file, map_location="cpu", weights_only=True)
        except FileNotFoundError as err:
            raise CheckpointError(f"checkpoint {path} is missing {file.name}") from err
        except Exception as err:  # torch raises several types for truncated/garbled files
            # Never pass on torch's advice to retry with weights_only=False: unsafe for a
            # corrupt or untrusted file.
            raise CheckpointError(
                f"checkpoint file {file} is corrupt (truncated, garbled or not a torch tensor "
                f"file: {type(err).__name__}); load an earlier checkpoint with step=, or "
                "delete this one"
            ) from None
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
