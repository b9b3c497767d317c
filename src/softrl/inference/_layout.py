"""A fixed-width (ELL) copy of p(s'|s,a) for the backward kernels, derived once per MDP.

CSR rows of a gridworld or a Garnet MDP hold a handful of successors each.  A CSR row loop
has a data-dependent trip count (a mispredicted branch at the end of most rows) and reads
``indptr``; a fixed width K lets the kernel write the row out (:func:`kernels._ell_dot`):
0.29 against 0.38 ns a stored entry on the gather of a 40 x 40 grid (unsigned indices; 0.43
against 0.96 with signed ones).  For a large V (out of L2) the kernels read the CSR rows,
whose loop prefetches V.  Padding slots have probability 0 and point at the row's first
successor, so every row sum is the CSR sum in the same order (a V of +-inf at that successor
would turn the padded 0 * inf into NaN; the values of a backup are finite).

When every row has the same length (Garnet MDPs), the CSR arrays already are the layout:
``indices`` and ``data`` are reshaped to (S*A, K) without a copy.  Otherwise a copy is made
only for small MDPs whose rows are short and nearly full.
"""

from __future__ import annotations

import weakref

import numpy as np

from softrl.mdp.finite import FiniteMDP

__all__ = ["ell_layout", "NO_ELL"]

# A copy is made when the rows are at most this wide, the padding adds at most a quarter, and
# the copy is small (a backup of a big MDP is memory-bound, and a copy would double it).
_MAX_WIDTH = 8
_MAX_PADDING = 1.25
_MAX_COPY_ENTRIES = 1 << 22

NO_ELL = (np.empty((0, 1), dtype=np.int32), np.empty((0, 1)))
_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def ell_layout(mdp: FiniteMDP) -> tuple[np.ndarray, np.ndarray]:
    """(idx (S*A, K) int32, p (S*A, K) float64) of ``mdp.transitions``, or ``NO_ELL``."""
    try:
        return _CACHE[mdp]
    except KeyError:
        pass
    layout = _build(mdp.transitions.indptr, mdp.transitions.indices, mdp.transitions.data)
    _CACHE[mdp] = layout
    return layout


def _build(indptr: np.ndarray, indices: np.ndarray, data: np.ndarray):
    n_rows = indptr.size - 1
    lengths = np.diff(indptr)
    if n_rows == 0 or lengths.min() == 0 or indices.dtype != np.int32:
        return NO_ELL
    width = int(lengths.max())
    if lengths.min() == width:  # uniform rows: a view of the CSR arrays
        return indices.reshape(n_rows, width), data.reshape(n_rows, width)
    padded = n_rows * width
    if width > _MAX_WIDTH or padded > _MAX_PADDING * data.size or padded > _MAX_COPY_ENTRIES:
        return NO_ELL
    rows = np.repeat(np.arange(n_rows), lengths)
    slots = np.arange(data.size) - np.repeat(indptr[:-1], lengths)
    idx = np.repeat(indices[indptr[:-1]][:, None], width, axis=1)
    p = np.zeros((n_rows, width))
    idx[rows, slots] = indices
    p[rows, slots] = data
    idx.flags.writeable = False
    p.flags.writeable = False
    return idx, p
