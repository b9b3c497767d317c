"""Finite Markov decision processes: transitions as CSR (S*A, S), reward r(s, a), p(s_0)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from softrl.mdp.validation import (
    MDPValidationError,
    as_transition_matrix,
    check_discount,
    check_horizon,
    check_probability_vector,
    check_reward,
    check_terminal,
    check_transition_rows,
)

__all__ = ["FiniteMDP"]


@dataclass(frozen=True, eq=False)
class FiniteMDP:
    """A finite MDP with sparse transitions, the object every tabular routine takes.

    Row ``s * A + a`` of ``transitions`` is p(s' | s, a).  Terminal states are absorbing
    and end the episode: their value is 0 and no action is taken in them (no reward, no
    entropy), so they play the role of the "dead" state of the control-as-inference model.

    Parameters
    ----------
    transitions : scipy.sparse matrix (S*A, S) or dense array (S, A, S) or (S*A, S)
        p(s' | s, a); each row sums to 1.  Rows of terminal states are ignored.  A float64 CSR
        matrix in canonical format (sorted indices, no duplicates, no stored zeros) and without
        terminal states is kept as it is, not copied, and its arrays become read-only.
    reward : array (S,), (S, A) or (S, A, S)
        r(s), r(s, a) or r(s, a, s').  r(s, a, s') is reduced to its expectation
        r(s, a) = sum_s' p(s'|s,a) r(s, a, s'), the reward of p(O_t|s_t,a_t) = exp(r/T).
    initial : array (S,), optional
        p(s_0); uniform over non-terminal states when omitted.
    gamma : float in (0, 1], default 1.0
        Discount.  An infinite-horizon problem needs gamma < 1 or reachable terminals.
    horizon : int or None, default None
        Number of decisions H of a finite-horizon problem; None for infinite horizon.
    terminal : array of bool (S,) or of indices, optional
        Absorbing states that end an episode.

    Examples
    --------
    >>> import numpy as np
    >>> P = np.zeros((2, 2, 2)); P[:, 0, 0] = 1; P[:, 1, 1] = 1
    >>> mdp = FiniteMDP(P, reward=np.array([0.0, 1.0]), gamma=0.9)
    >>> mdp.n_states, mdp.n_actions
    (2, 2)
    """

    transitions: sp.csr_matrix
    reward: np.ndarray
    initial: np.ndarray = None  # type: ignore[assignment]
    gamma: float = 1.0
    horizon: int | None = None
    terminal: np.ndarray = None  # type: ignore[assignment]
    n_actions: int = field(default=0)

    def __post_init__(self) -> None:
        P, n_states, n_actions = as_transition_matrix(self.transitions, self.n_actions or None)
        terminal = check_terminal(self.terminal, n_states)
        # Terminal rows are never used; make them valid self-loops so every row sums to 1.
        if terminal.any():
            P = _absorb(P, terminal, n_actions)
        check_transition_rows(P, n_actions)  # raises, naming the (state, action), on a bad row
        reward = check_reward(self.reward, n_states, n_actions, P)
        reward = np.where(np.repeat(terminal, n_actions).reshape(n_states, n_actions), 0.0, reward)
        if self.initial is None:
            live = ~terminal
            if not live.any():
                raise MDPValidationError("terminal: every state is terminal; leave one state live.")
            initial = live / live.sum()
        else:
            initial = check_probability_vector(self.initial, n_states, "initial")
        object.__setattr__(self, "transitions", P)
        object.__setattr__(self, "reward", reward)
        object.__setattr__(self, "initial", initial)
        object.__setattr__(self, "terminal", terminal)
        object.__setattr__(self, "n_actions", n_actions)
        object.__setattr__(self, "gamma", check_discount(self.gamma))
        object.__setattr__(self, "horizon", check_horizon(self.horizon))
        for arr in (reward, initial, terminal, P.data, P.indices, P.indptr):
            arr.flags.writeable = False

    @property
    def n_states(self) -> int:
        """Number of states S."""
        return self.transitions.shape[1]

    @property
    def shape(self) -> tuple[int, int]:
        """(S, A)."""
        return self.n_states, self.n_actions

    @cached_property
    def transitions_T(self) -> sp.csr_matrix:
        """P^T as CSR (S, S*A): row s' lists the (s, a) that reach s'; for forward passes."""
        return self.transitions.T.tocsr()

    def policy_transitions(self, policy: np.ndarray) -> sp.csr_matrix:
        """P_pi(s, s') = sum_a pi(a|s) p(s'|s,a) as CSR (S, S), for a stationary (S, A) policy."""
        n_states, n_actions = self.shape
        rows = np.repeat(np.arange(n_states), n_actions)
        cols = np.arange(n_states * n_actions)
        Pi = sp.csr_matrix((np.asarray(policy, dtype=np.float64).ravel(), (rows, cols)),
                           shape=(n_states, n_states * n_actions))  # fmt: skip
        return (Pi @ self.transitions).tocsr()

    def dense_transitions(self) -> np.ndarray:
        """p(s'|s,a) as a dense (S, A, S) array (small MDPs only)."""
        return self.transitions.toarray().reshape(self.n_states, self.n_actions, self.n_states)

    def replace(self, **changes) -> FiniteMDP:
        """A copy with some fields changed (``reward=``, ``gamma=``, ``horizon=``, ...)."""
        fields = dict(
            transitions=self.transitions,
            reward=self.reward,
            initial=self.initial,
            gamma=self.gamma,
            horizon=self.horizon,
            terminal=self.terminal,
            n_actions=self.n_actions,
        )
        fields.update(changes)
        return FiniteMDP(**fields)

    def __repr__(self) -> str:
        h = "inf" if self.horizon is None else self.horizon
        return (
            f"FiniteMDP(S={self.n_states}, A={self.n_actions}, nnz={self.transitions.nnz}, "
            f"gamma={self.gamma}, horizon={h}, terminal={int(self.terminal.sum())})"
        )


def _absorb(P: sp.csr_matrix, terminal: np.ndarray, n_actions: int) -> sp.csr_matrix:
    """Replace the rows of terminal states by self-loops."""
    n_states = P.shape[1]
    rows = np.flatnonzero(np.repeat(terminal, n_actions))
    keep = sp.diags((~np.repeat(terminal, n_actions)).astype(np.float64)) @ P
    loops = sp.csr_matrix(
        (np.ones(rows.size), (rows, rows // n_actions)), shape=(n_states * n_actions, n_states)
    )
    out = (keep + loops).tocsr()
    out.eliminate_zeros()
    out.sort_indices()
    return out
