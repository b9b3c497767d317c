"""Demonstrations from other libraries' trajectory objects."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from softrl.demos.demonstrations import DemonstrationError, Demonstrations

__all__ = ["from_imitation"]


def from_imitation(trajectories: Any, env_id: str | None = None) -> Demonstrations:
    """Demonstrations from the ``imitation`` package's ``Trajectory`` / ``TrajectoryWithRew``.

    The objects are read by duck typing (``imitation`` is not imported): ``obs`` (T+1, ...)
    holds s_0..s_T, ``acts`` (T, ...) the actions, ``rews`` (T,) the rewards if present, and
    ``terminal`` says whether s_T is terminal (else the episode was truncated).

    Parameters
    ----------
    trajectories : one trajectory or an iterable of them
        All with rewards (``TrajectoryWithRew``) or all without.
    env_id : str, optional
        The Gymnasium id they come from.

    Raises
    ------
    DemonstrationError
        Naming the trajectory and the field: missing attributes, T+1 observations not matching
        T actions, mixed presence of rewards, an empty list.
    """
    if hasattr(trajectories, "obs") and hasattr(trajectories, "acts"):
        trajectories = [trajectories]
    if not isinstance(trajectories, Iterable):
        raise DemonstrationError(f"from_imitation takes Trajectory objects or a list of them; "
                                 f"got {type(trajectories).__name__}")
    trajs = list(trajectories)
    if not trajs:
        raise DemonstrationError("from_imitation got no trajectories; pass at least one")
    obs, next_obs, acts, rews, term, trunc, starts = [], [], [], [], [], [], []
    has_rews = []
    n = 0
    for i, tr in enumerate(trajs):
        if not (hasattr(tr, "obs") and hasattr(tr, "acts")):
            raise DemonstrationError(f"trajectory {i} ({type(tr).__name__}) has no obs/acts "
                                     "attributes; pass imitation Trajectory objects")
        o = np.asarray(tr.obs)
        a = np.asarray(tr.acts)
        if isinstance(tr.obs, dict) or o.dtype == object:
            raise DemonstrationError(f"trajectory {i}: obs is not a numeric array (dict "
                                     "observations are not supported)")
        t = a.shape[0] if a.ndim else 0
        if t == 0:
            raise DemonstrationError(f"trajectory {i} has no actions; drop empty trajectories")
        if o.ndim == 0 or o.shape[0] != t + 1:
            raise DemonstrationError(f"trajectory {i}: obs has {o.shape[0] if o.ndim else 0} "
                                     f"rows for {t} actions; obs must hold T+1 = {t + 1} "
                                     "observations (s_0..s_T)")
        r = getattr(tr, "rews", None)
        has_rews.append(r is not None)
        if r is not None:
            r = np.asarray(r, dtype=np.float64).reshape(-1)
            if r.shape[0] != t:
                raise DemonstrationError(f"trajectory {i}: rews has {r.shape[0]} entries for "
                                         f"{t} actions")
            rews.append(r)
        terminal = bool(getattr(tr, "terminal", True))
        obs.append(o[:-1])
        next_obs.append(o[1:])
        acts.append(a)
        done = np.zeros(t, bool)
        done[-1] = True
        term.append(done & terminal)
        trunc.append(done & (not terminal))
        starts.append(n)
        n += t
    if any(has_rews) and not all(has_rews):
        missing = [i for i, h in enumerate(has_rews) if not h]
        raise DemonstrationError(f"trajectories {missing[:5]} have no rews while others do; "
                                 "pass all TrajectoryWithRew or all Trajectory")
    try:
        return Demonstrations(
            np.concatenate(obs), np.concatenate(acts),
            np.concatenate(rews) if all(has_rews) else None, np.concatenate(next_obs),
            np.concatenate(term), np.concatenate(trunc), np.asarray(starts, np.int64), env_id)
    except ValueError as err:
        if isinstance(err, DemonstrationError):
            raise
        raise DemonstrationError(f"trajectories have different observation or action shapes "
                                 f"({err}); pass trajectories of one env") from err
