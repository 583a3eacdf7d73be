"""The tasking page of the web app (issue 4): registered by webapp.create_app.

``/tasking`` shows one selection's hotspots ranked for patrol planning (the
sheet of :func:`hotspots.tasking.tasking_sheet`); ``/tasking.csv`` and
``/tasking.geojson`` download it (one point per hotspot, for patrol devices).
The selection is the app's usual one (``fy``, ``season``, ``area``), checked by
:func:`webapp.params.selection`; a tasking sheet needs one financial year, so
``fy=all`` is a 400 naming ``fy``.

Place text is at street level for viewers (:func:`webapp.auth.shown_places`:
house numbers, flats and business names removed, "On or near ..." kept);
analysts see it in full. The sheet's list of top locations is never sent.
"""

from __future__ import annotations

import json
import re

import geopandas as gpd
import pandas as pd
from flask import Blueprint, Response, render_template

from hotspots.io import ATTRIBUTION, csv_safe
from hotspots.tasking import tasking_sheet
from webapp import results
from webapp.auth import shown_places
from webapp.params import ParamError, selection, store

bp = Blueprint("tasking", __name__)

#: Columns shown and downloaded (``locations`` is left out: see the module notes).
COLUMNS = ["rank", "place", "ward", "area", "incidents", "share", "previous", "trend",
           "peak_months", "peak_weekday", "peak_hour", "lon", "lat"]  # fmt: skip
WITHHELD = "(place text withheld)"
_PUBLIC_PLACE = re.compile(r"^On or near [A-Za-z][A-Za-z '&/.,()-]*$")


def public_place(text: str) -> str:
    """The place when it reads like a public police.uk Location, else a placeholder.

    Examples
    --------
    >>> public_place("On or near Unicorn Hill")
    'On or near Unicorn Hill'
    >>> public_place("outside 12 Acacia Avenue, Mrs Smith's")
    '(place text withheld)'
    """
    text = str(text or "")
    return text if _PUBLIC_PLACE.match(text) else (WITHHELD if text else "")


def _sheet(sel) -> gpd.GeoDataFrame:
    if sel.financial_year is None:
        raise ParamError("fy", sel.fy, [f for f in store().choices().fy_values if f != sel.fy])
    data_store = store()

    def compute(data) -> gpd.GeoDataFrame:
        params = results.cluster_params(sel, eps_m=data_store.eps_m,
                                        min_samples=data_store.min_samples)  # fmt: skip
        sheet = tasking_sheet(data.prepared, season=sel.season_filter,
                              financial_year=sel.financial_year, area=sel.focus_area,
                              ward=sel.ward_name, params=params)  # fmt: skip
        out = sheet[[*COLUMNS, "geometry"]].copy()
        out.attrs.update(sheet.attrs)
        return out

    return shown_places(data_store.cached("tasking", sel, compute))


def _stem(sel) -> str:
    parts = [sel.fy, sel.season, sel.ward_name or sel.focus_area or "borough"]
    return "tasking_" + "_".join("".join(c if c.isalnum() else "-" for c in p) for p in parts)


@bp.route("/tasking")
def tasking_page():
    """The ranked hotspot list of a selection, with CSV and GeoJSON downloads."""
    sel = selection()
    sheet = _sheet(sel)
    table = pd.DataFrame(sheet.drop(columns="geometry")).astype(object)
    table = table.where(table.notna(), None)
    return render_template("tasking.html", sel=sel, choices=store().choices(),
                           rows=table.to_dict("records"), attrs=sheet.attrs)  # fmt: skip


@bp.route("/tasking.csv")
def tasking_csv():
    """The tasking sheet as CSV (lon/lat columns, no geometry)."""
    sel = selection()
    table = csv_safe(pd.DataFrame(_sheet(sel).drop(columns="geometry")))
    return Response(table.to_csv(index=False), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{_stem(sel)}.csv"'})  # fmt: skip


@bp.route("/tasking.geojson")
def tasking_geojson():
    """The tasking sheet as GeoJSON: one point per hotspot (EPSG:4326), for patrol devices."""
    sel = selection()
    doc = json.loads(_sheet(sel).to_crs("EPSG:4326").to_json(na="null", drop_id=True))
    doc["attribution"] = ATTRIBUTION
    return Response(json.dumps(doc, ensure_ascii=False), mimetype="application/geo+json",
                    headers={"Content-Disposition":
                             f'attachment; filename="{_stem(sel)}.geojson"'})  # fmt: skip
