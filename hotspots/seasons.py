"""Season, month and financial-year labels, and seasonal profiles.

Conventions (those of UK community safety reports):

* **Meteorological seasons**: spring Mar–May, summer Jun–Aug, autumn Sep–Nov,
  winter Dec–Feb. A winter is labelled by the year of its January, so
  December 2018 belongs to winter 2019.
* **Financial years** run April to March and are labelled ``"2018-19"``.
* **Halloween / October half-term**: incidents dated 20 October to 5 November
  (half-term week, Halloween and Bonfire Night). police.uk rows carry only a
  month, so for them the whole of October is flagged; ``date_precision`` says
  which rule applied.
"""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd

from hotspots._errors import HotspotsError
from hotspots._validate import check_columns

SEASONS = ("winter", "spring", "summer", "autumn")
SEASON_MONTHS = {"winter": (12, 1, 2), "spring": (3, 4, 5), "summer": (6, 7, 8), "autumn": (9, 10, 11)}
_MONTH_SEASON = {m: s for s, months in SEASON_MONTHS.items() for m in months}
_FY_RE = re.compile(r"^(\d{4})-(\d{2})$")
HALLOWEEN_WINDOW = ((10, 20), (11, 5))
_MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_FY_ORDER = (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)


def season_of(month: int) -> str:
    """Return the meteorological season of a month number (1–12).

    Examples
    --------
    >>> season_of(12), season_of(7), season_of(10)
    ('winter', 'summer', 'autumn')
    """
    if month not in _MONTH_SEASON:
        raise HotspotsError(f"month must be 1 to 12, got {month!r}")
    return _MONTH_SEASON[month]


def financial_year_of(year: int, month: int) -> str:
    """Return the April–March financial year of a month, e.g. ``"2018-19"``.

    Examples
    --------
    >>> financial_year_of(2019, 3), financial_year_of(2019, 4)
    ('2018-19', '2019-20')
    """
    start = year if month >= 4 else year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def parse_financial_year(label: str) -> int:
    """Check a financial-year label and return the year it starts in.

    Examples
    --------
    >>> parse_financial_year("2018-19")
    2018
    """
    match = _FY_RE.match(str(label).strip())
    if not match or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
        raise HotspotsError(
            f"financial year must look like '2018-19' (April 2018 to March 2019); got {label!r}"
        )
    return int(match.group(1))


def add_season_columns(incidents: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return a copy of ``incidents`` with season and financial-year columns.

    Adds ``month_num`` (1–12), ``season``, ``season_year`` (winter labelled by
    its January's year), ``season_label`` (``"autumn 2018"``), ``financial_year``
    (``"2018-19"``), ``weekday`` and ``hour`` (where the date has them; otherwise
    missing) and ``halloween`` (bool; see the module notes).

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        An incident table with ``date`` and ``date_precision`` columns.

    Returns
    -------
    geopandas.GeoDataFrame

    Examples
    --------
    >>> import pandas as pd, geopandas as gpd
    >>> t = gpd.GeoDataFrame({"date": pd.to_datetime(["2018-12-01", "2018-10-31"]),
    ...                       "date_precision": ["month", "day"]}, geometry=[None, None])
    >>> add_season_columns(t)[["season_label", "financial_year", "halloween"]].values.tolist()
    [['winter 2019', '2018-19', False], ['autumn 2018', '2018-19', True]]
    """
    check_columns(incidents, ["date", "date_precision"], argument="incidents")
    out = incidents.copy()
    date = pd.DatetimeIndex(out["date"])
    month = date.month.to_numpy()
    year = date.year.to_numpy()
    out["month_num"] = month
    out["season"] = [_MONTH_SEASON[m] for m in month]
    out["season_year"] = np.where(month == 12, year + 1, year)
    out["season_label"] = [f"{s} {y}" for s, y in zip(out["season"], out["season_year"])]
    out["financial_year"] = [financial_year_of(y, m) for y, m in zip(year, month)]
    precise = (out["date_precision"] != "month").to_numpy()
    timed = (out["date_precision"] == "datetime").to_numpy()
    out["weekday"] = pd.Series(np.where(precise, date.day_name(), None), index=out.index)
    out["hour"] = pd.array(np.where(timed, date.hour, -1), dtype="Int64")
    out.loc[~timed, "hour"] = pd.NA
    (m0, d0), (m1, d1) = HALLOWEEN_WINDOW
    md = month * 100 + date.day.to_numpy()
    in_window = (md >= m0 * 100 + d0) & (md <= m1 * 100 + d1)
    out["halloween"] = np.where(precise, in_window, month == 10)
    return out


def select_period(
    incidents: gpd.GeoDataFrame,
    *,
    season: str | None = None,
    financial_year: str | None = None,
    season_year: int | None = None,
) -> gpd.GeoDataFrame:
    """Keep the incidents of a season and/or financial year.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        With the columns of :func:`add_season_columns`.
    season : {"winter", "spring", "summer", "autumn", "all"}, optional
        None or "all" keeps every season.
    financial_year : str, optional
        ``"2018-19"``; None keeps every year.
    season_year : int, optional
        The season's own year (winter by its January), e.g. ``2018`` for autumn 2018.

    Returns
    -------
    geopandas.GeoDataFrame
        The matching rows (filters combine with AND).

    Raises
    ------
    HotspotsError
        For an unknown season or a malformed financial year.
    """
    check_columns(incidents, ["season", "financial_year"], argument="incidents")
    keep = np.ones(len(incidents), dtype=bool)
    if season not in (None, "all"):
        if season not in SEASONS:
            raise HotspotsError(
                f"season must be one of {[*SEASONS, 'all']!r}; got {season!r}"
            )
        keep &= (incidents["season"] == season).to_numpy()
    if financial_year is not None:
        parse_financial_year(financial_year)
        keep &= (incidents["financial_year"] == financial_year).to_numpy()
    if season_year is not None:
        keep &= (incidents["season_year"] == season_year).to_numpy()
    return incidents.loc[keep]


def monthly_profile(incidents: gpd.GeoDataFrame) -> pd.DataFrame:
    """Count incidents by calendar month, one column per financial year.

    Rows run April to March (the financial year's order), so the summer
    (July) and Halloween (October) peaks read left to right as in council reports.

    Returns
    -------
    pandas.DataFrame
        Index: month abbreviations ``Apr`` … ``Mar``; columns: financial years;
        values: incident counts (0 where none).
    """
    check_columns(incidents, ["month_num", "financial_year"], argument="incidents")
    order = [4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3]
    table = pd.crosstab(incidents["month_num"], incidents["financial_year"])
    table = table.reindex(order, fill_value=0)
    table.index = [pd.Timestamp(2000, m, 1).strftime("%b") for m in order]
    table.index.name = "month"
    table.columns.name = None
    return table


def months_held(months: set[int] | list[int], year: str | None = None) -> str:
    """Name months in financial-year order, as ranges: ``"Apr–Oct"``, ``"Jan–Mar"``.

    Examples
    --------
    >>> months_held({4, 5, 6, 10}), months_held(set(range(1, 13))), months_held({1, 2, 3})
    ('Apr–Jun, Oct', 'Apr–Mar', 'Jan–Mar')
    """
    order = [m for m in _FY_ORDER if m in set(months)]
    if not order:
        return "no months"
    runs: list[list[int]] = [[order[0]]]
    for m in order[1:]:
        if _FY_ORDER.index(m) == _FY_ORDER.index(runs[-1][-1]) + 1:
            runs[-1].append(m)
        else:
            runs.append([m])
    return ", ".join(
        _MONTH_ABBR[r[0] - 1] if len(r) == 1 else f"{_MONTH_ABBR[r[0] - 1]}–{_MONTH_ABBR[r[-1] - 1]}"
        for r in runs
    )


def months_in_common(
    current: pd.DataFrame, earlier: pd.DataFrame, *, labels: tuple[str, str] = ("now", "then")
) -> tuple[list[int], str | None]:
    """The calendar months both selections hold, and a note when they do not hold the same.

    A year-on-year comparison is like with like only over the months both
    periods hold: when the data starts or ends part way through a year, the
    part year is compared with the same months of the other.

    Parameters
    ----------
    current, earlier : pandas.DataFrame
        With ``month_num`` (see :func:`add_season_columns`).
    labels : (str, str)
        Names of the two periods for the note, e.g. ``("2018-19", "2017-18")``.

    Returns
    -------
    (list of int, str or None)
        The month numbers in common, and None or a note saying what each holds.

    Examples
    --------
    >>> import pandas as pd
    >>> now, then = pd.DataFrame({"month_num": [9, 10, 11]}), pd.DataFrame({"month_num": [11]})
    >>> months_in_common(now, then, labels=("autumn 2018-19", "autumn 2017-18"))
    ([11], 'autumn 2018-19 holds Sep–Nov and autumn 2017-18 holds Nov: compared on Nov only')
    """
    check_columns(current, ["month_num"], argument="current")
    check_columns(earlier, ["month_num"], argument="earlier")
    now, then = set(current["month_num"].astype(int)), set(earlier["month_num"].astype(int))
    common = sorted(now & then)
    if now == then:
        return common, None
    what = f"compared on {months_held(common)} only" if common else "no month in common"
    return common, f"{labels[0]} holds {months_held(now)} and {labels[1]} holds {months_held(then)}: {what}"
