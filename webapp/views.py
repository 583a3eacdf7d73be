"""The pages: map, ward table, clusters and seasonal profile (and their CSV downloads).

Views only read the validated selection (:func:`webapp.params.selection`),
ask the cached store for answers and render; no analysis happens here.
Place text reaches a viewer at street level only (:func:`webapp.auth.shown_places`),
and every CSV download is formula-safe (:func:`hotspots.io.csv_safe`).
"""

from __future__ import annotations

import io

import pandas as pd
from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from flask_login import current_user

from hotspots.analysis.seasons import month_runs, months_without_data
from hotspots.io import ATTRIBUTION, csv_safe
from webapp.auth import may_see_addresses, shown_places
from webapp.params import SEASON_CHOICES, selection, store
from webapp.results import chance_words
from webapp.security import generated_page_policy
from webapp.tasks import Along

bp = Blueprint("views", __name__)

#: Nav links: (endpoint path, label).
NAV = (("/map", "Map"), ("/wards", "Wards"), ("/clusters", "Hotspots"),
       ("/seasonal", "Seasonal"), ("/tasking", "Tasking"))  # fmt: skip
CLUSTER_COLUMNS = ["cluster_id", "label", "incidents", "share", "ward", "area", "top_locations",
                   "top_categories", "months", "previous", "change", "trend",
                   "chance_test", "p_value", "q_value", "significant"]  # fmt: skip


@bp.app_template_filter("month_runs")
def _month_runs(months) -> str:
    """A hotspot's months as a reader says them: "Oct–Nov 2018" (the CSV keeps ``YYYY-MM``)."""
    return month_runs(months)


@bp.app_context_processor
def _page_context() -> dict:
    """What every template gets: the nav, the login state, the demo banner, the licence."""
    require_login = current_app.config["HOTSPOTS_REQUIRE_LOGIN"]
    return {
        "nav": NAV,
        "attribution": ATTRIBUTION,
        "require_login": require_login,
        "logged_in": bool(require_login and current_user.is_authenticated),
        "demo_data": current_app.config.get("HOTSPOTS_DEMO", False),
        "season_choices": SEASON_CHOICES,
    }


def _csv_response(table: pd.DataFrame, filename: str) -> Response:
    buffer = io.StringIO()
    csv_safe(table).to_csv(buffer, index=False)
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _file_stem(sel) -> str:
    parts = [sel.fy, sel.season, sel.ward_name or sel.focus_area or "borough"]
    return "_".join("".join(c if c.isalnum() else "-" for c in p) for p in parts)


def cluster_rows(clusters) -> pd.DataFrame:
    """The cluster table as shown and downloaded (no geometry; share as a per cent).

    Place text is at street level unless the user is an analyst. With the
    chance test (:meth:`webapp.data.DataStore.tested_clusters`): ``chance_test``
    in words, then ``p_value``, ``q_value`` and ``significant``.
    """
    table = pd.DataFrame(shown_places(clusters.drop(columns=clusters.geometry.name)))
    if "significant" in table.columns:  # the chance test, in the words of every output
        table["chance_test"] = chance_words(table["significant"])
    table = table[[c for c in CLUSTER_COLUMNS if c in table.columns]].copy()
    table["share"] = (100 * table["share"].astype(float)).round(1)
    return table.rename(columns={"share": "share_pct"})


@bp.route("/")
def index():
    """Go to the map, keeping any selection."""
    query = request.query_string.decode("latin-1")
    return redirect(url_for("views.map_page") + (f"?{query}" if query else ""))


@bp.route("/map")
def map_page():
    """The selectors and the map (a frame holding the folium page of the same selection)."""
    sel = selection()
    # a cold selection: its answer, accuracy sentence and map frame made as one worker task
    store().ask(sel, Along(accuracy=True, frame=may_see_addresses()))
    found = store().clusters(sel)
    store().focus_geometry(sel)  # focus=<id> not in this selection: 400 naming the ids it has
    return render_template("map.html", sel=sel, choices=store().choices(), clusters=found,
                           accuracy=store().accuracy(sel))  # fmt: skip


@bp.route("/map/frame")
def map_frame():
    """The folium map page itself (scripts from /static/vendor; no CDN; its inline scripts by hash)."""
    sel = selection()
    html = store().map_html(sel, full_places=may_see_addresses())
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = generated_page_policy(html)
    return response


@bp.route("/wards")
def wards_page():
    """The council's ward table for the selection, with a CSV download."""
    sel = selection()
    return render_template("wards.html", sel=sel, choices=store().choices(),
                           table=store().ward_table(sel))  # fmt: skip


@bp.route("/wards.csv")
def wards_csv():
    """The ward table as CSV."""
    sel = selection()
    return _csv_response(store().ward_table(sel), f"ward_table_{_file_stem(sel)}.csv")


@bp.route("/clusters")
def clusters_page():
    """The hotspots of the selection as a table, with CSV and GeoJSON downloads."""
    sel = selection()
    found = store().tested_clusters(sel)
    return render_template("clusters.html", sel=sel, choices=store().choices(),
                           table=cluster_rows(found), attrs=found.attrs)  # fmt: skip


@bp.route("/clusters.csv")
def clusters_csv():
    """The cluster table as CSV."""
    sel = selection()
    return _csv_response(cluster_rows(store().tested_clusters(sel)),
                         f"clusters_{_file_stem(sel)}.csv")  # fmt: skip


@bp.route("/seasonal")
def seasonal_page():
    """Incidents by month (April to March), one line per financial year, for an area or ward."""
    sel = selection()
    profile, svg = store().seasonal(sel)
    place = sel.ward_name or sel.focus_area or "whole borough"
    return render_template("seasonal.html", sel=sel, choices=store().choices(),
                           profile=profile, svg=svg, place=place,
                           no_data=months_without_data(profile))  # fmt: skip
