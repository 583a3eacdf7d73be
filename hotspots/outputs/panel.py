"""The panel's tables and sentences: incident types, seasons, wards, districts.

Also the words that depend on what the data holds: how a mean is printed
(:func:`fmt_mean`), which months a share covers (:func:`share_of`), a season named
by its months (:func:`season_months`), which commands add the earlier years
(:func:`earlier_years_hint`), what police.uk rows give on the incident-types slide
(:func:`police_type_table`) and the attribution each source needs
(:func:`source_attributions`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from hotspots._errors import HotspotsError
from hotspots.analysis.seasons import (
    MONTH_ABBR,
    financial_year_of,
    fy_months,
    monthly_profile,
    months_span,
    parse_financial_year,
    short_month,
)
from hotspots.draw import cartography as carto
from hotspots.outputs.panel_sources import share_of

log = logging.getLogger(__name__)


TOTAL = "Total"


PARTNERSHIP_TOTAL = "Partnership total"


MONTH_NAME = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")  # fmt: skip


POLICE_NO_CATEGORY = (
    "police.uk records ASB without a category: every police.uk ASB incident is "
    "'Anti-social behaviour', so these data cannot be split into incident types."
)


def fmt_int(value) -> str:
    """A count with thousands separators; empty for missing.

    Examples
    --------
    >>> fmt_int(1070), fmt_int(-41), fmt_int(float("nan"))
    ('1,070', '-41', '')
    """
    if value is None or pd.isna(value):
        return ""
    return f"{round(float(value)):,}"


def fmt_pct(value, *, signed: bool = False) -> str:
    """A whole-number percentage; empty for missing.

    Examples
    --------
    >>> fmt_pct(11.2), fmt_pct(-7.0, signed=True), fmt_pct(12, signed=True), fmt_pct(None)
    ('11%', '-7%', '+12%', '')
    """
    if value is None or pd.isna(value):
        return ""
    v = round(float(value))
    return f"{v:+d}%" if signed and v != 0 else f"{v:d}%"


def share(part: float, whole: float) -> float:
    """``part`` as a percentage of ``whole`` (NaN when ``whole`` is 0).

    Examples
    --------
    >>> round(share(1070, 9727), 1), bool(np.isnan(share(1, 0)))
    (11.0, True)
    """
    return 100.0 * part / whole if whole else float("nan")


def join_words(items: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``.

    Examples
    --------
    >>> join_words(["Bromsgrove", "Redditch", "Wyre Forest"])
    'Bromsgrove, Redditch and Wyre Forest'
    """
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def month_label(month: str) -> str:
    """``"2018-07"`` -> ``"July 2018"``.

    Examples
    --------
    >>> month_label("2018-07")
    'July 2018'
    """
    year, mon = month.split("-")
    return f"{MONTH_NAME[int(mon) - 1]} {year}"


def previous_year(financial_year: str) -> str:
    """The financial year before.

    Examples
    --------
    >>> previous_year("2018-19")
    '2017-18'
    """
    start = parse_financial_year(financial_year) - 1
    return f"{start}-{(start + 1) % 100:02d}"


@dataclass(frozen=True)
class Coverage:
    """Which months of the chosen years the data holds.

    Attributes
    ----------
    financial_year : str
    compare : str or None
        The year compared with; None when the data holds none of it.
    months : tuple of str
        Every ``YYYY-MM`` in the data (study area or not).
    """

    financial_year: str
    compare: str | None
    months: tuple[str, ...]

    def covered(self, financial_year: str) -> list[str]:
        """The months of ``financial_year`` the data holds."""
        have = set(self.months)
        return [m for m in fy_months(financial_year) if m in have]

    def is_part_year(self, financial_year: str) -> bool:
        """True when the data holds fewer than 12 months of the year."""
        return len(self.covered(financial_year)) < 12

    def describe(self, financial_year: str) -> str:
        """``"2018-19: Oct 2018 to Feb 2019 only (5 of 12 months)"`` or ``"2018-19: all 12 months"``."""
        got = self.covered(financial_year)
        if not got:
            return f"{financial_year}: no data"
        if len(got) == 12:
            return f"{financial_year}: all 12 months"
        span = months_span(got)
        return f"{financial_year}: {span} only ({len(got)} of 12 months)"

    @property
    def years(self) -> list[str]:
        """The years the tables show: ``[compare, financial_year]`` or ``[financial_year]``."""
        return [self.compare, self.financial_year] if self.compare else [self.financial_year]


def coverage(months: Iterable[str], *, financial_year: str, compare: str | None = None) -> Coverage:
    """Work out what the data covers for the chosen year and the year compared with.

    Parameters
    ----------
    months : iterable of str
        The ``YYYY-MM`` months of every incident read.
    financial_year : str
        The panel's year, e.g. ``"2018-19"``.
    compare : str, optional
        The year to compare with; default the year before. It is dropped (None)
        when the data holds none of its months: the slides then say so
        instead of comparing with nothing.

    Raises
    ------
    HotspotsError
        When the data holds no month of ``financial_year``.

    Examples
    --------
    >>> c = coverage(["2018-10", "2018-11"], financial_year="2018-19")
    >>> c.compare, c.describe("2018-19")
    (None, '2018-19: Oct 2018 to Nov 2018 only (2 of 12 months)')
    """
    parse_financial_year(financial_year)
    months = tuple(sorted({m for m in months if isinstance(m, str) and m}))
    years = sorted({financial_year_of(int(m[:4]), int(m[5:7])) for m in months})
    if financial_year not in years:
        raise HotspotsError(
            f"--fy {financial_year}: the data holds no incidents in that financial year; it "
            f"covers {years!r}. Choose one of those, or add the files for {financial_year}."
        )
    wanted = compare or previous_year(financial_year)
    parse_financial_year(wanted)
    if wanted == financial_year:
        raise HotspotsError(f"--compare {wanted}: choose a year other than --fy {financial_year}")
    if wanted not in years:
        log.info("no data for %s: no comparison", wanted)
        wanted = None
    return Coverage(financial_year, wanted, months)


def like_for_like(incidents: pd.DataFrame, cov: Coverage) -> tuple[pd.DataFrame, str]:
    """Keep the compared year's incidents only in the months the panel's year covers.

    A part year (police.uk months to date) against a whole year before would
    show a fall that is only the missing months. When the panel's year is a
    part year, the year compared with is counted over the same calendar months,
    and the returned note says so (empty when nothing was cut).

    Examples
    --------
    >>> i = pd.DataFrame({"financial_year": ["2017-18", "2017-18", "2018-19"],
    ...                   "month": ["2017-10", "2018-01", "2018-10"]})
    >>> cov = Coverage("2018-19", "2017-18", ("2017-10", "2018-01", "2018-10"))
    >>> kept, note = like_for_like(i, cov)
    >>> len(kept), note
    (2, '2018-19 is a part year: 2017-18 is counted over the same months (Oct) for a like-for-like comparison.')
    """
    fy, before = cov.financial_year, cov.compare
    if before is None or not cov.is_part_year(fy):
        return incidents, ""
    months = {m[5:] for m in cov.covered(fy)}
    keep = (incidents["financial_year"] != before) | incidents["month"].str[5:].isin(months)
    names = [MONTH_ABBR[int(m[5:]) - 1] for m in cov.covered(fy)]
    span = names[0] if len(names) == 1 else f"{names[0]} to {names[-1]}"
    note = (f"{fy} is a part year: {before} is counted over the same months ({span}) for a "
            "like-for-like comparison.")  # fmt: skip
    start = parse_financial_year(before)
    held = [m for m in months if f"{start if int(m) >= 4 else start + 1}-{m}" in set(cov.months)]
    if len(held) < len(months):
        note += f" The data holds only {len(held)} of those months of {before}."
    return incidents.loc[keep], note


def council_rows(incidents: pd.DataFrame) -> pd.Series:
    """True for incidents from a council export (police.uk rows carry only a month).

    Examples
    --------
    >>> council_rows(pd.DataFrame({"date_precision": ["month", "day", "datetime"]})).tolist()
    [False, True, True]
    """
    return incidents["date_precision"] != "month"


def _with_mean(counts: pd.DataFrame, years: Sequence[str], label: str) -> pd.DataFrame:
    """Add mean and mean % columns and a total row to a count table (rows: names)."""
    counts = counts.reindex(columns=list(years), fill_value=0).astype("int64")
    out = counts.copy()
    out["mean"] = counts.mean(axis=1)
    total_mean = out["mean"].sum()
    out["mean %"] = 100.0 * out["mean"] / total_mean if total_mean else np.nan
    out = out.sort_values(["mean", *list(years)[::-1]], ascending=False, kind="stable")
    out.loc[TOTAL] = [*counts.sum().tolist(), total_mean, 100.0 if total_mean else np.nan]
    out[list(years)] = out[list(years)].astype("int64")
    out.index.name = label
    return out.reset_index()


def incident_type_table(incidents: pd.DataFrame, years: Sequence[str]) -> pd.DataFrame:
    """The panel's incident-type table: each council category by year, the mean and mean %.

    Parameters
    ----------
    incidents : pandas.DataFrame
        With ``category``, ``financial_year`` and ``date_precision``. Only
        council rows are counted (police.uk ASB has no category).
    years : sequence of str
        The financial years, oldest first.

    Returns
    -------
    pandas.DataFrame
        ``type``, one column per year, ``mean`` (of the years), ``mean %`` (that
        mean as a share of the total mean), largest first; the last row is
        ``Total``. Empty when there are no council rows in those years.

    Examples
    --------
    >>> i = pd.DataFrame({"category": ["Youths", "Youths", "Parking", "Youths"],
    ...                   "financial_year": ["2017-18", "2018-19", "2018-19", "2018-19"],
    ...                   "date_precision": "day"})
    >>> incident_type_table(i, ["2017-18", "2018-19"]).values.tolist()
    [['Youths', 1, 2, 1.5, 75.0], ['Parking', 0, 1, 0.5, 25.0], ['Total', 1, 3, 2.0, 100.0]]
    """
    chosen = incidents[council_rows(incidents) & incidents["financial_year"].isin(years)]
    if chosen.empty:
        return pd.DataFrame(columns=["type", *years, "mean", "mean %"])
    counts = pd.crosstab(chosen["category"], chosen["financial_year"])
    return _with_mean(counts, years, "type")


def qualifier_table(
    flags: pd.DataFrame, financial_year: pd.Series, years: Sequence[str]
) -> pd.DataFrame:
    """Qualifier counts (youth, drugs, alcohol) per year and the share with any qualifier.

    Parameters
    ----------
    flags : pandas.DataFrame
        Boolean columns, one per qualifier, index-aligned with the incidents
        (from :func:`qualifier_flags`; missing = not recorded).
    financial_year : pandas.Series
        Each incident's financial year (same index).
    years : sequence of str

    Returns
    -------
    pandas.DataFrame
        ``qualifier``, then per year its count and its share of the incidents
        with any qualifier (``<year> %``). Rows: each qualifier, ``Any
        qualifier`` (its share is of all incidents) and ``None recorded``.

    Examples
    --------
    >>> f = pd.DataFrame({"youth": [True, True, False], "drugs": [False, True, False]})
    >>> qualifier_table(f, pd.Series(["2018-19"] * 3), ["2018-19"]).round(1).values.tolist()
    [['Youth', 2, 100.0], ['Drugs', 1, 50.0], ['Any qualifier', 2, 66.7], ['None recorded', 1, 33.3]]
    """
    flags = flags.fillna(False).astype(bool)
    rows: dict[str, list] = {}
    for year in years:
        sub = flags[financial_year.reindex(flags.index) == year]
        any_q = sub.any(axis=1)
        n_any, n_all = int(any_q.sum()), len(sub)
        counts = sub.sum().astype(int)
        rows.setdefault("qualifier", [*(q.capitalize() for q in flags.columns),
                                      "Any qualifier", "None recorded"])  # fmt: skip
        rows[year] = [*counts.tolist(), n_any, n_all - n_any]
        rows[f"{year} %"] = [*(share(c, n_any) for c in counts), share(n_any, n_all),
                             share(n_all - n_any, n_all)]  # fmt: skip
    return pd.DataFrame(rows)


def seasonal_profile(incidents: pd.DataFrame, months_covered: Iterable[str]) -> pd.DataFrame:
    """Monthly incidents April to March, one column per financial year; NaN where not covered.

    A month the data does not reach (no incident at all in it, anywhere) is
    missing rather than 0, so a part year is not drawn as a fall to zero
    (:func:`~hotspots.analysis.seasons.monthly_profile` with ``months_covered``);
    a column per financial year the incidents hold.

    Examples
    --------
    >>> i = pd.DataFrame({"month_num": [10, 10, 11], "financial_year": ["2018-19"] * 3})
    >>> p = seasonal_profile(i, ["2018-10", "2018-11", "2018-12"])
    >>> p.loc[["Sep", "Oct", "Nov", "Dec"], "2018-19"].tolist()
    [nan, 2.0, 1.0, 0.0]
    """
    profile = monthly_profile(incidents, months_covered=months_covered)
    years = {str(fy) for fy in pd.unique(incidents["financial_year"])}  # those the rows hold
    return profile[[fy for fy in profile.columns if fy in years]]


def peak_sentence(profile: pd.DataFrame, financial_year: str, cov: Coverage) -> str:
    """Name the year's peak month, its count and share: "Highest in July 2018: 1,070, 11% of ...".

    Examples
    --------
    >>> p = pd.DataFrame({"2018-19": [np.nan] * 6 + [30.0, 10.0] + [np.nan] * 4},
    ...                  index=list(MONTH_ABBR[3:] + MONTH_ABBR[:3]))
    >>> c = Coverage("2018-19", None, ("2018-10", "2018-11"))
    >>> peak_sentence(p, "2018-19", c)
    'Highest in October 2018: 30 incidents, 75% of the 40 in the 2 months covered (Oct 2018 to Nov 2018).'
    """
    col = profile[financial_year].dropna()
    if col.empty or col.sum() == 0:
        return f"No incidents recorded in {financial_year}."
    label = col.idxmax()
    month = fy_months(financial_year)[list(profile.index).index(label)]
    total = col.sum()
    got = cov.covered(financial_year)
    span = f"{short_month(got[0])} to {short_month(got[-1])}"
    if len(got) == 12:
        of = f"of {financial_year}'s {fmt_int(total)} ({span})"
    else:
        of = f"of the {fmt_int(total)} in the {len(got)} months covered ({span})"
    ties = col[col == col.max()]
    tie = f" (tied with {len(ties) - 1} other month(s))" if len(ties) > 1 else ""
    return (f"Highest in {month_label(month)}{tie}: {fmt_int(col.max())} incidents, "
            f"{fmt_pct(share(col.max(), total))} {of}.")  # fmt: skip


def halloween_sentence(
    incidents: pd.DataFrame, financial_year: str, cov: Coverage | None = None
) -> str:
    """Incidents in the Halloween / October half-term window of a year, and their share.

    With ``cov`` the share names the months of the year the data holds (a part
    year's share is of those months only).

    Examples
    --------
    >>> i = pd.DataFrame({"financial_year": ["2018-19"] * 4, "halloween": [True, False] * 2,
    ...                   "date_precision": "day"})
    >>> halloween_sentence(i, "2018-19")
    'Halloween / October half-term window (20 Oct to 5 Nov): 2 incidents, 50% of 2018-19.'
    >>> halloween_sentence(i, "2018-19", Coverage("2018-19", None, ("2018-10", "2019-02")))
    'Halloween / October half-term window (20 Oct to 5 Nov): 2 incidents, 50% of the 4 in 2018-19 held in the data (Oct 2018 to Feb 2019).'
    """
    sub = incidents[incidents["financial_year"] == financial_year]
    n = int(sub["halloween"].sum())
    window = "20 Oct to 5 Nov"
    if (sub["date_precision"] == "month").any():
        window += "; all of October for police.uk rows, which carry only a month"
    if cov is not None:
        of = share_of(n, len(sub), financial_year=financial_year,
                      covered=cov.covered(financial_year))  # fmt: skip
        return f"Halloween / October half-term window ({window}): {fmt_int(n)} incidents, {of}."
    return (f"Halloween / October half-term window ({window}): {fmt_int(n)} incidents, "
            f"{fmt_pct(share(n, len(sub)))} of {financial_year}.")  # fmt: skip


def year_totals_sentence(incidents: pd.DataFrame, cov: Coverage) -> str:
    """Each financial year's total with the months it covers.

    Examples
    --------
    >>> i = pd.DataFrame({"financial_year": ["2018-19"] * 3})
    >>> year_totals_sentence(i, Coverage("2018-19", None, ("2018-10",)))
    'Incidents: 2018-19 3 (Oct 2018 only, 1 of 12 months).'
    """
    parts = []
    for fy, n in incidents["financial_year"].value_counts().sort_index().items():
        got = cov.covered(fy)
        if len(got) == 12:
            months = "12 months"
        else:
            span = months_span(got)
            months = f"{span} only, {len(got)} of 12 months"
        parts.append(f"{fy} {fmt_int(n)} ({months})")
    return "Incidents: " + "; ".join(parts) + "."


def ward_slide_table(
    incidents: pd.DataFrame, wards: gpd.GeoDataFrame, years: Sequence[str]
) -> pd.DataFrame:
    """The council's ward table (:func:`hotspots.analysis.wards.ward_table`) for the deck's years.

    Examples
    --------
    >>> w = gpd.GeoDataFrame({"ward_name": ["Abbey", "West"]}, geometry=[None, None])
    >>> i = pd.DataFrame({"ward": ["Abbey", "West", "West"],
    ...                   "financial_year": ["2016-17", "2017-18", "2018-19"]})
    >>> ward_slide_table(i, w, ["2017-18", "2018-19"]).values.tolist()[-1]
    ['Grand Total', 1, 1, 0, 0.0]
    """
    from hotspots.analysis.wards import ward_table

    chosen = incidents[incidents["financial_year"].isin(years)]
    table = ward_table(chosen, wards)
    for year in years:
        if year not in table:
            table.insert(list(years).index(year) + 1, year, 0)
    return table


def change_sentence(
    table: pd.DataFrame, years: Sequence[str], *, name: str, what: str, months: str = ""
) -> str:
    """Name the largest rise and the largest fall in a table with ``difference``.

    With one year only, name the largest count and its share instead (of the
    total over ``months``, e.g. "Oct 2018 to Feb 2019", when given).

    Parameters
    ----------
    table : pandas.DataFrame
        Rows of names (column ``name``) and counts, the last row the total.
    years : sequence of str
    name : str
        The column holding the names (``ward``, ``district``).
    what : str
        How to call a row in the sentence ("ward").

    Examples
    --------
    >>> t = pd.DataFrame({"ward": ["A", "B", "Grand Total"], "2017-18": [10, 5, 15],
    ...                   "2018-19": [6, 8, 14], "difference": [-4, 3, -1],
    ...                   "percentage": [-40.0, 60.0, -7.0]})
    >>> change_sentence(t, ["2017-18", "2018-19"], name="ward", what="ward")
    'Total 14 in 2018-19 against 15 in 2017-18 (-1, -7%). Largest fall: A (-4, -40%). Largest rise: B (+3, +60%).'
    """
    body, total = table.iloc[:-1], table.iloc[-1]
    last = years[-1]
    if body.empty:
        return ""
    # The change compares the last two count columns: the years, or the months both hold
    # when the ward table compared like with like ("2017-18 Oct–Feb", "2018-19 Oct–Feb").
    counts = [c for c in table.columns if c not in (name, "difference", "percentage")]
    if "difference" not in table or len(counts) < 2:
        top = body.sort_values(last, ascending=False, kind="stable").iloc[0]
        span = f" ({months})" if months else ""
        return (f"Total {fmt_int(total[last])} in {last}{span}. Most incidents: {top[name]} "
                f"({fmt_int(top[last])}, {fmt_pct(share(top[last], total[last]))}).")  # fmt: skip
    prev, last = counts[-2], counts[-1]
    out = [f"Total {fmt_int(total[last])} in {last} against {fmt_int(total[prev])} in {prev} "
           f"({total['difference']:+,d}{', ' + fmt_pct(total['percentage'], signed=True) if pd.notna(total['percentage']) else ''})."]  # fmt: skip
    ordered = body.sort_values("difference", kind="stable")
    fall, rise = ordered.iloc[0], ordered.iloc[-1]

    def part(row) -> str:
        pct = fmt_pct(row["percentage"], signed=True)
        return f"{row[name]} ({row['difference']:+,d}{', ' + pct if pct else ''})"

    if fall["difference"] < 0:
        out.append(f"Largest fall: {part(fall)}.")
    if rise["difference"] > 0:
        out.append(f"Largest rise: {part(rise)}.")
    if fall["difference"] >= 0 and rise["difference"] <= 0:
        out.append(f"No {what} changed.")
    return " ".join(out)


def district_table(
    incidents: pd.DataFrame, districts: pd.Series, years: Sequence[str]
) -> pd.DataFrame:
    """Incidents per district: year before, year, difference, percentage, partnership total.

    Parameters
    ----------
    incidents : pandas.DataFrame
        With ``ward`` and ``financial_year``.
    districts : pandas.Series
        Ward name -> district name (every ward of the study area).
    years : sequence of str
        Oldest first.

    Returns
    -------
    pandas.DataFrame
        ``district``, one column per year, then with two years ``difference``
        and ``percentage`` (of the year before); the last row is the
        ``Partnership total``, the sum of the districts.

    Examples
    --------
    >>> d = pd.Series({"Abbey": "Redditch", "Alvechurch": "Bromsgrove"})
    >>> i = pd.DataFrame({"ward": ["Abbey", "Abbey", "Alvechurch"],
    ...                   "financial_year": ["2017-18", "2018-19", "2018-19"]})
    >>> district_table(i, d, ["2017-18", "2018-19"]).values.tolist()
    [['Bromsgrove', 0, 1, 1, nan], ['Redditch', 1, 1, 0, 0.0], ['Partnership total', 1, 2, 1, 100.0]]
    """
    chosen = incidents[incidents["financial_year"].isin(years)]
    district = chosen["ward"].map(districts)
    counts = pd.crosstab(district, chosen["financial_year"])
    names = sorted(set(districts))
    table = counts.reindex(index=names, columns=list(years), fill_value=0).astype("int64")
    table.loc[PARTNERSHIP_TOTAL] = table.sum()
    if len(years) >= 2:
        prev, last = table[years[-2]], table[years[-1]]
        table["difference"] = last - prev
        table["percentage"] = (100.0 * (last - prev) / prev.where(prev > 0)).round(0)
    table.columns.name = None
    return table.rename_axis("district").reset_index()


def district_sentence(table: pd.DataFrame, years: Sequence[str], *, months: str = "") -> str:
    """One sentence true to the district table (``months``: what a one-year share covers).

    "All districts recorded a reduction" only when every district fell; "All
    districts recorded a rise" only when every one rose; otherwise the districts
    that fell and those that rose are named with their change.

    Examples
    --------
    >>> t = pd.DataFrame({"district": ["A", "B", "Partnership total"],
    ...                   "2017-18": [10, 5, 15], "2018-19": [6, 8, 14],
    ...                   "difference": [-4, 3, -1], "percentage": [-40.0, 60.0, -7.0]})
    >>> district_sentence(t, ["2017-18", "2018-19"])
    'A (-4, -40%) recorded a reduction; B (+3, +60%) recorded a rise. Partnership total: 14 in 2018-19 against 15 in 2017-18 (-1, -7%).'
    """
    body, total = table.iloc[:-1], table.iloc[-1]
    last = years[-1]
    if len(years) < 2:
        top = body.sort_values(last, ascending=False, kind="stable").iloc[0]
        span = f" ({months})" if months else ""
        return (f"Partnership total {fmt_int(total[last])} in {last}{span}; most in "
                f"{top['district']} "
                f"({fmt_int(top[last])}, {fmt_pct(share(top[last], total[last]))}). "
                "No earlier year in the data to compare with.")  # fmt: skip
    prev = years[-2]

    def change(row) -> str:
        pct = fmt_pct(row["percentage"], signed=True)
        return f"{row['difference']:+,d}{', ' + pct if pct else ''}"

    down, up = body[body["difference"] < 0], body[body["difference"] > 0]
    same = body[body["difference"] == 0]
    if len(down) == len(body):
        head = "All districts recorded a reduction"
    elif len(up) == len(body):
        head = "All districts recorded a rise"
    else:
        groups = []
        for rows, verb in ((down, "recorded a reduction"), (up, "recorded a rise"),
                           (same, "recorded no change")):  # fmt: skip
            if len(rows):
                names = [f"{r['district']} ({change(r)})" if verb != "recorded no change"
                         else r["district"] for _, r in rows.iterrows()]  # fmt: skip
                groups.append(f"{join_words(names)} {verb}")
        head = "; ".join(groups)
    return (f"{head}. Partnership total: {fmt_int(total[last])} in {last} against "
            f"{fmt_int(total[prev])} in {prev} ({change(total)}).")  # fmt: skip


def chance_sentences(sheet: pd.DataFrame) -> list[str]:
    """The hotspots that are not more than chance, by label, as the map marks them (dashed).

    Examples
    --------
    >>> s = pd.DataFrame({"label": ["1 Unicorn Hill", "7 Evesham Road"], "significant": [True, False]})
    >>> chance_sentences(s)
    ['Not more than chance (dashed on the map; check before sending patrols): 7 Evesham Road.']
    >>> chance_sentences(s.assign(significant=True)), chance_sentences(s.drop(columns="significant"))
    ([], [])
    """
    if "significant" not in sheet.columns or sheet.empty:
        return []
    weak = [str(label) for label, sig in zip(sheet["label"], sheet["significant"])
            if carto.chance_word(sig) == carto.CHANCE_WORDS[False]]  # fmt: skip
    if not weak:
        return []
    return [f"{carto.CHANCE_WORDS[False].capitalize()} (dashed on the map; check before sending "
            f"patrols): {', '.join(weak)}."]  # fmt: skip


def hotspot_sentences(
    sheet: pd.DataFrame, selected: int, *, top: int = 3, months: str = ""
) -> list[str]:
    """Where the largest hotspots are: place, ward, focus area, incidents and share.

    Parameters
    ----------
    sheet : pandas.DataFrame
        A tasking sheet (:func:`hotspots.outputs.tasking.tasking`), ranked; numbered
        1, 2, ... in that order (as on the map).
    selected : int
        The incidents of the area shown (the shares' whole).
    top : int, default 3
    months : str, optional
        The months ``selected`` covers ("Oct 2018 to Feb 2019"), named in the first sentence.

    Examples
    --------
    >>> s = pd.DataFrame({"place": ["On or near Unicorn Hill"], "ward": ["Abbey"],
    ...                   "area": ["Town centre"], "incidents": [120]})
    >>> hotspot_sentences(s, 2400)
    ['1 hotspot holds 120 of 2,400 incidents (5%).', '1. On or near Unicorn Hill (Abbey ward, Town centre): 120 incidents, 5%.']
    >>> hotspot_sentences(s.assign(label=["7 Unicorn Hill"], significant=[False]), 2400)[1]
    '7 Unicorn Hill (Abbey ward, Town centre): 120 incidents, 5%; not more than chance.'

    A sheet with ``label`` (:mod:`hotspots.analysis.labels`) names each hotspot
    by it; with ``significant`` the chance test's verdict follows, in the words
    of every output.
    """
    if sheet.empty:
        return [f"No hotspots: none of the {fmt_int(selected)} incidents form a cluster with "
                "these settings."]  # fmt: skip
    held = int(sheet["incidents"].sum())
    n = len(sheet)
    span = f" in {months}" if months else ""
    out = [f"{n} hotspot{'s hold' if n != 1 else ' holds'} {fmt_int(held)} of "
           f"{fmt_int(selected)} incidents{span} ({fmt_pct(share(held, selected))})."]  # fmt: skip
    for i, r in enumerate(sheet.head(top).itertuples(index=False), start=1):
        where = ", ".join(p for p in (f"{r.ward} ward" if r.ward else "", r.area) if p)
        # The hotspot's one label, as on the map and the tasking sheet ("1 Unicorn Hill").
        name = getattr(r, "label", "") or f"{i}. {r.place or 'unnamed place'}"
        chance = carto.chance_word(getattr(r, "significant", None))
        out.append(f"{name}{f' ({where})' if where else ''}: "
                   f"{fmt_int(r.incidents)} incidents, {fmt_pct(share(r.incidents, selected))}"
                   f"{'; ' + chance if chance else ''}.")  # fmt: skip
    return out


# --------------------------------------------------------------------------- words that depend on the data
