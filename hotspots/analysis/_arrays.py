"""Array idioms the analysis modules share."""

from __future__ import annotations

import numpy as np


def positions_in_runs(lengths: np.ndarray) -> np.ndarray:
    """``0 .. n - 1`` for each run length ``n``, end to end: where each item sits in its run.

    With ``np.repeat(starts, lengths)`` it lists the members of ragged runs
    (a cell's points, a row's neighbours) without a Python loop.

    Examples
    --------
    >>> positions_in_runs(np.array([3, 0, 2])).tolist()
    [0, 1, 2, 0, 1]
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    return np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
