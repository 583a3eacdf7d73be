"""The JSON API: clusters and wards as GeoJSON (EPSG:4326), a summary, and the health check.

``/api/clusters``, ``/api/wards``, ``/api/patterns`` (how places changed, the
map layer's squares) and ``/api/incidents/summary`` take the same
query parameters as the pages (``fy``, ``season``, ``area``, ``ward``); a bad
value gets 400 JSON naming the parameter and the allowed values, and a request
without a login gets 401 JSON. ``/healthz`` is open to all. Place text
(``top_locations``) is at street level unless the user is an analyst.
"""

from __future__ import annotations

import json

import geopandas as gpd
from flask import Blueprint, Response, jsonify

from hotspots.io import ATTRIBUTION
from hotspots.privacy import redact_places
from webapp.auth import may_see_addresses
from webapp.params import selection, store

bp = Blueprint("api", __name__)


def feature_collection(layer: gpd.GeoDataFrame, **members) -> dict:
    """A GeoJSON FeatureCollection (EPSG:4326) with the licence attribution and extra members.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> doc = feature_collection(gpd.GeoDataFrame({"n": [1]}, geometry=[Point(-1.9, 52.3)],
    ...                                           crs=4326), selection={"fy": "2018-19"})
    >>> doc["type"], doc["features"][0]["properties"], doc["selection"]
    ('FeatureCollection', {'n': 1}, {'fy': '2018-19'})
    """
    doc = json.loads(layer.to_crs(4326).to_json(na="null", drop_id=True))
    doc["attribution"] = ATTRIBUTION
    doc.update(members)
    return doc


def _json(text: str) -> Response:
    return Response(text, mimetype="application/json")


@bp.route("/healthz")
def healthz():
    """200 ``{"status": "ok"}`` while the app runs (no login needed)."""
    return jsonify({"status": "ok"})


@bp.route("/api/clusters")
def clusters():
    """Hotspot outlines of the selection with their summaries, change and chance test (GeoJSON).

    Each feature has ``p_value``, ``q_value`` and ``significant`` (the period's
    Monte Carlo test, :meth:`webapp.data.DataStore.chance`); ``chance_test``
    says how it was made and ``simulations`` how many.
    """
    sel = selection()
    full = may_see_addresses()

    def compute(_) -> str:
        found = store().tested_clusters(sel)
        doc = feature_collection(found if full else redact_places(found), selection=sel.params(),
                                 min_samples=found.attrs.get("min_samples"),
                                 eps_m=found.attrs.get("eps_m"),
                                 compared_with=found.attrs.get("compared_with"),
                                 chance_test=found.attrs.get("significance"),
                                 simulations=found.attrs.get("simulations"))  # fmt: skip
        return json.dumps(doc, ensure_ascii=False)

    return _json(store().cached("api_clusters_full" if full else "api_clusters", sel, compute))


@bp.route("/api/wards")
def wards():
    """Wards with the selection's incident counts and rates per 1,000 (GeoJSON)."""
    sel = selection()

    def compute(_) -> str:
        doc = feature_collection(store().ward_layer(sel), selection=sel.params())
        return json.dumps(doc, ensure_ascii=False)

    return _json(store().cached("api_wards", sel, compute))


@bp.route("/api/patterns")
def patterns():
    """How places changed: the pattern squares up to the selection (GeoJSON, EPSG:4326).

    What the map's "How places changed" layer fetches when it is switched on
    (:func:`hotspots.draw.webmap.pattern_features`; one shape per class and history).
    An empty collection when the data holds fewer than two seasons up to it.
    """
    sel = selection()

    def compute(_) -> str:
        from hotspots.draw.webmap import pattern_features

        cells = store().patterns(sel)
        doc = {"type": "FeatureCollection", "features": []}
        if cells is not None:
            doc = pattern_features(cells)
        doc.update(attribution=ATTRIBUTION, selection=sel.params(),
                   periods=[] if cells is None else cells.attrs["periods"])  # fmt: skip
        return json.dumps(doc, ensure_ascii=False)

    return _json(store().cached("api_patterns", sel, compute))


@bp.route("/api/incidents/summary")
def summary():
    """Counts of the selection: by ward, month, season and category (JSON)."""
    return jsonify(store().summary(selection()))
