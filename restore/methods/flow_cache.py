"""Optical flow computed once per frame pair, and flow completion factorised once per hole set.

The hybrid used to ask for the same fields again and again: each temporal-fusion pass computed
new DIS fields over the validation fill and over the real fill, after both propagations had
computed theirs. ``ClipFlows`` keeps a propagation's completed fields so that fusion reuses
them: a fill that changes inside the holes does not change the flow outside them, and inside
them the completed (harmonic) flow is what propagation followed. ``CompletionCache`` keeps the
LU factors of the Laplace system of each distinct set of unknown pixels: the forward and the
backward field of a frame pair share one, and a static mask (a logo) shares one over the whole
clip. Measured costs and quality of each reuse: ``docs/propagation-speed.md``.

Layout: fields ``(H, W, 2)`` float32 in pixels (x, y).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import splu

# Distinct hole sets whose factors are kept. Consecutive frame pairs of a moving mask never
# repeat, so a long cache buys nothing there; a static mask needs one entry.
CACHE_ENTRIES = 4

_NEIGHBOURS = ((-1, 0), (1, 0), (0, -1), (0, 1))


@dataclass
class ClipFlows:
    """The completed flow fields of one propagation: ``forward[t]`` maps frame t to t + 1 and
    ``backward[t]`` maps frame t + 1 to t; ``(T - 1, H, W, 2)`` float32 each."""

    forward: np.ndarray
    backward: np.ndarray

    def towards(self, target: int, source: int) -> np.ndarray:
        """The field that maps frame ``target`` onto its neighbour ``source`` (``|target -
        source| == 1``)."""
        if source == target + 1:
            return self.forward[target]
        if source == target - 1:
            return self.backward[source]
        raise ValueError(f"frames {target} and {source} are not neighbours")


class Completion:
    """The harmonic (Laplace) completion of fields over one set of unknown pixels.

    Builds and factorises the system once (4-neighbour stencil, Neumann at the image border, the
    known pixels as Dirichlet values); ``fill`` then costs one triangular solve per field.
    """

    def __init__(self, unknown: np.ndarray) -> None:
        height, width = unknown.shape
        rows, cols = np.nonzero(unknown)
        count = rows.size
        self.rows, self.cols, self.shape = rows, cols, unknown.shape
        self._boundary: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._factors = None
        if count == 0 or count == unknown.size:
            return
        index = np.full(unknown.shape, -1, dtype=np.int64)
        index[rows, cols] = np.arange(count)
        diagonal = np.zeros(count, dtype=np.float64)
        off_rows, off_cols = [], []
        for d_row, d_col in _NEIGHBOURS:
            n_rows, n_cols = rows + d_row, cols + d_col
            inside = (n_rows >= 0) & (n_rows < height) & (n_cols >= 0) & (n_cols < width)
            diagonal += inside
            own = np.nonzero(inside)[0]
            neighbour = index[n_rows[own], n_cols[own]]
            is_unknown = neighbour >= 0
            off_rows.append(own[is_unknown])
            off_cols.append(neighbour[is_unknown])
            known = own[~is_unknown]
            self._boundary.append((known, n_rows[known], n_cols[known]))
        off_rows_all = np.concatenate(off_rows)
        matrix = sparse.csc_matrix(
            (
                np.concatenate([diagonal, -np.ones(off_rows_all.size)]),
                (
                    np.concatenate([np.arange(count), off_rows_all]),
                    np.concatenate([np.arange(count), np.concatenate(off_cols)]),
                ),
            ),
            shape=(count, count),
        )
        self._factors = splu(matrix)

    def fill(self, field: np.ndarray) -> np.ndarray:
        """``field`` ``(H, W, C)`` with its unknown pixels replaced; float32; zeros everywhere
        when no pixel is known."""
        filled = field.astype(np.float32, copy=True)
        if self.rows.size == 0:
            return filled
        if self._factors is None:
            return np.zeros_like(filled)
        rhs = np.zeros((self.rows.size, field.shape[2]), dtype=np.float64)
        for known, n_rows, n_cols in self._boundary:
            rhs[known] += field[n_rows, n_cols]
        filled[self.rows, self.cols] = self._factors.solve(rhs)
        return filled


class CompletionCache:
    """``Completion`` objects keyed by their unknown set, the last ``entries`` kept."""

    def __init__(self, entries: int = CACHE_ENTRIES) -> None:
        self._entries = entries
        self._kept: OrderedDict[tuple, Completion] = OrderedDict()
        self.factorisations = 0  # how many systems were built (for tests and benchmarks)

    def __call__(self, unknown: np.ndarray) -> Completion:
        key = (unknown.shape, hashlib.blake2b(np.packbits(unknown).tobytes()).digest())
        completion = self._kept.get(key)
        if completion is None:
            completion = Completion(unknown)
            self.factorisations += 1
            self._kept[key] = completion
            if len(self._kept) > self._entries:
                self._kept.popitem(last=False)
        else:
            self._kept.move_to_end(key)
        return completion
