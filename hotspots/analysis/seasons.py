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
from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd

from hotspots._errors import HotspotsError
from hotspots._validate import check_columns
from hotspots.analysis._arrays import consecutive_runs

SEASONS = ("winter", "spring", "summer", "autumn")
SEASON_MONTHS = {
    "winter": (12, 1, 2),
    "spring": (3, 4, 5),
    "summer": (6, 7, 8),
    "autumn": (9, 10, 11),
}
_MONTH_SEASON = {m: s for s, months in SEASON_MONTHS.items() for m in months}
_FY_RE = re.compile(r"^(\d{4})-(\d{2})$")
HALLOWEEN_WINDOW = ((10, 20), (11, 5))
#: Months' short names, January first.
MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
#: A financial year's months, April to March.
FY_MONTHS = (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)


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


#: Text columns :func:`add_season_columns` gives as categoricals. Their categories are the
#: values present, sorted and ordered, so that ``<``, ``max()`` and sorting compare as the
#: text does, and a subset with unused categories removed equals the columns built on it.
CATEGORICAL_COLUMNS = ("month", "season", "season_label", "financial_year")


def add_season_columns(incidents: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return ``incidents`` with season and financial-year columns added.

    Adds ``month_num`` (1–12), ``season``, ``season_year`` (winter labelled by
    its January's year), ``season_label`` (``"autumn 2018"``), ``financial_year``
    (``"2018-19"``), ``weekday`` and ``hour`` (where the date has them; otherwise
    missing) and ``halloween`` (bool; see the module notes). ``month``
    (``"2018-10"``) is made from the dates when missing.

    The text columns (:data:`CATEGORICAL_COLUMNS`) are categoricals: one small
    integer per incident, the labels made once per distinct month. The input
    is not changed, and its columns are not copied (a shallow copy).

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
    >>> out = add_season_columns(t)
    >>> out[["season_label", "financial_year", "halloween"]].values.tolist()
    [['winter 2019', '2018-19', False], ['autumn 2018', '2018-19', True]]
    >>> out["season"].cat.categories.tolist()
    ['autumn', 'winter']
    """
    check_columns(incidents, ["date", "date_precision"], argument="incidents")
    out = incidents.copy(deep=False)
    date = pd.DatetimeIndex(out["date"])
    month = date.month.to_numpy()
    year = date.year.to_numpy()
    # every label is made once per distinct month, then given to its incidents by code
    codes, distinct = pd.factorize(year.astype(np.int64) * 12 + (month - 1), sort=True)
    d_year, d_month = distinct // 12, distinct % 12 + 1
    d_season = np.array([_MONTH_SEASON[m] for m in d_month], dtype=object)
    d_season_year = np.where(d_month == 12, d_year + 1, d_year)
    labels = {
        "month": np.array([f"{y}-{m:02d}" for y, m in zip(d_year, d_month)], dtype=object),
        "season": d_season,
        "season_label": np.array([f"{s} {y}" for s, y in zip(d_season, d_season_year)], dtype=object),
        "financial_year": np.array([financial_year_of(int(y), int(m)) for y, m in zip(d_year, d_month)],
                                   dtype=object),
    }  # fmt: skip
    out["month_num"] = month
    out["season"] = _categorical(labels["season"], codes)
    out["season_year"] = np.where(month == 12, year + 1, year)
    out["season_label"] = _categorical(labels["season_label"], codes)
    out["financial_year"] = _categorical(labels["financial_year"], codes)
    if "month" not in out.columns or _same_text(out["month"], labels["month"], codes):
        out["month"] = _categorical(labels["month"], codes)
    elif not isinstance(out["month"].dtype, pd.CategoricalDtype):
        out["month"] = _as_categorical(out["month"])
    precision = out["date_precision"].to_numpy(dtype=object)
    precise = precision != "month"
    timed = precision == "datetime"
    weekday = np.full(len(out), None, dtype=object)
    if precise.any():
        weekday[precise] = date[precise].day_name().to_numpy(dtype=object)
    out["weekday"] = pd.Series(weekday, index=out.index)  # str where any, as pandas infers
    out["hour"] = pd.arrays.IntegerArray(np.where(timed, date.hour, 0).astype("int64"), mask=~timed)
    (m0, d0), (m1, d1) = HALLOWEEN_WINDOW
    md = month * 100 + date.day.to_numpy()
    in_window = (md >= m0 * 100 + d0) & (md <= m1 * 100 + d1)
    out["halloween"] = np.where(precise, in_window, month == 10)
    return out


def _same_text(values: pd.Series, labels: np.ndarray, codes: np.ndarray) -> bool:
    """True when a text column (not a categorical) is ``labels[codes]``, value for value."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return False
    return bool((values.to_numpy(dtype=object) == labels[codes]).all())


def _categorical(labels: np.ndarray, codes: np.ndarray) -> pd.Categorical:
    """``labels[codes]`` as a categorical whose categories are the labels used, sorted.

    Every label is used (``labels`` are those of the distinct months present).
    """
    cats, inverse = np.unique(labels.astype(str), return_inverse=True)
    return pd.Categorical.from_codes(
        inverse[codes], categories=pd.Index(cats.tolist()), ordered=True
    )


def _as_categorical(values: pd.Series) -> pd.Categorical:
    """A text column as a categorical of the values present, sorted (missing stays missing)."""
    return pd.Categorical(values.to_numpy(dtype=object), ordered=True)


def as_added(incidents: pd.DataFrame) -> pd.DataFrame:
    """Season columns typed as :func:`add_season_columns` types them, for rows read back.

    For incidents whose season columns come from elsewhere (a store) or are a
    subset of a larger table: each of :data:`CATEGORICAL_COLUMNS` becomes a
    categorical of the values present, sorted, as if the columns had been
    added to these rows. The input is not changed.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"season": pd.Categorical(["winter", "autumn"])}).iloc[:1]
    >>> as_added(t)["season"].cat.categories.tolist()
    ['winter']
    """
    out = incidents.copy(deep=False)
    for column in CATEGORICAL_COLUMNS:
        if column not in out.columns:
            continue
        values = out[column]
        if isinstance(values.dtype, pd.CategoricalDtype):
            values = values.cat.remove_unused_categories()
            cats = values.cat.categories
            if not (values.cat.ordered and cats.dtype == "str" and cats.is_monotonic_increasing):
                values = values.cat.set_categories(pd.Index(sorted(map(str, cats))), ordered=True)
            out[column] = values
        else:
            out[column] = _as_categorical(values)
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
        The matching rows (filters combine with AND); the categorical columns
        list only the values these rows hold (see :func:`as_added`).

    Raises
    ------
    HotspotsError
        For an unknown season or a malformed financial year.
    """
    keep = period_mask(incidents, season=season, financial_year=financial_year,
                       season_year=season_year)  # fmt: skip
    return as_added(incidents.loc[keep])  # the categories the chosen rows hold, as text would


def period_mask(
    incidents: pd.DataFrame,
    *,
    season: str | None = None,
    financial_year: str | None = None,
    season_year: int | None = None,
) -> np.ndarray:
    """The boolean mask of :func:`select_period` (categorical columns compared by their codes).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"season": pd.Categorical(["autumn", "winter"]),
    ...                   "financial_year": pd.Categorical(["2018-19", "2018-19"])})
    >>> period_mask(t, season="winter").tolist()
    [False, True]
    """
    check_columns(incidents, ["season", "financial_year"], argument="incidents")
    keep = np.ones(len(incidents), dtype=bool)
    if season not in (None, "all"):
        if season not in SEASONS:
            raise HotspotsError(f"season must be one of {[*SEASONS, 'all']!r}; got {season!r}")
        keep &= equals(incidents["season"], season)
    if financial_year is not None:
        parse_financial_year(financial_year)
        keep &= equals(incidents["financial_year"], financial_year)
    if season_year is not None:
        keep &= (incidents["season_year"] == season_year).to_numpy()
    return keep


def equals(values: pd.Series, value: object) -> np.ndarray:
    """``values == value`` as a boolean array; a categorical compares its integer codes.

    Examples
    --------
    >>> import pandas as pd
    >>> equals(pd.Series(pd.Categorical(["a", "b", "a"])), "a").tolist()
    [True, False, True]
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        where = values.cat.categories.get_indexer([value])[0]
        return values.cat.codes.to_numpy() == where if where >= 0 else np.zeros(len(values), bool)
    return (values == value).to_numpy()


def monthly_profile(
    incidents: gpd.GeoDataFrame, *, months_covered: Iterable[str] | None = None
) -> pd.DataFrame:
    """Count incidents by calendar month, one column per financial year.

    Rows run April to March (the financial year's order), so the summer
    (July) and Halloween (October) peaks read left to right as in council reports.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        With ``month_num`` and ``financial_year`` (see :func:`add_season_columns`).
    months_covered : iterable of str, optional
        The ``YYYY-MM`` months the data holds (every incident read, not only
        those selected: see :func:`covered_months`). A month outside them is
        missing (NaN, "no data"), never 0, so a part year is not drawn as a
        fall to zero; a covered month without an incident stays 0. Every
        financial year the covered months reach gets a column. None: every
        month counts as covered (0 where none).

    Returns
    -------
    pandas.DataFrame
        Index: month abbreviations ``Apr`` … ``Mar``; columns: financial years;
        values: incident counts (0 where none; with ``months_covered``, floats
        with NaN for the months not covered).

    Examples
    --------
    >>> t = pd.DataFrame({"month_num": [10, 10, 11], "financial_year": ["2018-19"] * 3})
    >>> p = monthly_profile(t, months_covered=["2018-10", "2018-11", "2018-12"])
    >>> p.loc[["Sep", "Oct", "Nov", "Dec"], "2018-19"].tolist()
    [nan, 2.0, 1.0, 0.0]
    """
    check_columns(incidents, ["month_num", "financial_year"], argument="incidents")
    order = list(FY_MONTHS)
    table = pd.crosstab(incidents["month_num"], incidents["financial_year"])
    table = table.reindex(order, fill_value=0)
    if months_covered is not None:
        have = {str(m) for m in months_covered}
        years = {financial_year_of(int(m[:4]), int(m[5:7])) for m in have}
        table = table.reindex(columns=sorted(years | {str(c) for c in table.columns}),
                              fill_value=0).astype(float)  # fmt: skip
        for fy in table.columns:
            held = [m in have for m in fy_months(fy)]
            table.loc[~np.array(held), fy] = np.nan
    table.index = [MONTH_ABBR[m - 1] for m in order]
    table.index.name = "month"
    table.columns.name = None
    return table


def fy_months(financial_year: str) -> list[str]:
    """The twelve ``YYYY-MM`` months of a financial year, April to March.

    Examples
    --------
    >>> fy_months("2018-19")[0], fy_months("2018-19")[-1]
    ('2018-04', '2019-03')
    """
    start = parse_financial_year(financial_year)
    return [f"{start if m >= 4 else start + 1}-{m:02d}" for m in FY_MONTHS]


def covered_months(incidents: pd.DataFrame) -> list[str]:
    """The ``YYYY-MM`` months a dataset holds: those of any incident read, sorted.

    Pass the incidents read (``prepared.load.incidents``), not a selection, so
    that a ward with no incident in a month the data covers counts 0 there.

    Examples
    --------
    >>> covered_months(pd.DataFrame({"month": ["2019-01", "2018-10", "2019-01"]}))
    ['2018-10', '2019-01']
    """
    check_columns(incidents, ["month"], argument="incidents")
    return sorted({str(m) for m in pd.unique(incidents["month"].dropna())})


def months_without_data(profile: pd.DataFrame) -> dict[str, str]:
    """The months of each financial year a profile has no data for, named as ranges.

    Parameters
    ----------
    profile : pandas.DataFrame
        From :func:`monthly_profile` with ``months_covered`` (NaN: not covered).

    Returns
    -------
    dict
        Financial year -> ``"Apr–Sep, Mar"``, for the years missing any month.

    Examples
    --------
    >>> t = pd.DataFrame({"month_num": [10], "financial_year": ["2018-19"]})
    >>> months_without_data(monthly_profile(t, months_covered=["2018-10", "2018-11"]))
    {'2018-19': 'Apr–Sep, Dec–Mar'}
    """
    out = {}
    for fy in profile.columns:
        missing = profile[fy].isna().to_numpy()
        if missing.any():
            out[str(fy)] = months_held([m for m, gap in zip(FY_MONTHS, missing) if gap])
    return out


def months_held(months: set[int] | list[int], year: str | None = None) -> str:
    """Name months in financial-year order, as ranges: ``"Apr–Oct"``, ``"Jan–Mar"``.

    Examples
    --------
    >>> months_held({4, 5, 6, 10}), months_held(set(range(1, 13))), months_held({1, 2, 3})
    ('Apr–Jun, Oct', 'Apr–Mar', 'Jan–Mar')
    """
    months = set(months)
    order = [i for i, m in enumerate(FY_MONTHS) if m in months]  # places in the year
    if not order:
        return "no months"
    names = [MONTH_ABBR[FY_MONTHS[i] - 1] for i in range(12)]
    return ", ".join(
        names[r[0]] if len(r) == 1 else f"{names[r[0]]}–{names[r[-1]]}"
        for r in consecutive_runs(order)
    )


def short_month(month: str) -> str:
    """``"2018-07"`` -> ``"Jul 2018"``.

    Examples
    --------
    >>> short_month("2019-03")
    'Mar 2019'
    """
    year, mon = str(month).split("-")[:2]
    return f"{MONTH_ABBR[int(mon) - 1]} {year}"


def months_span(months: Iterable[str], *, none: str = "no months") -> str:
    """The first and last of some ``YYYY-MM`` months: ``"Oct 2018 to Feb 2019"``.

    One month is named alone; ``none`` is said when there is none.

    Examples
    --------
    >>> months_span(["2018-11", "2018-10", "2019-02"]), months_span(["2018-10"]), months_span([])
    ('Oct 2018 to Feb 2019', 'Oct 2018', 'no months')
    """
    got = sorted({m for m in months if m})
    if not got:
        return none
    return short_month(got[0]) if len(got) == 1 else (
        f"{short_month(got[0])} to {short_month(got[-1])}")  # fmt: skip


def month_runs(months, *, sep: str = ", ") -> str:
    """``YYYY-MM`` months as runs of consecutive months: ``"Oct–Nov 2018"``, ``"Dec 2018–Feb 2019"``.

    ``months`` is any iterable of ``YYYY-MM`` text, or such text joined by
    commas (a hotspot's ``months``); repeats and order do not matter. Runs are
    joined by ``sep``.

    Examples
    --------
    >>> month_runs("2018-10, 2018-11"), month_runs(["2019-01", "2018-12", "2019-02"])
    ('Oct–Nov 2018', 'Dec 2018–Feb 2019')
    >>> month_runs(["2018-10", "2018-12", "2019-03"]), month_runs([])
    ('Oct 2018, Dec 2018, Mar 2019', 'no months')
    """
    if isinstance(months, str):
        months = months.split(",")
    got = sorted({str(m).strip() for m in months if str(m).strip()})
    if not got:
        return "no months"
    number = {int(m[:4]) * 12 + int(m[5:7]) - 1: m for m in got}  # months counted on

    def run_text(run: list[int]) -> str:
        a, b = number[run[0]], number[run[-1]]
        if a == b:
            return short_month(a)
        if a[:4] == b[:4]:
            return f"{MONTH_ABBR[int(a[5:7]) - 1]}–{short_month(b)}"
        return f"{short_month(a)}–{short_month(b)}"

    return sep.join(run_text(r) for r in consecutive_runs(sorted(number)))


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
    return (
        common,
        f"{labels[0]} holds {months_held(now)} and {labels[1]} holds {months_held(then)}: {what}",
    )
