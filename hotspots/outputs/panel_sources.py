"""What the panel's data cover and where they come from.

The months a share covers, seasons named by their months, the command that adds
earlier years, police.uk's incident types, and each source's attribution.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from hotspots.analysis.seasons import (
    SEASON_MONTHS,
    fy_months,
    month_runs,
    months_span,
    short_month,
)

#: How the panel's five-year view is reached.
YEARS_WANTED = 5


#: police.uk's file names: ``2018-10-west-mercia-street.csv`` (the force id inside).
_POLICE_FILE = re.compile(r"^(\d{4})-(\d{2})-(?P<force>[a-z0-9-]+?)-street\.csv$", re.IGNORECASE)


POSTCODE_ATTRIBUTION = (
    "Postcode locations: Contains OS data © Crown copyright and database right; Contains Royal "
    "Mail data © Royal Mail copyright and database right; Contains National Statistics data © "
    "Crown copyright and database right (OS Code-Point Open / ONS Postcode Directory)."
)


POSTCODE_CENTROIDS = (
    "Council records located by postcode are placed at the postcode's centroid (one point for "
    "every address in the postcode), not at the address itself."
)


def fmt_mean(value) -> str:
    """A mean as the panel prints it: a whole number without ``.0``, else one decimal.

    Examples
    --------
    >>> fmt_mean(2.0), fmt_mean(1.5), fmt_mean(12345.25), fmt_mean(float("nan"))
    ('2', '1.5', '12,345.2', '')
    """
    if value is None or pd.isna(value):
        return ""
    v = round(float(value), 1)
    return f"{v:,.0f}" if v == int(v) else f"{v:,.1f}"


def share_of(n: int, total: int, *, financial_year: str, covered: Sequence[str]) -> str:
    """``n`` as a share of a year's incidents, naming the months those incidents cover.

    Parameters
    ----------
    n, total : int
    financial_year : str
    covered : sequence of str
        The ``YYYY-MM`` months of that year the data holds.

    Examples
    --------
    >>> share_of(837, 3640, financial_year="2018-19", covered=["2018-10", "2019-02"])
    '23% of the 3,640 in 2018-19 held in the data (Oct 2018 to Feb 2019)'
    >>> share_of(5, 20, financial_year="2018-19",
    ...          covered=[f"2018-{m:02d}" for m in range(4, 13)] + ["2019-01", "2019-02", "2019-03"])
    "25% of 2018-19's 20 (Apr 2018 to Mar 2019)"
    """
    pct = f"{round(100 * n / total):d}%" if total else "no share"
    span = months_span(covered)
    if len(set(covered)) == 12:
        return f"{pct} of {financial_year}'s {total:,} ({span})"
    return f"{pct} of the {total:,} in {financial_year} held in the data ({span})"


def season_months(label: str, held: Iterable[str] | None = None) -> str:
    """Name a season of a financial year by its months (``"spring 2018-19"`` spans the year).

    A season label is a season within a financial year (as the place patterns
    count them): spring 2018-19 is April-May 2018 and March 2019. With
    ``held`` (``YYYY-MM`` months in the data) only those months are named.

    Examples
    --------
    >>> season_months("winter 2018-19")
    'Dec 2018–Feb 2019'
    >>> season_months("spring 2018-19", held=["2019-03"])
    'Mar 2019'
    >>> season_months("autumn 2018-19", held=["2018-10", "2018-11"])
    'Oct–Nov 2018'
    """
    season, fy = label.split(" ", 1)
    months = [m for m in fy_months(fy) if int(m[5:]) in SEASON_MONTHS[season]]
    if held is not None:
        keep = set(held)
        months = [m for m in months if m in keep]
    if not months:
        return "no months held"
    return month_runs(months, sep=" and ")


def season_label_with_months(label: str, held: Iterable[str] | None = None) -> str:
    """``"spring 2018-19 (Apr–May 2018 and Mar 2019)"``.

    Examples
    --------
    >>> season_label_with_months("winter 2018-19")
    'winter 2018-19 (Dec 2018–Feb 2019)'
    """
    return f"{label} ({season_months(label, held)})"


def police_forces(sources: Iterable[str]) -> list[str]:
    """police.uk force ids named in file names (``2018-10-west-mercia-street.csv``).

    Examples
    --------
    >>> police_forces(["2018-10-west-mercia-street.csv", "x/2018-11-west-mercia-street.csv",
    ...                "council.csv"])
    ['west-mercia']
    """
    found = set()
    for src in sources:
        name = str(src).replace("\\", "/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
        m = _POLICE_FILE.match(name)
        if m:
            found.add(m.group("force").lower())
    return sorted(found)


def earlier_years_hint(
    months: Iterable[str],
    *,
    financial_year: str,
    forces: Sequence[str] = (),
    police: bool = True,
    wanted: int = YEARS_WANTED,
) -> str:
    """What to run to add the earlier financial years, when the data holds fewer than ``wanted``.

    For police.uk data: ``hotspots fetch police-uk`` for the months before the
    first month held, then ``hotspots ingest`` into a store, then
    ``hotspots report --store``. For council data: add the earlier exports.
    Empty when the data already holds ``wanted`` years up to ``financial_year``.

    Examples
    --------
    >>> print(earlier_years_hint(["2018-10", "2019-02"], financial_year="2018-19",
    ...                          forces=["west-mercia"]))
    The data hold 1 financial year (2018-19); the panel's view has 5. To add the months before Oct 2018: hotspots fetch police-uk --force west-mercia --from 2014-04 --to 2018-09 --wards WARDS -o police-uk, then hotspots ingest police-uk INPUT... --wards WARDS --store panel.gpkg (INPUT: this deck's files), then hotspots report --store panel.gpkg --fy 2018-19 -o panel.pptx (police.uk's archive zips hold months older than its API).
    >>> earlier_years_hint(["2017-05", "2018-06"], financial_year="2018-19", police=False)[-146:]
    "To add earlier years, give the council's exports for 2014-15 onwards as INPUT too (or ingest them into the store and run hotspots report --store)."
    >>> earlier_years_hint([f"{y}-06" for y in range(2014, 2019)], financial_year="2018-19")
    ''
    """
    held = sorted({m for m in months if m})
    if not held:
        return ""
    end = int(financial_year[:4])
    fys = sorted({f"{int(m[:4]) - (int(m[5:]) < 4)}" for m in held})
    fys = [y for y in fys if int(y) <= end]
    if len(fys) >= wanted:
        return ""
    names = [f"{y}-{(int(y) + 1) % 100:02d}" for y in fys]
    have = (f"The data hold {len(fys)} financial year{'s' if len(fys) != 1 else ''} "
            f"({', '.join(names)}); the panel's view has {wanted}.")  # fmt: skip
    first = held[0]
    start = f"{end - wanted + 1}-04"
    before = (pd.Period(first, "M") - 1).strftime("%Y-%m")
    if not police:
        return (f"{have} To add earlier years, give the council's exports for {start[:4]}-"
                f"{(int(start[:4]) + 1) % 100:02d} onwards as INPUT too (or ingest them into the "
                "store and run hotspots report --store).")  # fmt: skip
    force = forces[0] if len(forces) == 1 else "FORCE"
    return (f"{have} To add the months before {short_month(first)}: hotspots fetch police-uk "
            f"--force {force} --from {start} --to {before} --wards WARDS -o police-uk, then "
            "hotspots ingest police-uk INPUT... --wards WARDS --store panel.gpkg (INPUT: this "
            "deck's files), then hotspots report --store panel.gpkg --fy "
            f"{financial_year} -o panel.pptx (police.uk's archive zips hold months older than "
            "its API).")  # fmt: skip


def police_type_table(incidents: pd.DataFrame, years: Sequence[str]) -> pd.DataFrame:
    """What police.uk rows give on the incident-types slide: incidents by police.uk category.

    police.uk publishes ASB as one category (``Anti-social behaviour``); with
    ``--crime-type`` other categories come too. The table has the same
    columns as the council's (a column per year, ``mean``, ``mean %`` and a
    ``Total`` row), so the slide reads the same way.

    Parameters
    ----------
    incidents : pandas.DataFrame
        With ``category``, ``financial_year`` and ``date_precision``
        (``"month"`` marks police.uk rows).
    years : sequence of str

    Examples
    --------
    >>> i = pd.DataFrame({"category": ["Anti-social behaviour"] * 3,
    ...                   "financial_year": ["2017-18", "2018-19", "2018-19"],
    ...                   "date_precision": "month"})
    >>> police_type_table(i, ["2017-18", "2018-19"]).values.tolist()
    [['Anti-social behaviour', 1, 2, 1.5, 100.0], ['Total', 1, 2, 1.5, 100.0]]
    """
    chosen = incidents[(incidents["date_precision"] == "month")
                       & incidents["financial_year"].isin(years)]  # fmt: skip
    cols = ["type", *years, "mean", "mean %"]
    if chosen.empty:
        return pd.DataFrame(columns=cols)
    counts = pd.crosstab(chosen["category"].astype(str), chosen["financial_year"].astype(str))
    counts = counts.reindex(columns=list(years), fill_value=0).astype("int64")
    out = counts.copy()
    out["mean"] = counts.mean(axis=1)
    total_mean = out["mean"].sum()
    out["mean %"] = 100.0 * out["mean"] / total_mean if total_mean else np.nan
    out = out.sort_values("mean", ascending=False, kind="stable")
    out.loc["Total"] = [*counts.sum().tolist(), total_mean, 100.0 if total_mean else np.nan]
    out[list(years)] = out[list(years)].astype("int64")
    out.index.name = "type"
    return out.reset_index()


def police_type_lines(n_police: int, years: Sequence[str]) -> list[str]:
    """The incident-types slide's sentences for police.uk rows (what they give, what adds types).

    Examples
    --------
    >>> police_type_lines(1155, ["2018-19"])[0][:60]
    'police.uk: 1,155 ASB incidents in 2018-19, all in one catego'
    """
    return [
        f"police.uk: {n_police:,} ASB incidents in {' and '.join(years)}, all in one category: "
        "police.uk publishes ASB without a type (no youth, neighbour, vehicle ...), so the table "
        "shows its category by year, the mean and the mean's share.",
        "Incident types come from a council export of ASB cases: give it as INPUT with its "
        "category column (detected, or --column category=NAME) and this slide shows each type "
        "by year with its mean and mean %, and youth / drugs / alcohol qualifiers where "
        "recorded.",
    ]


def source_attributions(incidents: pd.DataFrame, *, geocoded: dict | None = None) -> list[str]:
    """The attribution and location caveats each source needs, one line each.

    police.uk: the Open Government Licence and its anonymised map points;
    council rows: their location caveat, and for rows placed by postcode the
    Code-Point Open / Royal Mail / National Statistics attribution and that
    the location is the postcode's centroid.

    Parameters
    ----------
    incidents : pandas.DataFrame
        With ``date_precision`` (``"month"``: police.uk).
    geocoded : dict, optional
        ``{"postcode": (found, asked), "address": ...}`` as the loader counts them.

    Examples
    --------
    >>> i = pd.DataFrame({"date_precision": ["day"]})
    >>> [line[:40] for line in source_attributions(i, geocoded={"postcode": (5, 6)})]
    ['Council records located by postcode are ', 'Postcode locations: Contains OS data © C']
    """
    kinds = set(incidents["date_precision"].astype(str)) if len(incidents) else set()
    out = []
    if "month" in kinds:
        out.append("police.uk: Contains public sector information licensed under the Open "
                   "Government Licence v3.0. Locations are anonymised (moved to the nearest of "
                   "a set of map points) and only the month is published.")  # fmt: skip
    geocoded = geocoded or {}
    found = geocoded.get("postcode", (0, 0))[0]
    if found:
        out += [POSTCODE_CENTROIDS, POSTCODE_ATTRIBUTION]
    if geocoded.get("address", (0, 0))[0]:
        out.append("Council records located by address use OpenStreetMap's Nominatim: "
                   "© OpenStreetMap contributors, ODbL.")  # fmt: skip
    return out
