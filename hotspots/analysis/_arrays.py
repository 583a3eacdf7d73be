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


def consecutive_runs(values) -> list[list[int]]:
    """Sorted integers grouped into runs of consecutive values: ``[[3, 4, 5], [8], [10, 11]]``.

    What the month ranges are made of ("Apr–Jun, Oct", "Oct–Nov 2018", a chart's
    bands of months without data): the caller numbers its months in order.

    Examples
    --------
    >>> consecutive_runs([3, 4, 5, 8, 10, 11]), consecutive_runs([])
    ([[3, 4, 5], [8], [10, 11]], [])
    """
    runs: list[list[int]] = []
    for v in values:
        if runs and v == runs[-1][-1] + 1:
            runs[-1].append(v)
        else:
            runs.append([v])
    return runs
