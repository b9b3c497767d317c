"""Gridworlds from a string map (walls, goals, traps, cliffs, slip); open grids; the cliff walk."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import numpy as np
import scipy.sparse as sp

from softrl.mdp.finite import FiniteMDP
from softrl.mdp.validation import MDPValidationError
from softrl.validation import POSITIVE_INT, PROBABILITY, REAL, Interval, check_scalar

__all__ = ["ACTION_DELTAS", "ACTION_NAMES", "SYMBOLS", "GridWorld", "cliff_walk", "gridworld"]

ACTION_NAMES: tuple[str, ...] = ("north", "south", "east", "west", "stay")
"""Action names in index order; 4-action grids use the first four."""

ACTION_DELTAS: np.ndarray = np.array([[-1, 0], [1, 0], [0, 1], [0, -1], [0, 0]], dtype=np.int64)
"""(5, 2) (d_row, d_col) of each action; rows grow southward, columns eastward."""
ACTION_DELTAS.flags.writeable = False

SYMBOLS: dict[str, str] = {
    "S": "start: a free cell where episodes may begin",
    ".": "free cell",
    "#": "wall: not a state; a move into it keeps the agent in place",
    "G": "goal: terminal; entering it gives goal_reward",
    "T": "trap: terminal; entering it gives trap_reward",
    "C": "cliff: not a state; entering it gives cliff_reward and sends the agent to p(s_0)",
}
"""The map alphabet."""


@dataclass(frozen=True, eq=False)
class GridWorld:
    """A gridworld: its :class:`~softrl.mdp.FiniteMDP` plus the geometry to plot and featurize.

    Build one with :meth:`from_map`, :func:`gridworld` or :func:`cliff_walk`.  States are the
    cells that are neither walls nor cliffs, numbered in row-major order.

    Dynamics (``slip`` = epsilon, A = 4 or 5 actions).  The chosen action a is executed with
    probability 1 - epsilon; with probability epsilon one of the other A - 1 actions is
    executed instead, chosen uniformly, so p(executed b | chosen a) = epsilon / (A - 1) for
    b != a (with the ``stay`` action a slip may stay, and a chosen ``stay`` may slip into a
    move).  The executed move goes one cell in its direction; a move off the grid or into a
    wall keeps the agent in place.  Probabilities of moves that land on the same cell add up.

    Reward.  Each transition is paid the reward of the cell it lands on: ``goal_reward`` for
    ``G``, ``trap_reward`` for ``T``, ``cliff_reward`` for ``C`` and ``step_reward`` for a free
    cell (staying in place included).  The MDP stores its expectation
    r(s, a) = sum_b p(b | a) r(land(s, b)).  ``G`` and ``T`` are terminal (absorbing, value 0).

    Attributes
    ----------
    mdp : FiniteMDP
        The MDP, S states, A actions.
    layout : tuple of str
        The map, one string per row, shape (rows, cols).
    cells : int array (S, 2)
        (row, col) of each state.
    action_names : tuple of str
        Length A.
    action_deltas : int array (A, 2)
        (d_row, d_col) of each action.
    slip : float
        Probability that another action than the chosen one is executed.
    """

    mdp: FiniteMDP
    layout: tuple[str, ...]
    cells: np.ndarray
    action_names: tuple[str, ...]
    action_deltas: np.ndarray
    slip: float

    def __post_init__(self) -> None:
        cells = np.asarray(self.cells, dtype=np.int64)
        if cells.shape != (self.mdp.n_states, 2):
            raise MDPValidationError(
                f"cells: expected shape ({self.mdp.n_states}, 2), got {cells.shape}."
            )
        deltas = np.asarray(self.action_deltas, dtype=np.int64)
        if deltas.shape != (self.mdp.n_actions, 2) or len(self.action_names) != deltas.shape[0]:
            raise MDPValidationError(
                f"action_deltas: expected shape ({self.mdp.n_actions}, 2) and as many "
                f"action_names, got {deltas.shape} and {len(self.action_names)}."
            )
        for arr in (cells, deltas):
            arr.flags.writeable = False
        object.__setattr__(self, "cells", cells)
        object.__setattr__(self, "action_deltas", deltas)
        object.__setattr__(self, "layout", tuple(self.layout))

    @classmethod
    def from_map(
        cls,
        layout: str | Sequence[str],
        slip: float = 0.0,
        n_actions: int = 4,
        goal_reward: float = 1.0,
        trap_reward: float = -1.0,
        step_reward: float = 0.0,
        cliff_reward: float = -100.0,
        gamma: float = 0.99,
        horizon: int | None = None,
        reward: np.ndarray | None = None,
    ) -> GridWorld:
        """Build a gridworld from a map such as ``"S...#\\n.#..G\\n..T.."``.

        Parameters
        ----------
        layout : str or sequence of str
            One row per line (or per string), symbols from :data:`SYMBOLS`: ``S`` start,
            ``.`` free, ``#`` wall, ``G`` goal, ``T`` trap, ``C`` cliff.  Blank lines at the
            ends and spaces around each line are ignored; all rows must have the same length.
            p(s_0) is uniform over the ``S`` cells, or over all non-terminal states if the map
            has none.
        slip : float in [0, 1], default 0.0
            Probability that a uniformly random other action is executed (see the class).
        n_actions : {4, 5}, default 4
            4: north, south, east, west; 5: the same plus ``stay``.
        goal_reward, trap_reward, step_reward, cliff_reward : float
            Reward for landing on a ``G`` (default 1), ``T`` (-1), free cell (0) or ``C``
            (-100) cell.
        gamma : float in (0, 1], default 0.99
            Discount.
        horizon : int or None, default None
            Decisions per episode; None for an infinite horizon.
        reward : array (S,), (S, A) or (S, A, S), optional
            Replaces the symbol rewards: passed to :class:`~softrl.mdp.FiniteMDP` as r(s),
            r(s, a) or r(s, a, s') (states in row-major order, see ``cells``).

        Returns
        -------
        GridWorld

        Examples
        --------
        >>> world = GridWorld.from_map('''
        ... S..#
        ... .#.G
        ... ''', slip=0.1)
        >>> world.mdp.shape, world.shape
        ((6, 4), (2, 4))
        """
        return _build(
            _parse_layout(layout),
            slip=slip,
            n_actions=n_actions,
            goal_reward=goal_reward,
            trap_reward=trap_reward,
            step_reward=step_reward,
            cliff_reward=cliff_reward,
            gamma=gamma,
            horizon=horizon,
            reward=reward,
        )

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, cols) of the map."""
        return len(self.layout), len(self.layout[0])

    @property
    def n_states(self) -> int:
        """Number of states S."""
        return self.mdp.n_states

    @property
    def n_actions(self) -> int:
        """Number of actions A."""
        return self.mdp.n_actions

    @cached_property
    def state_grid(self) -> np.ndarray:
        """int array (rows, cols): the state of each cell, -1 on walls and cliffs."""
        grid = np.full(self.shape, -1, dtype=np.int64)
        grid[self.cells[:, 0], self.cells[:, 1]] = np.arange(self.n_states)
        grid.flags.writeable = False
        return grid

    def state_of(self, row: int, col: int) -> int:
        """The state at (row, col); raises ValueError on a wall, a cliff or off the map."""
        rows, cols = self.shape
        if not (0 <= row < rows and 0 <= col < cols) or self.state_grid[row, col] < 0:
            raise MDPValidationError(f"(row, col): ({row}, {col}) is not a state of this grid.")
        return int(self.state_grid[row, col])

    def states_with(self, symbol: str) -> np.ndarray:
        """int array (k,): the states marked ``symbol`` (``S``, ``.``, ``G`` or ``T``)."""
        return np.flatnonzero(self._chars[self.cells[:, 0], self.cells[:, 1]] == symbol)

    @cached_property
    def _chars(self) -> np.ndarray:
        """The map as a char array (rows, cols)."""
        return np.array([list(row) for row in self.layout], dtype="<U1")

    def to_grid(self, values: np.ndarray) -> np.ndarray:
        """Place per-state values on the map, NaN on walls and cliffs.

        Parameters
        ----------
        values : array (..., S)
            E.g. V(s) (S,), visitation counts (T, S).

        Returns
        -------
        float array (..., rows, cols)
        """
        values = np.asarray(values, dtype=np.float64)
        if values.ndim < 1 or values.shape[-1] != self.n_states:
            raise MDPValidationError(
                f"values: last axis must have length S={self.n_states}, got shape {values.shape}."
            )
        out = np.full((*values.shape[:-1], *self.shape), np.nan)
        out[..., self.cells[:, 0], self.cells[:, 1]] = values
        return out

    def state_features(self, kind: Literal["onehot", "coords"] = "onehot") -> np.ndarray:
        """State features phi(s) for linear rewards r(s) = theta . phi(s).

        Parameters
        ----------
        kind : {"onehot", "coords"}
            "onehot": the identity, float array (S, S).  "coords": (row, col) scaled to
            [0, 1] by (rows - 1, cols - 1), float array (S, 2).

        Returns
        -------
        float array (S, S) or (S, 2)
        """
        if kind == "onehot":
            return np.eye(self.n_states)
        if kind == "coords":
            scale = np.maximum(np.array(self.shape, dtype=np.float64) - 1.0, 1.0)
            return self.cells / scale
        raise MDPValidationError(f"kind: must be 'onehot' or 'coords', got {kind!r}.")

    def __repr__(self) -> str:
        rows, cols = self.shape
        return f"GridWorld({rows}x{cols}, S={self.n_states}, A={self.n_actions}, slip={self.slip})"


def gridworld(
    n: int,
    m: int | None = None,
    slip: float = 0.1,
    n_actions: int = 5,
    reward: np.ndarray | None = None,
    goal: tuple[int, int] | None = None,
    start: tuple[int, int] | None = None,
    gamma: float = 0.99,
    horizon: int | None = None,
) -> GridWorld:
    """An open n x m grid, no walls, no terminal states, with a state-only reward.

    The benchmark setting of tabular IRL ("n x n grid, 5 actions, slip 0.1, H=100"):
    S = n*m, state s = row * m + col.  Built without Python loops over cells, so grids of
    10^6 cells are fine.

    Parameters
    ----------
    n : int >= 1
        Rows.
    m : int >= 1, optional
        Columns; ``n`` when omitted.
    slip : float in [0, 1], default 0.1
        Probability of executing a uniformly random other action (see :class:`GridWorld`).
    n_actions : {4, 5}, default 5
        5 adds ``stay`` to north, south, east, west.
    reward : array (S,), (S, A) or (S, A, S), optional
        r(s), r(s, a) or r(s, a, s').  Default: r(s) = 1 at ``goal``, 0 elsewhere.
    goal : (row, col), optional
        Cell of the default reward; the bottom-right corner (n-1, m-1) when omitted.  It is
        not terminal: the agent keeps collecting the reward while it stays there.
    start : (row, col), optional
        Single start cell; p(s_0) is uniform over all cells when omitted.
    gamma : float in (0, 1], default 0.99
        Discount.
    horizon : int or None, default None
        Decisions per episode (e.g. 100); None for an infinite horizon.

    Returns
    -------
    GridWorld

    Examples
    --------
    >>> world = gridworld(4, horizon=100)
    >>> world.mdp.shape, float(world.mdp.reward[15, 0])
    ((16, 5), 1.0)
    """
    n = check_scalar(n, "n", POSITIVE_INT, error=MDPValidationError)
    m = n if m is None else check_scalar(m, "m", POSITIVE_INT, error=MDPValidationError)
    chars = np.full((n, m), ".", dtype="<U1")
    if start is not None:
        chars[_check_cell(start, (n, m), "start")] = "S"
    if reward is None:
        row, col = _check_cell((n - 1, m - 1) if goal is None else goal, (n, m), "goal")
        reward = np.zeros(n * m)
        reward[row * m + col] = 1.0
    return _build(
        chars,
        slip=slip,
        n_actions=n_actions,
        goal_reward=0.0,
        trap_reward=0.0,
        step_reward=0.0,
        cliff_reward=0.0,
        gamma=gamma,
        horizon=horizon,
        reward=reward,
    )


CLIFF_WALK_REWARD = -100.0


def cliff_walk(
    n_rows: int = 4,
    n_cols: int = 12,
    slip: float = 0.0,
    gamma: float = 1.0,
    horizon: int | None = None,
) -> GridWorld:
    """The cliff walk of Sutton & Barto (2018), Example 6.6.

    Start at the bottom-left cell, terminal goal at the bottom-right, the cells between them
    on the bottom row are the cliff.  Every transition gives -1 except one into the cliff,
    which gives -100 and sends the agent back to the start.  Cliff cells are not states, so
    S = n_rows * n_cols - (n_cols - 2); 4 actions north, south, east, west.  With the default
    4 x 12 grid and no slip the optimal return from the start is -13.

    Parameters
    ----------
    n_rows : int >= 2, default 4
    n_cols : int >= 3, default 12
    slip : float in [0, 1], default 0.0
        Probability of executing a uniformly random other action (see :class:`GridWorld`).
    gamma : float in (0, 1], default 1.0
        Discount (the goal is reachable, so gamma = 1 is well posed).
    horizon : int or None, default None
        Decisions per episode; None for an infinite horizon.

    Returns
    -------
    GridWorld

    Examples
    --------
    >>> cliff_walk().mdp.shape
    (38, 4)
    """
    n_rows = check_scalar(n_rows, "n_rows", Interval(int, 2, None), error=MDPValidationError)
    n_cols = check_scalar(n_cols, "n_cols", Interval(int, 3, None), error=MDPValidationError)
    chars = np.full((n_rows, n_cols), ".", dtype="<U1")
    chars[-1, 0], chars[-1, -1] = "S", "G"
    chars[-1, 1:-1] = "C"
    return _build(
        chars,
        slip=slip,
        n_actions=4,
        goal_reward=-1.0,
        trap_reward=0.0,
        step_reward=-1.0,
        cliff_reward=CLIFF_WALK_REWARD,
        gamma=gamma,
        horizon=horizon,
        reward=None,
    )


def _check_cell(cell: tuple[int, int], shape: tuple[int, int], name: str) -> tuple[int, int]:
    try:
        row, col = (int(x) for x in cell)
    except (TypeError, ValueError):
        raise MDPValidationError(f"{name}: must be a (row, col) pair, got {cell!r}.") from None
    if not (0 <= row < shape[0] and 0 <= col < shape[1]):
        raise MDPValidationError(f"{name}: ({row}, {col}) lies outside the {shape} grid.")
    return row, col


def _parse_layout(layout: str | Sequence[str]) -> np.ndarray:
    """Map text or rows -> char array (rows, cols), or raise naming ``layout``."""
    if isinstance(layout, str):
        lines = [line.strip() for line in layout.splitlines()]
    elif isinstance(layout, Sequence) and all(isinstance(line, str) for line in layout):
        lines = [line.strip() for line in layout]
    else:
        raise MDPValidationError(
            f"layout: must be a string or a sequence of strings, got {type(layout).__name__}."
        )
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    if not lines:
        raise MDPValidationError("layout: the map is empty.")
    for i, line in enumerate(lines):
        if len(line) != len(lines[0]):
            raise MDPValidationError(
                f"layout: row {i} has {len(line)} cells but row 0 has {len(lines[0])}; "
                f"every row must have the same length (ragged rows)."
            )
        for j, ch in enumerate(line):
            if ch not in SYMBOLS:
                raise MDPValidationError(
                    f"layout: unknown symbol {ch!r} at row {i}, column {j}; "
                    f"use one of {', '.join(repr(s) for s in SYMBOLS)}."
                )
    return np.array([list(line) for line in lines], dtype="<U1")


def _build(
    chars: np.ndarray,
    *,
    slip: float,
    n_actions: int,
    goal_reward: float,
    trap_reward: float,
    step_reward: float,
    cliff_reward: float,
    gamma: float,
    horizon: int | None,
    reward: np.ndarray | None,
) -> GridWorld:
    """Vectorized construction of the gridworld MDP from a char array (rows, cols)."""
    slip = check_scalar(slip, "slip", PROBABILITY, error=MDPValidationError)
    if check_scalar(n_actions, "n_actions", POSITIVE_INT, error=MDPValidationError) not in (4, 5):
        raise MDPValidationError(
            f"n_actions: must be 4 (north, south, east, west) or 5 (adds stay), got {n_actions!r}."
        )
    n_actions = int(n_actions)
    step_reward = check_scalar(step_reward, "step_reward", REAL, error=MDPValidationError)
    cell_reward = {
        "S": step_reward,
        ".": step_reward,
        "G": check_scalar(goal_reward, "goal_reward", REAL, error=MDPValidationError),
        "T": check_scalar(trap_reward, "trap_reward", REAL, error=MDPValidationError),
        "C": check_scalar(cliff_reward, "cliff_reward", REAL, error=MDPValidationError),
        "#": 0.0,
    }
    n_rows, n_cols = chars.shape
    chars = np.ascontiguousarray(chars, dtype="<U1")
    code = chars.view(np.uint32)  # code points; integer compares are much cheaper than str
    is_state = (code != ord("#")) & (code != ord("C"))
    live = (code == ord("S")) | (code == ord("."))
    if not live.any():
        raise MDPValidationError(
            "layout: no free cell; the map needs at least one 'S' or '.' cell to act in."
        )
    cells = np.argwhere(is_state)  # (S, 2), row-major
    n_states = cells.shape[0]
    state_grid = np.full(chars.shape, -1, dtype=np.int64)
    state_grid[is_state] = np.arange(n_states)
    cell_code = code[is_state]
    terminal = (cell_code == ord("G")) | (cell_code == ord("T"))
    starts = np.flatnonzero(cell_code == ord("S"))
    if starts.size == 0:
        starts = np.flatnonzero(~terminal)
    initial = np.zeros(n_states)
    initial[starts] = 1.0 / starts.size

    # Where each executed move lands: (S, A) cell coordinates, blocked moves stay put.
    deltas = ACTION_DELTAS[:n_actions]
    target = cells[:, None, :] + deltas[None, :, :]  # (S, A, 2)
    inside = (
        (target[..., 0] >= 0)
        & (target[..., 0] < n_rows)
        & (target[..., 1] >= 0)
        & (target[..., 1] < n_cols)
    )
    clipped = np.stack(
        (np.clip(target[..., 0], 0, n_rows - 1), np.clip(target[..., 1], 0, n_cols - 1)), axis=-1
    )
    blocked = ~inside | (code[clipped[..., 0], clipped[..., 1]] == ord("#"))
    land = np.where(blocked[..., None], cells[:, None, :], clipped)  # (S, A, 2)
    land_state = state_grid[land[..., 0], land[..., 1]]  # (S, A); -1 on a cliff
    reward_of_code = np.zeros(max(map(ord, cell_reward)) + 1)
    for symbol, value in cell_reward.items():
        reward_of_code[ord(symbol)] = value
    land_reward = reward_of_code[code[land[..., 0], land[..., 1]]]  # (S, A)

    # p(executed b | chosen a): 1 - slip on the diagonal, slip / (A - 1) elsewhere.
    noise = np.full((n_actions, n_actions), slip / (n_actions - 1))
    np.fill_diagonal(noise, 1.0 - slip)
    transitions = _transition_matrix(land_state, noise, slip, starts)
    transitions.sum_duplicates()
    if reward is None:
        reward = land_reward @ noise.T  # r(s, a) = sum_b p(b | a) r(land(s, b))
    mdp = FiniteMDP(
        transitions,
        reward,
        initial=initial,
        gamma=gamma,
        horizon=horizon,
        terminal=terminal,
        n_actions=n_actions,
    )
    return GridWorld(
        mdp=mdp,
        layout=tuple(chars.view(f"<U{n_cols}").ravel().tolist()),
        cells=cells,
        action_names=ACTION_NAMES[:n_actions],
        action_deltas=deltas,
        slip=slip,
    )


def _transition_matrix(
    land_state: np.ndarray, noise: np.ndarray, slip: float, starts: np.ndarray
) -> sp.csr_matrix:
    """CSR (S*A, S) from landing states (S, A) (-1 on a cliff) and p(b | a) (A, A).

    Row s*A + a lists land_state[s, b] with probability noise[a, b] for every executed b
    (only b = a without slip), built directly as CSR; duplicates are summed afterwards.
    A landing on a cliff is replaced by p(s_0), uniform over ``starts``.
    """
    n_states, n_actions = land_state.shape
    index_dtype = np.int32 if n_states * n_actions**2 < np.iinfo(np.int32).max else np.int64
    own = np.arange(n_states, dtype=index_dtype)[:, None]
    on_cliff = land_state < 0
    land = np.where(on_cliff, own, land_state).astype(index_dtype)  # cliff mass added below
    if slip == 0.0:
        cols = land[:, :, None]  # (S, A, 1)
        data = np.where(on_cliff, 0.0, 1.0)[:, :, None]
    else:
        cols = np.broadcast_to(land[:, None, :], (n_states, n_actions, n_actions))
        data = np.where(on_cliff[:, None, :], 0.0, noise[None, :, :])
    width = cols.shape[2]
    indptr = np.arange(0, n_states * n_actions * width + 1, width, dtype=index_dtype)
    shape = (n_states * n_actions, n_states)
    transitions = sp.csr_matrix((data.ravel(), cols.ravel(), indptr), shape=shape)
    fallen_s, fallen_b = np.nonzero(on_cliff)
    if fallen_s.size:  # back to p(s_0): p(b | a) / |starts| onto each start, for every a
        a = np.arange(n_actions)
        rows = (fallen_s[:, None] * n_actions + a[None, :]).ravel()  # (F*A,)
        prob = noise[:, fallen_b].T.ravel() / starts.size  # (F*A,)
        cliff = sp.coo_matrix(
            (
                np.repeat(prob, starts.size),
                (np.repeat(rows, starts.size), np.tile(starts, rows.size)),
            ),
            shape=shape,
        )
        transitions = (transitions + cliff).tocsr()
    transitions.sum_duplicates()
    transitions.eliminate_zeros()
    return transitions
