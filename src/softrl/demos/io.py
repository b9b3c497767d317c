"""Demonstrations on disk: one ``.npz`` file, written atomically, checked when read."""

from __future__ import annotations

import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from softrl.demos.demonstrations import DemonstrationError, Demonstrations

__all__ = ["DEMOS_FORMAT", "load_demos", "save_demos"]

DEMOS_FORMAT = 1
"""Version of the ``.npz`` layout written by :func:`save_demos`."""

_ARRAYS = ("obs", "actions", "next_obs", "terminated", "truncated", "episode_starts")


def save_demos(demos: Demonstrations, path: str | os.PathLike) -> Path:
    """Write ``demos`` to ``path`` (``.npz``, uncompressed) atomically; return the path.

    The file is written under a temporary name in the same directory and renamed into place,
    so a reader never sees half of it. It holds the arrays of :class:`Demonstrations` (no
    ``rewards`` entry when there are none), ``env_id`` and ``format``; nothing is pickled.
    """
    if not isinstance(demos, Demonstrations):
        raise TypeError(f"save_demos takes a Demonstrations; got {type(demos).__name__}")
    path = Path(path)
    if path.suffix != ".npz":
        raise DemonstrationError(f"demonstrations are saved as .npz; got {path.name!r} (name "
                                 "the file e.g. demos.npz)")
    if path.is_dir():
        raise DemonstrationError(f"{path} is a directory; give a file name such as demos.npz")
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, Any] = {k: getattr(demos, k) for k in _ARRAYS}
    if demos.rewards is not None:
        arrays["rewards"] = demos.rewards
    arrays["env_id"] = np.array("" if demos.env_id is None else demos.env_id)
    arrays["format"] = np.array(DEMOS_FORMAT)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_demos(path: str | os.PathLike, env: Any = None,
               check_env_id: bool = True) -> Demonstrations:
    """Read demonstrations written by :func:`save_demos` (or ``softrl demos``).

    Parameters
    ----------
    path : path
        The ``.npz`` file.
    env : gymnasium.Env, VectorEnv or env id, optional
        Check the demos against this environment (:meth:`Demonstrations.validate_for`).
    check_env_id : bool
        With ``env``: also require the recorded env id to match.

    Raises
    ------
    DemonstrationError
        Missing or unreadable file, missing arrays, empty, ragged or non-finite data, or demos
        that do not fit ``env``; the message names the field and the fix.
    """
    path = Path(path)
    if not path.is_file():
        raise DemonstrationError(f"no demonstrations file at {path}; record one with `softrl "
                                 "demos RUN_DIR --episodes N --out demos.npz`")
    try:
        with np.load(path, allow_pickle=False) as data:
            contents = {k: data[k] for k in data.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as err:
        raise DemonstrationError(f"{path} is not a readable .npz demonstrations file ({err}); "
                                 "re-record it with `softrl demos`") from err
    missing = [k for k in _ARRAYS if k not in contents]
    if missing:
        raise DemonstrationError(
            f"{path} lacks the arrays {missing} (it has {sorted(contents)}); it was not "
            "written by softrl.demos.save_demos. Convert other formats with Demonstrations(...) "
            "or from_imitation(...)")
    fmt = int(contents.get("format", DEMOS_FORMAT))
    if fmt > DEMOS_FORMAT:
        raise DemonstrationError(f"{path} has format {fmt}, newer than this softrl reads "
                                 f"({DEMOS_FORMAT}); upgrade softrl")
    env_id = str(contents["env_id"]) if "env_id" in contents else ""
    try:
        demos = Demonstrations(*(contents[k] for k in ("obs", "actions")),
                               contents.get("rewards"),
                               *(contents[k] for k in _ARRAYS[2:]), env_id=env_id or None)
    except DemonstrationError as err:
        raise DemonstrationError(f"{path}: {err}") from None
    if env is not None:
        try:
            demos.validate_for(env, check_env_id=check_env_id)
        except DemonstrationError as err:
            raise DemonstrationError(f"{path}: {err}") from None
    return demos
