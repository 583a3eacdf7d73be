"""Leaflet and its plugins, served by the app from packages installed from PyPI.

Nothing is committed to the repository and nothing is fetched from a CDN:
``/static/vendor/<library>/<file>`` serves a file of an installed package
(XStatic-Leaflet, XStatic-Leaflet-MarkerCluster, and folium's own copy of
Leaflet.heat). Which files exist, and how folium's links are rewritten to
these URLs, is :mod:`hotspots.draw.assets`.
"""

from __future__ import annotations

from flask import Blueprint, abort, send_file

bp = Blueprint("vendor", __name__)
MAX_AGE = 7 * 24 * 3600


@bp.route("/static/vendor/<library>/<path:filename>")
def asset(library: str, filename: str):
    """Serve one file of a vendored library (404 for anything a map does not use)."""
    from hotspots.draw.assets import vendor_file

    path = vendor_file(library, filename)
    if path is None:
        abort(404)
    return send_file(path, max_age=MAX_AGE)
