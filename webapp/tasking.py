"""The tasking page of the web app (issue 4): registered by webapp.create_app.

``/tasking`` shows one selection's hotspots ranked for patrol planning (the
sheet of :func:`hotspots.outputs.tasking.tasking_sheet`), each row linking to the map
centred on that hotspot (``/map?...&focus=<id>``); ``/tasking.pdf`` is the
printable sheet (:func:`hotspots.outputs.tasking.write_sheet`), and ``/tasking.csv`` and
``/tasking.geojson`` download it (one point per hotspot, for patrol devices).
Ranks are the hotspots' ids: their rank in the whole study area for the season
and year, the same on the map, the hotspot table and every download; a focus
area's or ward's sheet lists the study area's hotspots lying in it.
The selection is the app's usual one (``fy``, ``season``, ``area``), checked by
:func:`webapp.params.selection`; a tasking sheet needs one financial year, so
``fy=all`` is a 400 naming ``fy``.

Each hotspot's **Pattern** is that of the place (grid cell) holding its
busiest map point over the seasons up to the selected one: the same cached
patterns as the map's "How places changed" layer (:meth:`DataStore.patterns`),
so the sheet and the map cannot disagree (see :mod:`hotspots.outputs.tasking`).

Place text is at street level for viewers (:func:`webapp.auth.shown_places`:
house numbers, flats and business names removed, "On or near ..." kept);
analysts see it in full. The sheet's list of top locations is never sent.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
from flask import Blueprint, Response, current_app, render_template

from hotspots.io import ATTRIBUTION, csv_safe, percent_shares
from hotspots.outputs.tasking import sheet_from_clusters
from webapp.auth import may_see_addresses, shown_places
from webapp.params import ParamError, selection, store
from webapp.tiles import static_style
from webapp.views import chance_words

bp = Blueprint("tasking", __name__)

#: Columns shown and downloaded (``locations`` is left out: see the module notes).
COLUMNS = ["rank", "cluster_id", "label", "place", "ward", "area", "incidents", "share", "previous",
           "trend", "pattern", "hot_periods", "hot_in", "peak_months", "peak_weekday", "peak_hour",
           "chance_test", "p_value", "q_value", "significant", "lon", "lat"]  # fmt: skip


def _tasking(sel) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """The public sheet and the hotspot outlines of a selection (cached per selection)."""
    if sel.financial_year is None:
        raise ParamError("fy", sel.fy, [f for f in store().choices().fy_values if f != sel.fy])
    data_store = store()

    def compute(data) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
        # The period's one answer, with its chance test (as on the map and the hotspot table)
        # and the map layer's place patterns (both cached per period): nothing recomputed.
        view = data_store.view(sel, tested=True)
        result = view.result
        sheet = sheet_from_clusters(view.hotspots, result.incidents, members=result.members,
                                    patterns=data_store.patterns(sel))  # fmt: skip
        verdicts = view.hotspots.set_index("cluster_id")
        for col in ("label", "p_value", "q_value", "significant"):
            sheet[col] = verdicts[col].reindex(sheet["cluster_id"]).to_numpy()
        sheet["chance_test"] = chance_words(sheet["significant"])
        out = sheet[[*COLUMNS, "geometry"]].copy()
        out.attrs.update(view.hotspots.attrs)
        out.attrs.update({k: sheet.attrs[k] for k in ("pattern_periods", "pattern_by",
                                                      "pattern_cell_m") if k in sheet.attrs})  # fmt: skip
        return out, view.hotspots

    sheet, clusters = data_store.cached("tasking", sel, compute)
    return shown_places(sheet), shown_places(clusters)


def _sheet(sel) -> gpd.GeoDataFrame:
    return _tasking(sel)[0]


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
                           rows=table.to_dict("records"), attrs=sheet.attrs,
                           accuracy=store().accuracy(sel))  # fmt: skip


@bp.route("/tasking.csv")
def tasking_csv():
    """The tasking sheet as CSV (lon/lat columns, no geometry)."""
    sel = selection()
    table = csv_safe(percent_shares(pd.DataFrame(_sheet(sel).drop(columns="geometry"))))
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


@bp.route("/tasking.pdf")
def tasking_pdf():
    """The printable tasking sheet (A4, one page per focus area, map beside the list)."""
    sel = selection()
    sheet, clusters = _tasking(sel)
    data_store = store()
    style = static_style(current_app)  # the web map's basemap and streets

    def compute(data) -> bytes:
        from hotspots.analysis.notes import data_note
        from hotspots.outputs.tasking import write_sheet

        view = data_store.view(sel)
        demo = data_store.spec.is_demo
        accuracy = data_store.accuracy(sel)  # the previous window's hotspots, as on the map
        note = f"{data_note(view.incidents, demo=demo)} {view.result.parameters.text}."
        note += f" {accuracy['sentence']}." if accuracy else ""
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "sheet.pdf"
            write_sheet(sheet, path, clusters=clusters, wards=data.prepared.wards,
                        title=view.title,
                        note=note, area=sel.focus_area, areas=data.prepared.areas,
                        demo=demo, style=style)  # fmt: skip
            return path.read_bytes()

    # Viewers and analysts see different place text: one cached PDF for each.
    pdf = data_store.cached("tasking_pdf_full" if may_see_addresses() else "tasking_pdf", sel,
                            compute)  # fmt: skip
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{_stem(sel)}.pdf"'})  # fmt: skip
