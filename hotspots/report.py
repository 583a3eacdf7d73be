"""The panel deck: the committee's ASB slides as PowerPoint (editable) and PDF.

A scrutiny panel's ASB pack has these slides, in this order (the Redditch Crime
and Disorder Scrutiny Panel's, September 2019): a title slide; **Incident
types**; **Seasonal patterns**; **Ward patterns**; **Where?** (hotspot maps);
**District data** (when the wards belong to several districts); and a closing
slide on the data's licence and limits.

The module has three layers:

* pure functions that build each slide's table and sentences from the prepared
  incidents (:func:`incident_type_table`, :func:`qualifier_table`,
  :func:`seasonal_profile`, :func:`peak_sentence`, :func:`ward_slide_table`,
  :func:`district_table`, :func:`district_sentence`, ...). Every sentence states
  counts, shares, rises and falls, peak months and places taken from the tables
  beside it, nothing else;
* :func:`build_deck`: one slide model (:class:`Deck` of :class:`Slide`), with
  charts and maps already drawn as print-resolution PNGs;
* writers: :func:`write_pptx` (python-pptx; tables are real PowerPoint tables an
  officer can edit), :func:`write_pdf` (the same slides, same layout, drawn with
  matplotlib, so no office suite is needed) and :func:`write_deck` (by suffix).

Files are read only at the edges (:func:`read_qualifiers`,
:func:`read_district_wards`, the writers).
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from hotspots import __version__
from hotspots._errors import HotspotsError
from hotspots.seasons import financial_year_of, monthly_profile, parse_financial_year

log = logging.getLogger(__name__)

#: Slide titles, in the deck's order (the district slide only with several districts).
TITLES = {
    "types": "Incident types",
    "seasonal": "Seasonal patterns",
    "wards": "Ward patterns",
    "where": "Where?",
    "patterns": "How places changed",
    "districts": "District data",
    "limits": "About the data: licence and limits",
}
QUALIFIERS = ("youth", "drugs", "alcohol")
#: ``--column`` roles for qualifiers: a flag column each, or one column listing them as words.
QUALIFIER_ROLES = (*QUALIFIERS, "qualifiers")
TOTAL = "Total"
PARTNERSHIP_TOTAL = "Partnership total"
DECK_FORMATS = (".pptx", ".pdf")
FY_MONTHS = (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)
MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MONTH_NAME = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")  # fmt: skip
POLICE_NO_CATEGORY = (
    "police.uk records ASB without a category: every police.uk ASB incident is "
    "'Anti-social behaviour', so these data cannot be split into incident types."
)


# --------------------------------------------------------------------------- small helpers


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


def _short_month(month: str) -> str:
    year, mon = month.split("-")
    return f"{MONTH_ABBR[int(mon) - 1]} {year}"


def fy_months(financial_year: str) -> list[str]:
    """The twelve ``YYYY-MM`` months of a financial year, April to March.

    Examples
    --------
    >>> fy_months("2018-19")[0], fy_months("2018-19")[-1]
    ('2018-04', '2019-03')
    """
    start = parse_financial_year(financial_year)
    return [f"{start if m >= 4 else start + 1}-{m:02d}" for m in FY_MONTHS]


def previous_year(financial_year: str) -> str:
    """The financial year before.

    Examples
    --------
    >>> previous_year("2018-19")
    '2017-18'
    """
    start = parse_financial_year(financial_year) - 1
    return f"{start}-{(start + 1) % 100:02d}"


# --------------------------------------------------------------------------- the period covered


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
        span = _short_month(got[0]) if len(got) == 1 else (
            f"{_short_month(got[0])} to {_short_month(got[-1])}")  # fmt: skip
        return f"{financial_year}: {span} only ({len(got)} of 12 months)"

    @property
    def years(self) -> list[str]:
        """The years the tables show: ``[compare, financial_year]`` or ``[financial_year]``."""
        return [self.compare, self.financial_year] if self.compare else [self.financial_year]


def coverage(
    months: Iterable[str], *, financial_year: str, compare: str | None = None
) -> Coverage:
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


# --------------------------------------------------------------------------- incident types


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


_QUALIFIER_COLUMNS = {
    "youth": ("youth", "youths", "youthrelated", "youthflag", "youthinvolved", "youngpeople"),
    "drugs": ("drugs", "drug", "drugrelated", "drugsrelated", "drugflag", "drugsflag"),
    "alcohol": ("alcohol", "alcoholrelated", "alcoholflag", "drink", "drinkrelated"),
}
_LIST_COLUMNS = ("qualifiers", "qualifier", "flags", "flag", "tags", "markers")
_TRUE = {"y", "yes", "true", "t", "1", "x"}


def _key(name: str) -> str:
    return re.sub(r"[\s._\-/]+", "", str(name).strip().lower())


def detect_qualifier_columns(
    header: Sequence[str], given: dict[str, str] | None = None
) -> dict[str, str]:
    """Find qualifier columns in a council export's header.

    Returns a dict from role (``youth``, ``drugs``, ``alcohol``, or ``list``
    for one column listing qualifiers as words, e.g. "Youth; Alcohol") to the
    column name. Roles named in ``given`` (``--column youth=YP_FLAG``) win.

    Examples
    --------
    >>> detect_qualifier_columns(["Ref", "Youth Related", "Alcohol", "Flags"])
    {'youth': 'Youth Related', 'alcohol': 'Alcohol', 'qualifiers': 'Flags'}
    """
    by_key = {_key(c): c for c in header}
    found: dict[str, str] = {}
    for role, names in _QUALIFIER_COLUMNS.items():
        hit = next((by_key[n] for n in names if n in by_key), None)
        if hit:
            found[role] = hit
    hit = next((by_key[n] for n in _LIST_COLUMNS if n in by_key), None)
    if hit:
        found["qualifiers"] = hit
    for role, name in (given or {}).items():
        if role not in QUALIFIER_ROLES:
            raise HotspotsError(
                f"--column {role}=...: qualifier roles are {list(QUALIFIER_ROLES)!r}"
            )
        found[role] = name
    return found


def qualifiers_of_rows(rows: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """Turn qualifier columns (flags, or a list of words) into one boolean column per qualifier.

    Examples
    --------
    >>> t = pd.DataFrame({"Youth": ["Y", "", "no"], "Flags": ["", "Drugs; alcohol", "youth"]})
    >>> qualifiers_of_rows(t, {"youth": "Youth", "qualifiers": "Flags"}).values.tolist()
    [[True, False, False], [False, True, True], [True, False, False]]
    """
    out = pd.DataFrame(False, index=rows.index, columns=list(QUALIFIERS))
    for role in QUALIFIERS:
        if role in columns:
            out[role] |= rows[columns[role]].astype(str).str.strip().str.lower().isin(_TRUE)
    if "qualifiers" in columns:
        words = rows[columns["qualifiers"]].astype(str).str.lower()
        for role, names in _QUALIFIER_COLUMNS.items():
            stem = names[0].rstrip("s")  # youth, drug, alcohol
            out[role] |= words.str.contains(rf"\b{stem}", regex=True)
    return out


def read_qualifiers(
    paths: Iterable[str | Path], *, columns: dict[str, str] | None = None
) -> pd.DataFrame:
    """Read the qualifier columns of council exports, keyed by file and line.

    police.uk files are skipped (they have no qualifiers). The keys match the
    incidents' ``source`` and ``line`` (see :mod:`hotspots.incidents`).

    Parameters
    ----------
    paths : iterable of str or Path
        The same inputs as given to :func:`hotspots.incidents.read_incidents`.
    columns : dict, optional
        Qualifier columns named by the user (``{"youth": "YP_FLAG"}``).

    Returns
    -------
    pandas.DataFrame
        ``source``, ``line`` and one boolean column per qualifier; no rows when
        no export has qualifier columns.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "council.csv")
    >>> _ = Path(p).write_text("Ref,Date,Youth,Drugs\\nA1,1/10/2018,Y,\\nA2,2/10/2018,,Yes\\n")
    >>> read_qualifiers([p])[["line", "youth", "drugs"]].values.tolist()
    [[2, True, False], [3, False, True]]
    """
    from hotspots.incidents import expand_sources, is_police_table

    parts = []
    # Files only: a police.uk zip's members ("archive.zip:member") hold no qualifiers.
    for src in expand_sources([p for p in paths if Path(p).exists()]):
        data = src.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
        reader = csv.reader(io.StringIO(text))
        header = [c.strip() for c in next(reader, [])]
        if not header or is_police_table(header):
            continue
        found = detect_qualifier_columns(header, columns)
        missing = [n for n in found.values() if n not in header]
        if missing:
            raise HotspotsError(
                f"{src.name}: qualifier column(s) {missing!r} not in the file; it has {header!r}"
            )
        if not found:
            continue
        keep = [header.index(n) for n in found.values()]
        lines, values = [], []
        start = reader.line_num + 1
        for row in reader:
            if any(cell.strip() for cell in row):
                lines.append(start)
                values.append([row[i] if i < len(row) else "" for i in keep])
            start = reader.line_num + 1
        table = pd.DataFrame(values, columns=list(found.values()), dtype=str)
        flags = qualifiers_of_rows(table, found)
        flags.insert(0, "line", np.asarray(lines, dtype=np.int64))
        flags.insert(0, "source", src.name)
        parts.append(flags)
    if not parts:
        return pd.DataFrame(columns=["source", "line", *QUALIFIERS])
    return pd.concat(parts, ignore_index=True)


def qualifier_flags(incidents: pd.DataFrame, qualifiers: pd.DataFrame) -> pd.DataFrame:
    """Align qualifiers read by :func:`read_qualifiers` with incidents (by source and line).

    Returns a boolean frame on the incidents' index (False where none recorded).

    Examples
    --------
    >>> i = pd.DataFrame({"source": ["a.csv", "a.csv"], "line": [2, 3]}, index=[10, 11])
    >>> q = pd.DataFrame({"source": ["a.csv"], "line": [3], "youth": [True],
    ...                   "drugs": [False], "alcohol": [True]})
    >>> qualifier_flags(i, q).values.tolist()
    [[False, False, False], [True, False, True]]
    """
    keys = pd.MultiIndex.from_frame(incidents[["source", "line"]].astype({"line": "int64"}))
    q = qualifiers.astype({"line": "int64"}).set_index(["source", "line"])
    q = q[~q.index.duplicated()]
    out = q.reindex(keys)[list(QUALIFIERS)].fillna(False).astype(bool)
    out.index = incidents.index
    return out


# --------------------------------------------------------------------------- seasonal patterns


def seasonal_profile(incidents: pd.DataFrame, months_covered: Iterable[str]) -> pd.DataFrame:
    """Monthly incidents April to March, one column per financial year; NaN where not covered.

    A month the data does not reach (no incident at all in it, anywhere) is
    missing rather than 0, so a part year is not drawn as a fall to zero.

    Examples
    --------
    >>> i = pd.DataFrame({"month_num": [10, 10, 11], "financial_year": ["2018-19"] * 3})
    >>> p = seasonal_profile(i, ["2018-10", "2018-11", "2018-12"])
    >>> p.loc[["Sep", "Oct", "Nov", "Dec"], "2018-19"].tolist()
    [nan, 2.0, 1.0, 0.0]
    """
    profile = monthly_profile(incidents).astype(float)
    have = set(months_covered)
    for fy in profile.columns:
        start = parse_financial_year(fy)
        for label, m in zip(profile.index, FY_MONTHS):
            if f"{start if m >= 4 else start + 1}-{m:02d}" not in have:
                profile.loc[label, fy] = np.nan
    return profile


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
    m = FY_MONTHS[list(profile.index).index(label)]
    start = parse_financial_year(financial_year)
    month = f"{start if m >= 4 else start + 1}-{m:02d}"
    total = col.sum()
    got = cov.covered(financial_year)
    if len(got) == 12:
        of = f"of {financial_year}'s {fmt_int(total)}"
    else:
        of = (f"of the {fmt_int(total)} in the {len(got)} months covered "
              f"({_short_month(got[0])} to {_short_month(got[-1])})")  # fmt: skip
    ties = col[col == col.max()]
    tie = f" (tied with {len(ties) - 1} other month(s))" if len(ties) > 1 else ""
    return (f"Highest in {month_label(month)}{tie}: {fmt_int(col.max())} incidents, "
            f"{fmt_pct(share(col.max(), total))} {of}.")  # fmt: skip


def halloween_sentence(incidents: pd.DataFrame, financial_year: str) -> str:
    """Incidents in the Halloween / October half-term window of a year, and their share.

    Examples
    --------
    >>> i = pd.DataFrame({"financial_year": ["2018-19"] * 4, "halloween": [True, False] * 2,
    ...                   "date_precision": "day"})
    >>> halloween_sentence(i, "2018-19")
    'Halloween / October half-term window (20 Oct to 5 Nov): 2 incidents, 50% of 2018-19.'
    """
    sub = incidents[incidents["financial_year"] == financial_year]
    n = int(sub["halloween"].sum())
    window = "20 Oct to 5 Nov"
    if (sub["date_precision"] == "month").any():
        window += "; all of October for police.uk rows, which carry only a month"
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
            span = _short_month(got[0]) if len(got) == 1 else (
                f"{_short_month(got[0])} to {_short_month(got[-1])}")  # fmt: skip
            months = f"{span} only, {len(got)} of 12 months"
        parts.append(f"{fy} {fmt_int(n)} ({months})")
    return "Incidents: " + "; ".join(parts) + "."


# --------------------------------------------------------------------------- wards and districts


def ward_slide_table(
    incidents: pd.DataFrame, wards: gpd.GeoDataFrame, years: Sequence[str]
) -> pd.DataFrame:
    """The council's ward table (:func:`hotspots.wards.ward_table`) for the deck's years.

    Examples
    --------
    >>> w = gpd.GeoDataFrame({"ward_name": ["Abbey", "West"]}, geometry=[None, None])
    >>> i = pd.DataFrame({"ward": ["Abbey", "West", "West"],
    ...                   "financial_year": ["2016-17", "2017-18", "2018-19"]})
    >>> ward_slide_table(i, w, ["2017-18", "2018-19"]).values.tolist()[-1]
    ['Grand Total', 1, 1, 0, 0.0]
    """
    from hotspots.wards import ward_table

    chosen = incidents[incidents["financial_year"].isin(years)]
    table = ward_table(chosen, wards)
    for year in years:
        if year not in table:
            table.insert(list(years).index(year) + 1, year, 0)
    return table


def change_sentence(table: pd.DataFrame, years: Sequence[str], *, name: str, what: str) -> str:
    """Name the largest rise and the largest fall in a table with ``difference``.

    With one year only, name the largest count and its share instead.

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
        return (f"Total {fmt_int(total[last])} in {last}. Most incidents: {top[name]} "
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


def district_sentence(table: pd.DataFrame, years: Sequence[str]) -> str:
    """One sentence true to the district table.

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
        return (f"Partnership total {fmt_int(total[last])} in {last}; most in {top['district']} "
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


def district_from_path(path: str | Path) -> str:
    """A district name from a ward file's name: ``wyre-forest.geojson`` -> ``Wyre Forest``.

    Examples
    --------
    >>> district_from_path("../shared/data/wards/wyre-forest.geojson")
    'Wyre Forest'
    >>> district_from_path("councils/redditch/wards.geojson")
    'Redditch'
    """
    path = Path(path)
    for name in (path.stem, path.parent.name):  # "wards.geojson": the folder's name
        words = re.sub(r"[_\-]+", " ", name)
        words = re.sub(r"\bwards?\b", "", words, flags=re.IGNORECASE).strip()
        if words:
            return " ".join(w if w.isupper() else w.capitalize() for w in words.split())
    return path.stem


_DISTRICT_RE = re.compile(r"^(LAD\d{0,2}NM|district|district_name|lad_name|borough)$", re.I)


def district_column(columns: Sequence[str]) -> str | None:
    """The column of a ward file naming each ward's district, if any.

    Examples
    --------
    >>> district_column(["WD13CD", "WD13NM", "LAD13NM"]), district_column(["WD13NM"])
    ('LAD13NM', None)
    """
    return next((c for c in columns if _DISTRICT_RE.match(str(c))), None)


def read_district_wards(paths: Sequence[str | Path]) -> gpd.GeoDataFrame:
    """Read one or more ward files into one table with each ward's district.

    The district is taken from a district column (``LADyyNM``, ``district``)
    when a file has one, else from the file's name (``wyre-forest.geojson`` ->
    ``Wyre Forest``). A ward name found in two districts is suffixed with its
    district, so every ward keeps its own row.

    Returns
    -------
    geopandas.GeoDataFrame
        ``ward_code``, ``ward_name``, ``district``, geometry (EPSG:27700), as
        :func:`boundaries.load_wards` gives them.
    """
    from boundaries import load_wards

    parts = []
    for path in paths:
        wards = load_wards(path)
        attrs = gpd.read_file(path, ignore_geometry=True) if Path(path).exists() else None
        col = district_column(list(attrs.columns)) if attrs is not None else None
        if col is not None:
            lookup = dict(zip(attrs[_name_column(attrs)].astype(str).str.strip(), attrs[col]))
            wards["district"] = wards["ward_name"].map(lookup).fillna(district_from_path(path))
        else:
            wards["district"] = district_from_path(path)
        parts.append(wards)
    out = pd.concat(parts, ignore_index=True)
    dup = out["ward_name"].duplicated(keep=False)
    out.loc[dup, "ward_name"] = out.loc[dup, "ward_name"] + " (" + out.loc[dup, "district"] + ")"
    out = gpd.GeoDataFrame(out, geometry="geometry", crs=parts[0].crs)
    return out[["ward_code", "ward_name", "district", "geometry"]]


def _name_column(frame: pd.DataFrame) -> str:
    names = sorted(c for c in frame.columns if re.match(r"^(WD|WARD)\d{0,2}NM$", str(c), re.I))
    if names:
        return names[-1]
    lower = {str(c).lower(): c for c in frame.columns}
    return next(lower[k] for k in ("ward_name", "name", "wardname", "ward") if k in lower)


# --------------------------------------------------------------------------- hotspots


def hotspot_sentences(sheet: pd.DataFrame, selected: int, *, top: int = 3) -> list[str]:
    """Where the largest hotspots are: place, ward, focus area, incidents and share.

    Parameters
    ----------
    sheet : pandas.DataFrame
        A tasking sheet (:func:`hotspots.tasking.tasking`), ranked; numbered
        1, 2, ... in that order (as on the map).
    selected : int
        The incidents of the area shown (the shares' whole).
    top : int, default 3

    Examples
    --------
    >>> s = pd.DataFrame({"place": ["On or near Unicorn Hill"], "ward": ["Abbey"],
    ...                   "area": ["Town centre"], "incidents": [120]})
    >>> hotspot_sentences(s, 2400)
    ['1 hotspot holds 120 of 2,400 incidents (5%).', '1. On or near Unicorn Hill (Abbey ward, Town centre): 120 incidents, 5%.']
    """
    if sheet.empty:
        return [f"No hotspots: none of the {fmt_int(selected)} incidents form a cluster with "
                "these settings."]  # fmt: skip
    held = int(sheet["incidents"].sum())
    n = len(sheet)
    out = [f"{n} hotspot{'s hold' if n != 1 else ' holds'} {fmt_int(held)} of "
           f"{fmt_int(selected)} incidents ({fmt_pct(share(held, selected))})."]  # fmt: skip
    for i, r in enumerate(sheet.head(top).itertuples(index=False), start=1):
        where = ", ".join(p for p in (f"{r.ward} ward" if r.ward else "", r.area) if p)
        out.append(f"{i}. {r.place or 'unnamed place'}{f' ({where})' if where else ''}: "
                   f"{fmt_int(r.incidents)} incidents, {fmt_pct(share(r.incidents, selected))}.")  # fmt: skip
    return out


# --------------------------------------------------------------------------- the slide model


@dataclass(frozen=True)
class Table:
    """A table on a slide: header and text cells (numbers already formatted).

    ``numeric`` marks the right-aligned columns; the last row is bold when
    ``total_row``.
    """

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...]
    total_row: bool = True
    first_width_in: float = 3.0
    width_in: float = 1.25
    column_widths_in: tuple[float, ...] = ()

    @property
    def widths(self) -> list[float]:
        """Column widths in inches (``column_widths_in`` when given)."""
        if self.column_widths_in:
            return list(self.column_widths_in)
        return [self.first_width_in] + [self.width_in] * (len(self.header) - 1)


@dataclass(frozen=True)
class Slide:
    """One slide: a title, fact lines, up to two tables side by side, or one image.

    ``key`` names the slide kind (:data:`TITLES` keys, ``"title"``).
    """

    key: str
    title: str
    lines: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()
    image: bytes | None = None
    image_alt: str = ""
    subtitle: str = ""
    footer: str = ""


@dataclass(frozen=True)
class Deck:
    """The slides, in order, and the facts they were built from (for checks and the CLI)."""

    slides: tuple[Slide, ...]
    facts: dict = field(default_factory=dict)

    @property
    def titles(self) -> list[str]:
        """The slide titles in order."""
        return [s.title for s in self.slides]


def frame_table(
    frame: pd.DataFrame,
    header: Sequence[str],
    *,
    ints: Sequence[str] = (),
    pcts: Sequence[str] = (),
    signed: Sequence[str] = (),
    floats: Sequence[str] = (),
    total_row: bool = True,
    first_width_in: float = 3.0,
    width_in: float = 1.25,
) -> Table:
    """Format a DataFrame's cells for a slide.

    Examples
    --------
    >>> t = frame_table(pd.DataFrame({"w": ["A"], "n": [1070], "p": [-7.0]}), ["Ward", "N", "%"],
    ...                 ints=["n"], pcts=["p"], signed=["p"])
    >>> t.rows
    (('A', '1,070', '-7%'),)
    """
    cols = list(frame.columns)
    rows = []
    for rec in frame.itertuples(index=False):
        cells = []
        for col, value in zip(cols, rec):
            if col in ints:
                cells.append(fmt_int(value) if col not in signed or pd.isna(value)
                             else f"{int(value):+,d}")  # fmt: skip
            elif col in pcts:
                cells.append(fmt_pct(value, signed=col in signed))
            elif col in floats:
                cells.append("" if pd.isna(value) else f"{float(value):,.1f}")
            else:
                cells.append(str(value))
        rows.append(tuple(cells))
    numeric = tuple(c in (*ints, *pcts, *floats) for c in cols)
    return Table(tuple(header), tuple(rows), numeric, total_row, first_width_in, width_in)


def split_table(table: Table, max_rows: int) -> list[Table]:
    """Split a long table into pieces of at most ``max_rows`` body rows (the total stays last).

    Examples
    --------
    >>> t = Table(("a",), tuple((str(i),) for i in range(5)), (False,))
    >>> [len(p.rows) for p in split_table(t, 2)], [p.total_row for p in split_table(t, 2)]
    ([2, 2, 1], [False, False, True])
    """
    if len(table.rows) <= max_rows:
        return [table]
    pieces = []
    for start in range(0, len(table.rows), max_rows):
        chunk = table.rows[start : start + max_rows]
        last = start + max_rows >= len(table.rows)
        pieces.append(Table(table.header, chunk, table.numeric, table.total_row and last,
                            table.first_width_in, table.width_in))  # fmt: skip
    return pieces


# --------------------------------------------------------------------------- charts and maps


def deck_colours() -> dict:
    """The deck's colours, from the project's one style (:mod:`hotspots.cartography`).

    ``header``: table header fill (white text on it); ``years``: a function
    ``(i, n) -> colour`` for the i-th of n financial-year lines, older lighter,
    the latest darkest; ``window``: the Halloween / half-term band. Until the
    cartography module is present, the static maps' viridis scale
    (:class:`hotspots.export.MapStyle`) stands in.
    """
    try:
        from hotspots import cartography
    except ImportError:
        from matplotlib import colormaps

        cmap = colormaps["viridis"]
        return {"header": cmap(0.05), "window": cmap(0.75),
                "years": lambda i, n: cmap(0.3) if n < 2 else cmap(0.85 - 0.85 * i / (n - 1))}  # fmt: skip
    def years(i: int, n: int):
        # The palest blues are for "few" on maps: too light for a line unless many years need them.
        blues = cartography.WARD_COLOURS[1:] if n > 3 else cartography.WARD_COLOURS[2:]
        return blues[-1] if n < 2 else blues[round((len(blues) - 1) * i / (n - 1))]

    return {"header": cartography.WARD_COLOURS[-1], "window": cartography.HOTSPOT_COLOURS[0],
            "years": years}  # fmt: skip


def _png(fig, dpi: int) -> bytes:
    from matplotlib import rc_context

    buf = io.BytesIO()
    with rc_context({"font.size": 10}):
        fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


def seasonal_chart(profile: pd.DataFrame, *, financial_year: str, dpi: int = 300) -> bytes:
    """The seasonal chart: one line per financial year, April to March, Halloween window shaded.

    Colours: the project's colour-blind-safe scale (see :mod:`hotspots.export`);
    the panel's year is drawn thickest. Months the data does not cover are gaps.

    Returns
    -------
    bytes
        A PNG at ``dpi``.
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11.0, 4.6))
    ax = fig.add_axes((0.07, 0.13, 0.7, 0.8))
    x = np.arange(12)
    style = deck_colours()
    years = list(profile.columns)
    n = max(len(years), 1)
    ymax = float(np.nanmax(profile.to_numpy())) if profile.notna().any().any() else 1.0
    # 20 Oct to 5 Nov between the October (6) and November (7) points.
    x0, x1 = 6 - 0.5 + 19 / 31, 7 - 0.5 + 5 / 30
    ax.axvspan(x0, x1, color=style["window"], alpha=0.3, lw=0, zorder=0,
               label="Halloween / October\nhalf-term (20 Oct-5 Nov)")  # fmt: skip
    for i, fy in enumerate(years):
        colour = style["years"](i, n)
        ax.plot(x, profile[fy].to_numpy(), marker="o", ms=4 if fy != financial_year else 6,
                lw=3.0 if fy == financial_year else 1.6, color=colour,
                label=f"{fy}" + (" (this report)" if fy == financial_year else ""),
                zorder=3 if fy == financial_year else 2)  # fmt: skip
    ax.set_xticks(x, list(profile.index))
    ax.set_xlim(-0.5, 11.5)
    ax.set_ylim(0, ymax * 1.12 if ymax > 0 else 1)
    ax.set_ylabel("ASB incidents per month")
    ax.grid(axis="y", alpha=0.3)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=9,
              title="Financial year", title_fontsize=9)  # fmt: skip
    return _png(fig, dpi)


def hotspot_map(
    clusters: gpd.GeoDataFrame,
    wards: gpd.GeoDataFrame,
    *,
    title: str,
    note: str,
    areas: gpd.GeoDataFrame | None = None,
    demo: bool = False,
    dpi: int = 300,
) -> bytes:
    """A hotspot map of some wards as a PNG, drawn by the project's static-map style.

    The map fits the hotspots (at least 3 km across, so streets and wards
    around them show), within the given wards' extent; with no hotspot it
    shows the wards whole.
    """
    from hotspots.export import MapStyle, map_figure

    x0, y0, x1, y1 = (float(v) for v in wards.total_bounds)
    if len(clusters):
        h0, k0, h1, k1 = (float(v) for v in clusters.to_crs(wards.crs).total_bounds)
        cx, cy = (h0 + h1) / 2, (k0 + k1) / 2
        half = max(h1 - h0, k1 - k0, 3000.0) * 0.65
        x0, y0 = max(x0, cx - half), max(y0, cy - half)
        x1, y1 = min(x1, cx + half), min(y1, cy + half)
    pad = 0.04 * max(x1 - x0, y1 - y0, 800.0)
    extent = (x0 - pad, y0 - pad, x1 + pad, y1 + pad)
    fig = map_figure(clusters, wards, title=title, note=note, extent=extent, areas=areas,
                     style=MapStyle(dpi=dpi, size_in=(9.0, 6.2)), demo=demo)  # fmt: skip
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


# --------------------------------------------------------------------------- building the deck


MAX_ROWS = 18


def _boundary_note(note: str) -> bool:
    return note.startswith(("Ward boundaries", "warning"))


def build_deck(
    prepared,
    *,
    financial_year: str,
    compare: str | None = None,
    districts: pd.Series | None = None,
    qualifiers: pd.DataFrame | None = None,
    title: str | None = None,
    params=None,
    demo: bool = False,
    dpi: int = 300,
) -> Deck:
    """Build the panel deck from prepared incidents.

    Parameters
    ----------
    prepared : hotspots.pipeline.Prepared
        The incidents (study area), wards and focus areas.
    financial_year : str
        The panel's year, e.g. ``"2018-19"``.
    compare : str, optional
        The year compared with (default the year before, when the data has it).
    districts : pandas.Series, optional
        Ward name -> district; with two or more districts the deck gets the
        district slide, and ward tables and maps per district.
    qualifiers : pandas.DataFrame, optional
        From :func:`read_qualifiers`: youth / drugs / alcohol flags of council rows.
    title : str, optional
        The area's name on the title slide (default: the districts, or "the borough").
    params : hotspots.cluster.ClusterParams, optional
        DBSCAN settings for the "Where?" slides.
    demo : bool
        The embedded demo borough (said on every slide).
    dpi : int, default 300
        Resolution of charts and maps.

    Returns
    -------
    Deck

    Examples
    --------
    >>> from boundaries import get_path, load_wards
    >>> from hotspots.incidents import read_incidents
    >>> from hotspots.pipeline import prepare
    >>> p = prepare(read_incidents([get_path("demo-incidents")]), load_wards(get_path("demo-wards")))
    >>> deck = build_deck(p, financial_year="2018-19", demo=True, dpi=40)
    >>> deck.titles[:5]
    ['Anti-social behaviour: the borough', 'Incident types', 'Seasonal patterns', 'Ward patterns', 'Where?']
    """
    from hotspots.export import DEMO_NOTE, data_note
    from hotspots.io import ATTRIBUTION
    from hotspots.tasking import patterns_for, tasking

    inc = prepared.incidents
    cov = coverage(prepared.load.incidents["month"], financial_year=financial_year,
                   compare=compare)  # fmt: skip
    years = cov.years
    fy = financial_year
    whole = inc  # every month: the seasonal chart
    inc, like_note = like_for_like(inc, cov)
    in_years = inc[inc["financial_year"].isin(years)]
    source_note = data_note(in_years, demo=demo)
    footer = " ".join(p for p in (source_note, DEMO_NOTE if demo else "", ATTRIBUTION) if p)
    district_names = sorted(set(districts)) if districts is not None else []
    many = len(district_names) >= 2
    area_name = title or (join_words(district_names) if district_names else "the borough")
    compare_text = (f"compared with {cov.compare}" if cov.compare else
                    "no earlier year in the data to compare with")  # fmt: skip
    part = [cov.describe(y) for y in years if cov.is_part_year(y)]
    if like_note:
        part.append(like_note)
    facts: dict = {"years": years, "coverage": [cov.describe(y) for y in years]}
    slides: list[Slide] = []

    # Title
    sub = [f"Financial year {fy} (April to March), {compare_text}."]
    if part:
        sub.append("Part year: " + "; ".join(part) + ".")
    sub.append(source_note)
    if many:
        sub.append(f"Districts: {join_words(district_names)}.")
    slides.append(Slide("title", f"Anti-social behaviour: {area_name}", subtitle="\n".join(sub),
                        footer=footer))  # fmt: skip

    # Incident types
    types = incident_type_table(inc, years)
    facts["types"] = types
    n_police = int((~council_rows(in_years)).sum())
    lines: list[str] = []
    tables: list[Table] = []
    if types.empty:
        lines += [POLICE_NO_CATEGORY,
                  f"{fmt_int(len(in_years))} police.uk ASB incidents in {join_words(years)}; "
                  "a council export with a category column gives this table."]  # fmt: skip
    else:
        total = types.iloc[-1]
        lines.append(f"Council records by category: {fmt_int(total[fy])} in {fy}"
                     + (f", {fmt_int(total[cov.compare])} in {cov.compare}." if cov.compare
                        else ".") + " Mean of the years shown and its share.")  # fmt: skip
        top = types.iloc[0]
        lines.append(f"Largest type: {top['type']} ({fmt_pct(top['mean %'])} of the mean).")
        if n_police:
            lines.append(f"Not in the table: {fmt_int(n_police)} police.uk incidents. "
                         + POLICE_NO_CATEGORY)  # fmt: skip
        tables.append(frame_table(types, ["Type", *years, "Mean", "Mean %"], ints=years,
                                  floats=["mean"], pcts=["mean %"], first_width_in=3.2,
                                  width_in=1.05))  # fmt: skip
    if qualifiers is not None and len(qualifiers):
        flags = qualifier_flags(inc, qualifiers)
        council = council_rows(inc) & inc["financial_year"].isin(years)
        qt = qualifier_table(flags[council], inc["financial_year"], years)
        facts["qualifiers"] = qt
        q = qt.set_index("qualifier")
        named = ", ".join(f"{k} {fmt_int(q.at[k, fy])}" for k in q.index[:-2])
        lines.append(f"Qualifiers in {fy}: {named} of {fmt_int(q.at['Any qualifier', fy])} "
                     f"incidents with a qualifier; {fmt_pct(q.at['None recorded', fy + ' %'])} "
                     "had none.")  # fmt: skip
        cols = [c for y in years for c in (y, f"{y} %")]
        tables.append(frame_table(qt[["qualifier", *cols]],
                                  ["Qualifier", *[c if c in years else "%" for c in cols]],
                                  ints=years, pcts=[f"{y} %" for y in years], total_row=False,
                                  first_width_in=1.8, width_in=0.85))  # fmt: skip
    if like_note and not types.empty:
        lines.append(like_note)
    slides.append(Slide("types", TITLES["types"], tuple(lines), tuple(tables), footer=footer))

    # Seasonal patterns
    profile = seasonal_profile(whole, cov.months)
    facts["profile"] = profile
    s_lines = [peak_sentence(profile, fy, cov), halloween_sentence(whole, fy),
               year_totals_sentence(whole, cov)]  # fmt: skip
    if len(profile.columns) == 1:
        s_lines.append(f"The data holds one financial year ({profile.columns[0]}): "
                       "no earlier year to draw.")  # fmt: skip
    slides.append(Slide("seasonal", TITLES["seasonal"], tuple(s_lines),
                        image=seasonal_chart(profile, financial_year=fy, dpi=dpi),
                        image_alt="Monthly ASB incidents, one line per financial year",
                        footer=footer))  # fmt: skip

    # Ward patterns (a table per district when there are several)
    groups = [(d, prepared.wards[prepared.wards["ward_name"].map(districts) == d])
              for d in district_names] if many else [(None, prepared.wards)]  # fmt: skip
    facts["ward_tables"] = {}
    boundary_notes: dict[str, None] = {}
    for name, wards in groups:
        table = ward_slide_table(inc[inc["ward"].isin(wards["ward_name"])], wards, years)
        facts["ward_tables"][name] = table
        # The years, then (a part year) the months both hold, then the change, as the
        # ward table gives them.
        counts = [c for c in table.columns if c not in ("ward", "difference", "percentage")]
        change = [c for c in ("difference", "percentage") if c in table]
        header = ["Ward", *counts, *(c.capitalize() for c in change)]
        t = frame_table(table[["ward", *counts, *change]], header,
                        ints=[*counts, "difference"], pcts=["percentage"],
                        signed=["difference", "percentage"], first_width_in=3.4,
                        width_in=1.35 if len(counts) <= 2 else 1.2)  # fmt: skip
        sentence = change_sentence(table, years, name="ward", what="ward")
        # The ward table's notes: part-year ones here, the boundaries' vintage on the last slide.
        notes = [n for n in table.attrs.get("notes", []) if n and not _boundary_note(n)]
        boundary_notes.update({n: None for n in table.attrs.get("notes", [])
                               if _boundary_note(n) and "unknown date" not in n})  # fmt: skip
        pieces = split_table(t, MAX_ROWS)
        if len(pieces) == 2 and 2 * sum(t.widths) + 0.5 <= SLIDE_W - 2 * _MARGIN:
            # Two halves side by side on one slide.
            half = -(-len(t.rows) // 2)
            pieces = [tuple(split_table(t, half))]
        else:
            pieces = [(p,) for p in pieces]
        for i, piece in enumerate(pieces):
            title_ = TITLES["wards"] + (f": {name}" if name else "")
            if len(pieces) > 1:
                title_ += f" ({i + 1} of {len(pieces)})"
            slides.append(Slide("wards", title_,
                                (sentence, *([like_note] if like_note else []), *notes),
                                piece, footer=footer))  # fmt: skip

    # Where?  (the place patterns once: the tasking sheet's column and the next slide)
    cells = patterns_for(prepared, season=None, financial_year=fy, params=params)
    sheet, clusters = tasking(prepared, season=None, financial_year=fy, params=params,
                              patterns=cells if cells is not None else False)  # fmt: skip
    selected = int(sheet.attrs.get("selected", len(inc[inc["financial_year"] == fy])))
    facts["hotspots"] = sheet
    eps = clusters.attrs.get("eps_m", params.eps_m if params else 100.0)
    settings = (f"DBSCAN on {fy}'s incidents: a hotspot grows from places with "
                f"{clusters.attrs.get('min_samples')} or more incidents within {eps:g} m.")  # fmt: skip
    for name, wards in groups:
        sub_sheet = sheet[sheet["ward"].isin(wards["ward_name"])] if name else sheet
        sub_sel = int(inc[(inc["financial_year"] == fy)
                          & inc["ward"].isin(wards["ward_name"])].shape[0]) if name else selected  # fmt: skip
        w_lines = hotspot_sentences(sub_sheet, sub_sel)
        w_lines.append("Hotspots: " + settings)
        areas = prepared.areas
        # Number the hotspots as the sentences do (1 = the area's largest).
        local = dict(zip(sub_sheet["cluster_id"], range(1, len(sub_sheet) + 1)))
        shown = clusters[clusters["cluster_id"].isin(local)]
        shown = shown.assign(rank=shown["cluster_id"].map(local))
        shown.attrs.update(clusters.attrs, selected=sub_sel)
        img = hotspot_map(shown, wards, title=f"ASB hotspots, {fy}" + (f": {name}" if name else ""),
                          note=data_note(inc[inc["financial_year"] == fy], demo=demo),
                          areas=areas, demo=demo, dpi=dpi)  # fmt: skip
        slides.append(Slide("where", TITLES["where"] + (f" {name}" if name else ""),
                            tuple(w_lines), image=img, image_alt="Hotspot map", footer=footer))  # fmt: skip

    # How places changed
    facts["patterns"] = cells
    slides.append(patterns_slide(cells, financial_year=fy, footer=footer))

    # District data
    if many:
        # Compare the months both years hold (the panel's year may run beyond the year before).
        d_inc, labels, held_note = inc, list(years), ""
        if cov.compare:
            fy_m = {m[5:] for m in cov.covered(fy)}
            before_m = {m[5:] for m in cov.covered(cov.compare)}
            both = fy_m & before_m
            if both != fy_m:
                d_inc = inc[inc["month"].str[5:].isin(both)]
                span = ", ".join(MONTH_ABBR[int(m) - 1] for m in
                                 sorted(both, key=lambda m: FY_MONTHS.index(int(m))))  # fmt: skip
                labels = [f"{y} {span}" for y in years]
                held_note = f"Both years compared over the months both hold: {span or 'none'}."
        dt = district_table(d_inc, districts, years)
        facts["districts"] = dt
        header = ["District", *labels] + (["Difference", "Percentage"] if len(years) > 1 else [])
        shown = dt[["district", *years, *(["difference", "percentage"] if len(years) > 1 else [])]]
        d_lines = [district_sentence(dt, years)] + ([held_note] if held_note else [])
        if part:
            d_lines.append("Part year: " + "; ".join(part) + ".")
        slides.append(Slide("districts", TITLES["districts"], tuple(d_lines),
                            (frame_table(shown, header, ints=[*years, "difference"],
                                         pcts=["percentage"], signed=["difference", "percentage"],
                                         first_width_in=3.4, width_in=1.45),),
                            footer=footer))  # fmt: skip

    # Licence and limits
    load = prepared.load
    l_lines = [
        ATTRIBUTION,
        f"Read {fmt_int(load.rows_read)} rows from {len(load.files)} file(s); "
        f"{fmt_int(load.selected)} ASB incidents; {fmt_int(load.rejected)} rejected (no usable "
        f"place or date; listed in the rejects file); {fmt_int(prepared.outside)} outside the "
        f"wards; {fmt_int(len(prepared.incidents))} analysed.",
        "Coverage: " + "; ".join(cov.describe(y) for y in years) + ".",
    ]
    if n_police or not len(in_years) or (~council_rows(inc)).any():
        l_lines.append("police.uk locations are anonymised: each incident is moved to the "
                       "nearest of a set of map points, and only its month is published. "
                       "police.uk ASB has no category or qualifiers.")  # fmt: skip
    l_lines += [n[0].upper() + n[1:] + ("" if n.endswith(".") else ".") for n in boundary_notes]
    l_lines.append("Ward boundaries are generalised: an incident just outside every ward takes "
                   "the nearest ward within a tolerance (100 m unless set otherwise); a few per "
                   "cent near a boundary can fall in a neighbour.")  # fmt: skip
    if demo:
        l_lines.append(DEMO_NOTE)
    l_lines.append(f"Made with hotspots {__version__}: every figure and sentence is computed "
                   "from the data above.")  # fmt: skip
    slides.append(Slide("limits", TITLES["limits"], tuple(l_lines), footer=footer))
    return Deck(tuple(slides), facts)


# --------------------------------------------------------------------------- how places changed

#: Busiest places listed on the "How places changed" slide.
TOP_PLACES = 10


def patterns_slide(cells, *, financial_year: str, footer: str = "", top: int = TOP_PLACES) -> Slide:
    """The "How places changed" slide: places per pattern, and the busiest places by street.

    ``cells`` is :func:`hotspots.patterns.place_patterns` over the seasons up to
    the end of ``financial_year`` (None when the data holds fewer than two): the
    same table as ``hotspots patterns --fy YEAR`` (:func:`hotspots.patterns.pattern_counts`
    and :func:`hotspots.patterns.top_places`).

    Examples
    --------
    >>> patterns_slide(None, financial_year="2018-19").lines[0][:46]
    'The data holds fewer than two seasons up to th'
    """
    from hotspots.patterns import pattern_counts, top_places

    title = TITLES["patterns"]
    if cells is None:
        return Slide("patterns", title, (
            f"The data holds fewer than two seasons up to the end of {financial_year}: a place's "
            "pattern needs two or more, so none is shown.",), footer=footer)  # fmt: skip
    periods = cells.attrs["periods"]
    t, half = len(periods), len(periods) // 2
    counts = pattern_counts(cells)
    named = dict(zip(counts["pattern"], counts["places"]))
    total = named.pop("Total")
    lines = (
        f"{fmt_int(total)} places were hotspots in at least one of the {t} seasons from "
        f"{periods[0]} to {periods[-1]}: "
        + ", ".join(f"{fmt_int(n)} {name}" for name, n in named.items()) + ".",
        f"A place is a {cells.attrs['grid']['cell_m']:g} m square; it is hot in a season when it "
        "lies in that season's hotspots (the map's, season by season). Persistent: hot in 80% or "
        f"more of the seasons. Emerging: hot in the latest, not in the first {half}. Former: hot "
        f"in the first {half}, not since. Diminishing: hot in the first {half}, not in the "
        "latest, but in between. Intermittent: any other.",
        "Right: the busiest places, neighbouring squares of one street, ward and pattern "
        "together (seasons hot: the most of any of its squares).",
    )
    count_table = frame_table(counts, ["Pattern", "Places"], ints=["places"],
                              first_width_in=1.6, width_in=0.9)  # fmt: skip
    best = top_places(cells, top)
    place_table = frame_table(best[["street", "ward", "pattern", "places", "periods_hot",
                                    "incidents"]],
                              ["Street", "Ward", "Pattern", "Squares", "Seasons hot",
                               "Incidents"],
                              ints=["places", "periods_hot", "incidents"], total_row=False)
    place_table = replace(place_table, column_widths_in=(2.2, 2.45, 1.2, 0.95, 1.3, 1.0))
    return Slide("patterns", title, lines, (count_table, place_table), footer=footer)


# --------------------------------------------------------------------------- layout and writers

SLIDE_W, SLIDE_H = 13.333, 7.5
_MARGIN = 0.5
_TITLE_BOX = (_MARGIN, 0.3, SLIDE_W - 2 * _MARGIN, 0.75)
_LINE_H = 0.33
_FOOTER_BOX = (_MARGIN, 6.95, SLIDE_W - 2 * _MARGIN, 0.4)
_BODY_BOTTOM = 6.85
TITLE_PT, LINE_PT, FOOTER_PT = 28, 13, 8


def _wrap_count(text: str, width_in: float, pt: float) -> int:
    """Lines a text takes in a box of ``width_in`` inches at ``pt`` points (rough)."""
    chars = max(int(width_in * 72 / (pt * 0.5)), 10)
    return max(1, -(-len(text) // chars))


@dataclass(frozen=True)
class _Box:
    left: float
    top: float
    width: float
    height: float


def _layout(slide: Slide) -> dict:
    """Where things go on a slide, in inches (shared by both writers)."""
    width = SLIDE_W - 2 * _MARGIN
    if slide.image is not None and slide.key == "where":
        # A map beside its facts: the map as large as the slide allows, the lines on the right.
        from PIL import Image

        with Image.open(io.BytesIO(slide.image)) as im:
            aspect = im.width / im.height
        h = _BODY_BOTTOM - 1.1
        w = min(h * aspect, 8.6)
        h = w / aspect
        right = _MARGIN + w + 0.3
        return {"lines": _Box(right, 1.2, SLIDE_W - _MARGIN - right, h), "tables": [],
                "image": _Box(_MARGIN, 1.1, w, h), "row_h": 0.3, "pt": 12}  # fmt: skip
    n_lines = sum(_wrap_count(t, width, LINE_PT) for t in slide.lines)
    lines_box = _Box(_MARGIN, 1.1, width, _LINE_H * n_lines + 0.1)
    top = lines_box.top + lines_box.height + 0.15 if slide.lines else 1.2
    body_h = _BODY_BOTTOM - top
    out: dict = {"lines": lines_box, "tables": [], "image": None, "row_h": 0.3, "pt": 12}
    if slide.tables:
        n_rows = max(len(t.rows) + 1 for t in slide.tables)
        row_h = min(0.34, body_h / n_rows)
        out["row_h"], out["pt"] = row_h, 12 if row_h >= 0.3 else 11 if row_h >= 0.26 else 10
        left = _MARGIN
        for t in slide.tables:
            w = sum(t.widths)
            out["tables"].append(_Box(left, top, w, row_h * (len(t.rows) + 1)))
            left += w + 0.5
    if slide.image is not None:
        from PIL import Image

        with Image.open(io.BytesIO(slide.image)) as im:
            aspect = im.width / im.height
        w, h = width, body_h
        if w / h > aspect:
            w = h * aspect
        else:
            h = w / aspect
        out["image"] = _Box(_MARGIN + (width - w) / 2, top, w, h)
    return out


def write_pptx(deck: Deck, path: str | Path) -> Path:
    """Write the deck as PowerPoint (16:9); tables are real, editable PowerPoint tables.

    Returns
    -------
    Path
    """
    from hotspots.io import atomic_path

    with atomic_path(path) as tmp:
        Path(tmp).write_bytes(pptx_bytes(deck))
    return Path(path)


def _rgb(colour) -> tuple[int, int, int]:
    from matplotlib.colors import to_rgb

    return tuple(round(255 * c) for c in to_rgb(colour))


def _header_colour():
    return deck_colours()["header"]


def pptx_bytes(deck: Deck) -> bytes:
    """The deck as the bytes of a .pptx file (for the web app)."""
    from pptx import Presentation
    from pptx.dml.color import RGBColor
    from pptx.enum.text import PP_ALIGN
    from pptx.oxml.ns import qn
    from pptx.util import Inches, Pt

    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(SLIDE_W), Inches(SLIDE_H)
    prs.core_properties.title = deck.slides[0].title if deck.slides else "ASB"
    prs.core_properties.author = f"hotspots {__version__}"

    def text_box(slide, box, text, pt, *, bold=False, colour=None):
        shape = slide.shapes.add_textbox(Inches(box.left), Inches(box.top), Inches(box.width),
                                         Inches(box.height))  # fmt: skip
        frame = shape.text_frame
        frame.word_wrap = True
        for i, line in enumerate(text.split("\n") if isinstance(text, str) else text):
            para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
            para.text = line
            para.font.size = Pt(pt)
            para.font.bold = bold
            if colour is not None:
                para.font.color.rgb = RGBColor(*colour)
        return shape

    header_rgb = RGBColor(*_rgb(_header_colour()))
    for s in deck.slides:
        layout = prs.slide_layouts[0 if s.key == "title" else 5]
        slide = prs.slides.add_slide(layout)
        title = slide.shapes.title
        title.text = s.title
        if s.key == "title":
            title.left, title.top = Inches(_MARGIN), Inches(1.8)
            title.width, title.height = Inches(SLIDE_W - 2 * _MARGIN), Inches(1.4)
            sub = slide.placeholders[1]
            sub.left, sub.top = Inches(_MARGIN), Inches(3.4)
            sub.width, sub.height = Inches(SLIDE_W - 2 * _MARGIN), Inches(2.6)
            sub.text = s.subtitle
            for para in sub.text_frame.paragraphs:
                para.font.size = Pt(18)
        else:
            box = _TITLE_BOX
            title.left, title.top = Inches(box[0]), Inches(box[1])
            title.width, title.height = Inches(box[2]), Inches(box[3])
            for para in title.text_frame.paragraphs:
                para.font.size, para.font.bold = Pt(TITLE_PT), True
                para.alignment = PP_ALIGN.LEFT
        lay = _layout(s)
        if s.lines:
            text_box(slide, lay["lines"], list(s.lines), LINE_PT)
        for t, box in zip(s.tables, lay["tables"]):
            shape = slide.shapes.add_table(len(t.rows) + 1, len(t.header), Inches(box.left),
                                           Inches(box.top), Inches(box.width),
                                           Inches(box.height))  # fmt: skip
            table = shape.table
            # "No Style, Table Grid": plain grid lines; the header is filled below.
            style = shape._element.graphic.graphicData.tbl.tblPr.find(qn("a:tableStyleId"))
            style.text = "{5940675A-B579-460E-94D1-54222C63F5DA}"
            table.horz_banding = False
            for j, w in enumerate(t.widths):
                table.columns[j].width = Inches(w)
            for i in range(len(t.rows) + 1):
                table.rows[i].height = Inches(lay["row_h"])
            for i, cells in enumerate([t.header, *t.rows]):
                is_total = t.total_row and i == len(t.rows)
                for j, value in enumerate(cells):
                    cell = table.cell(i, j)
                    cell.text = value
                    cell.margin_top = cell.margin_bottom = Inches(0.02)
                    para = cell.text_frame.paragraphs[0]
                    para.font.size = Pt(lay["pt"])
                    para.font.bold = i == 0 or is_total
                    para.alignment = PP_ALIGN.RIGHT if t.numeric[j] and i else PP_ALIGN.LEFT
                    if i == 0:
                        cell.fill.solid()
                        cell.fill.fore_color.rgb = header_rgb
                        para.font.color.rgb = RGBColor(255, 255, 255)
        if s.image is not None:
            box = lay["image"]
            pic = slide.shapes.add_picture(io.BytesIO(s.image), Inches(box.left), Inches(box.top),
                                           Inches(box.width), Inches(box.height))  # fmt: skip
            pic.name = s.image_alt or "chart"
            pic._element.nvPicPr.cNvPr.set("descr", s.image_alt)
        if s.footer:
            text_box(slide, _Box(*_FOOTER_BOX), s.footer, FOOTER_PT, colour=(80, 80, 80))
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


def _pdf_page(s: Slide):
    """One slide as a matplotlib Figure, laid out as in the PowerPoint."""
    import textwrap

    from matplotlib.figure import Figure
    from matplotlib.image import imread

    fig = Figure(figsize=(SLIDE_W, SLIDE_H))

    def fx(x):
        return x / SLIDE_W

    def fy(y):
        return 1 - y / SLIDE_H

    def wrap(text, width_in, pt):
        return textwrap.fill(text, max(int(width_in * 72 / (pt * 0.5)), 10))

    if s.key == "title":
        fig.text(fx(_MARGIN), fy(2.5), s.title, fontsize=40, va="center", wrap=True)
        y = 3.5
        for line in s.subtitle.split("\n"):
            text = wrap(line, SLIDE_W - 2 * _MARGIN, 18)
            fig.text(fx(_MARGIN), fy(y), text, fontsize=18, va="top")
            y += 0.42 * (text.count("\n") + 1)
    else:
        fig.text(fx(_TITLE_BOX[0]), fy(_TITLE_BOX[1] + _TITLE_BOX[3] / 2), s.title,
                 fontsize=TITLE_PT, fontweight="bold", va="center")  # fmt: skip
    lay = _layout(s)
    if s.lines:
        box = lay["lines"]
        y = box.top + 0.05
        for line in s.lines:
            text = wrap(line, box.width, LINE_PT)
            fig.text(fx(box.left), fy(y), text, fontsize=LINE_PT, va="top")
            y += _LINE_H * (text.count("\n") + 1)
    header_colour = _header_colour()
    for t, box in zip(s.tables, lay["tables"]):
        ax = fig.add_axes((fx(box.left), fy(box.top + box.height), box.width / SLIDE_W,
                           box.height / SLIDE_H))  # fmt: skip
        ax.set_axis_off()
        total_w = sum(t.widths)
        table = ax.table(cellText=[list(r) for r in t.rows] or None, colLabels=list(t.header),
                         colWidths=[w / total_w for w in t.widths], bbox=(0, 0, 1, 1))  # fmt: skip
        table.auto_set_font_size(False)
        table.set_fontsize(lay["pt"])
        for (i, j), cell in table.get_celld().items():
            cell.set_linewidth(0.6)
            cell.PAD = 0.04
            text = cell.get_text()
            text.set_ha("right" if t.numeric[j] and i else "left")
            cell._loc = "right" if t.numeric[j] and i else "left"
            if i == 0:
                cell.set_facecolor(header_colour)
                text.set_color("white")
                text.set_fontweight("bold")
            elif t.total_row and i == len(t.rows):
                text.set_fontweight("bold")
    if s.image is not None:
        box = lay["image"]
        ax = fig.add_axes((fx(box.left), fy(box.top + box.height), box.width / SLIDE_W,
                           box.height / SLIDE_H))  # fmt: skip
        ax.imshow(imread(io.BytesIO(s.image), format="png"), interpolation="antialiased")
        ax.set_axis_off()
    if s.footer:
        x, y, w, _ = _FOOTER_BOX
        fig.text(fx(x), fy(y), wrap(s.footer, w, FOOTER_PT * 1.05), fontsize=FOOTER_PT,
                 va="top", color="#505050")  # fmt: skip
    return fig


def pdf_bytes(deck: Deck) -> bytes:
    """The deck as a PDF (one 16:9 page per slide, the same layout as the PowerPoint)."""
    from matplotlib import rc_context
    from matplotlib.backends.backend_pdf import PdfPages

    buf = io.BytesIO()
    meta = {"CreationDate": None, "Producer": None,
            "Title": deck.slides[0].title if deck.slides else "ASB"}  # fmt: skip
    with rc_context({"pdf.fonttype": 42}), PdfPages(buf, metadata=meta) as pdf:
        for s in deck.slides:
            pdf.savefig(_pdf_page(s), dpi=200)
    return buf.getvalue()


def write_pdf(deck: Deck, path: str | Path) -> Path:
    """Write the deck as a PDF (same slides and layout as :func:`write_pptx`)."""
    from hotspots.io import atomic_path

    with atomic_path(path) as tmp:
        Path(tmp).write_bytes(pdf_bytes(deck))
    return Path(path)


def write_deck(deck: Deck, path: str | Path) -> Path:
    """Write the deck as ``.pptx`` or ``.pdf``, chosen by the suffix.

    Raises
    ------
    HotspotsError
        For any other suffix.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in DECK_FORMATS:
        raise HotspotsError(
            f"-o {str(path)!r}: the deck is written as .pptx (PowerPoint, editable) or .pdf"
        )
    return write_pptx(deck, path) if suffix == ".pptx" else write_pdf(deck, path)
