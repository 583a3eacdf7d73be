"""Peak months, weekdays and hours of a hotspot's incidents."""

from __future__ import annotations

import logging

import pandas as pd

log = logging.getLogger(__name__)


#: Weekday and hour peaks are given only when at least this share of a hotspot's incidents has them.
MIN_KNOWN_SHARE = 0.5


_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _mode(values: pd.Series, *, order: list | None = None) -> list:
    """The most common values (all of them on a tie), in ``order`` or sorted."""
    values = values.dropna()
    values = values[values.astype(str).str.strip() != ""]
    if values.empty:
        return []
    counts = values.value_counts()
    top = counts[counts == counts.max()].index.tolist()
    if order is not None:
        return [v for v in order if v in top]
    return sorted(top)


def peak_months(months: pd.Series) -> str:
    """The month or months (on a tie) with the most incidents, e.g. ``"Oct 2018"``.

    Parameters
    ----------
    months : pandas.Series
        ``YYYY-MM`` strings (the incidents' ``month`` column).

    Examples
    --------
    >>> import pandas as pd
    >>> peak_months(pd.Series(["2018-10", "2018-10", "2018-11", "2018-09", "2018-09"]))
    'Sep 2018, Oct 2018'
    """
    top = _mode(months.astype(object))
    return ", ".join(pd.Timestamp(f"{m}-01").strftime("%b %Y") for m in top)


def peak_weekday(weekdays: pd.Series) -> str:
    """The busiest weekday (ties joined), or "" when fewer than half the incidents have one.

    Examples
    --------
    >>> import pandas as pd
    >>> peak_weekday(pd.Series(["Friday", "Saturday", "Saturday", None]))
    'Saturday'
    >>> peak_weekday(pd.Series(["Friday", None, None]))
    ''
    """
    known = weekdays.dropna()
    if len(weekdays) == 0 or len(known) < MIN_KNOWN_SHARE * len(weekdays):
        return ""
    return ", ".join(_mode(known.astype(object), order=list(_WEEKDAYS)))


def peak_hour(hours: pd.Series) -> str:
    """The busiest hour as ``"20:00-21:00"`` (ties joined), or "" when most incidents have none.

    Examples
    --------
    >>> import pandas as pd
    >>> peak_hour(pd.Series([20, 20, 21, 3], dtype="Int64"))
    '20:00-21:00'
    >>> peak_hour(pd.Series([20, None, None], dtype="Int64"))
    ''
    """
    known = pd.Series(hours).dropna()
    if len(hours) == 0 or len(known) < MIN_KNOWN_SHARE * len(hours):
        return ""
    top = _mode(known.astype(int))
    return ", ".join(f"{h:02d}:00-{(h + 1) % 24:02d}:00" for h in top)
