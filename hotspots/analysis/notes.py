"""The words under every map and table: title, data note, month range, demo note."""

from __future__ import annotations

import logging
import re

import pandas as pd

from hotspots.analysis.prepare import Prepared
from hotspots.analysis.seasons import SEASON_MONTHS, months_span

log = logging.getLogger(__name__)


DEMO_NOTE = "Demo borough: approximate boundaries, incidents made by the project (not real data)."


def is_demo(prepared: Prepared) -> bool:
    """True when the incidents are the embedded demo borough's."""
    from boundaries import get_path

    demo = str(get_path("demo-incidents"))
    return any(
        str(f) == demo or str(f).endswith("data/demo/incidents.csv") for f in prepared.load.files
    )


def month_range(incidents: pd.DataFrame) -> str:
    """The first and last month of some incidents, e.g. ``"Oct 2018 to Nov 2018"``.

    Examples
    --------
    >>> import pandas as pd
    >>> month_range(pd.DataFrame({"month": ["2018-11", "2018-10", "2018-11"]}))
    'Oct 2018 to Nov 2018'
    >>> month_range(pd.DataFrame({"month": []}))
    'no incidents'
    """
    return months_span(incidents["month"].dropna().unique(), none="no incidents")


def data_note(incidents: pd.DataFrame, *, demo: bool = False) -> str:
    """Say where the incidents came from and which months they cover.

    Examples
    --------
    >>> import pandas as pd
    >>> data_note(pd.DataFrame({"month": ["2018-10"], "date_precision": ["month"]}))
    'Data: police.uk street-level ASB, Oct 2018.'
    """
    if demo:
        return f"Data: demo borough made by the project, {month_range(incidents)}."
    kinds = set(incidents["date_precision"].unique()) if "date_precision" in incidents else set()
    sources = []
    if "month" in kinds:
        sources.append("police.uk street-level ASB")
    if kinds - {"month"}:
        sources.append("council ASB records")
    return f"Data: {' and '.join(sources) or 'ASB incidents'}, {month_range(incidents)}."


def slug(text: str) -> str:
    """A file-name part: lower case, words joined by hyphens.

    Examples
    --------
    >>> slug("Batchley & Brockhill"), slug("Town centre")
    ('batchley-brockhill', 'town-centre')
    """
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-") or "unnamed"


def selection_title(
    *,
    season: str | None,
    financial_year: str | None,
    area: str | None = None,
    ward: str | None = None,
) -> str:
    """A map or page title for a selection.

    Examples
    --------
    >>> selection_title(season="autumn", financial_year="2018-19", area="Town centre")
    'ASB hotspots: Town centre, autumn (Sep-Nov), financial year 2018-19'
    """
    where = ", ".join(p for p in (area, ward and f"{ward} ward") if p) or "whole borough"
    parts = [where]
    if season and season != "all":
        months = [pd.Timestamp(2000, m, 1).strftime("%b") for m in SEASON_MONTHS[season]]
        parts.append(f"{season} ({months[0]}-{months[-1]})")
    if financial_year:
        parts.append(f"financial year {financial_year}")
    return "ASB hotspots: " + ", ".join(parts)
