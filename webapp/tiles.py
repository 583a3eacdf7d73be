"""The basemap and streets of the web app's maps, and the route serving local tiles.

Configuration (see :mod:`webapp`):

* ``HOTSPOTS_BASEMAP``: ``none`` (default), ``osm``, ``os-road``, ``os-light``, an
  XYZ template or a ``.mbtiles`` / ``.pmtiles`` file (see :mod:`hotspots.draw.basemap`);
  ``HOTSPOTS_BASEMAP_ATTRIBUTION``; ``HOTSPOTS_OS_API_KEY``. The older
  ``HOTSPOTS_TILES_URL`` / ``HOTSPOTS_TILES_ATTRIBUTION`` still work.
* ``HOTSPOTS_ROADS``: a street layer (the demo's own made-up streets on the demo).

A local tile file is served from ``/tiles/<z>/<x>/<y>.<ext>``, so the browser
never needs a tile server outside the app (an air-gapped deployment still has
streets). A tile the file does not hold is answered with a transparent tile; a
tile outside the file's zoom range or beyond ``2**z`` is a 404, checked before
any arithmetic (a request cannot make the server compute ``2**99999999999``).
"""

from __future__ import annotations

import base64
from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, abort, current_app

from boundaries import get_path
from hotspots.draw.basemap import EMPTY_PNG_B64, MAX_ZOOM, Basemap, open_tiles, resolve_basemap

bp = Blueprint("tiles", __name__)

#: A 1x1 fully transparent PNG, for tiles the file does not hold.
EMPTY_PNG = base64.b64decode(EMPTY_PNG_B64)


def basemap_from_config(config) -> Basemap:
    """The configured basemap (checked: a bad value raises HotspotsError saying the fix).

    Examples
    --------
    >>> basemap_from_config({}).kind
    'none'
    >>> basemap_from_config({"HOTSPOTS_BASEMAP": "osm"}).url
    'https://tile.openstreetmap.org/{z}/{x}/{y}.png'
    >>> basemap_from_config({"HOTSPOTS_TILES_URL": "https://{s}.t.example/{z}/{x}/{y}.png"}).attribution
    'Basemap: t.example'
    """
    spec = config.get("HOTSPOTS_BASEMAP") or None
    attribution = config.get("HOTSPOTS_BASEMAP_ATTRIBUTION") or None
    legacy = config.get("HOTSPOTS_TILES_URL") or None
    if spec is None and legacy:  # the older setting: its attribution was optional
        spec = legacy
        attribution = (attribution or config.get("HOTSPOTS_TILES_ATTRIBUTION")
                       or f"Basemap: {urlsplit(legacy).netloc.replace('{s}.', '')}")  # fmt: skip
    return resolve_basemap(spec, attribution=attribution,
                           os_api_key=config.get("HOTSPOTS_OS_API_KEY") or None)  # fmt: skip


def roads_from_config(config, *, demo: bool) -> Path | None:
    """The street layer file: ``HOTSPOTS_ROADS``, else the demo's streets on the demo.

    ``HOTSPOTS_ROADS=none`` turns the demo's streets off.

    Examples
    --------
    >>> roads_from_config({}, demo=True).name, roads_from_config({}, demo=False)
    ('roads.geojson', None)
    """
    value = config.get("HOTSPOTS_ROADS")
    if value and str(value).lower() != "none":
        return Path(value)
    if demo and not value:
        return get_path("demo-roads")
    return None


def tile_in_range(basemap: Basemap, z: str, x: str, y: str) -> tuple[int, int, int] | None:
    """``(z, x, y)`` as numbers when the tile file can hold that tile, else None.

    The zoom is checked against the file's zoom range while still text (so a
    number of any size costs nothing), then ``x`` and ``y`` against ``2**z``.

    Examples
    --------
    >>> bm = Basemap(kind="mbtiles", min_zoom=10, max_zoom=15)
    >>> tile_in_range(bm, "12", "2025", "1347"), tile_in_range(bm, "99999999999999999999", "0", "0")
    ((12, 2025, 1347), None)
    >>> tile_in_range(bm, "12", "4096", "0"), tile_in_range(bm, "9", "0", "0")
    (None, None)
    """
    if not (z.isascii() and z.isdigit() and len(z) <= 2):  # zooms stop well before 100
        return None
    zoom = int(z)
    if not basemap.min_zoom <= zoom <= min(basemap.max_zoom, MAX_ZOOM):
        return None
    n = 1 << zoom
    limit = len(str(n))
    for part in (x, y):
        if not (part.isascii() and part.isdigit() and len(part) <= limit and int(part) < n):
            return None
    return zoom, int(x), int(y)


@bp.route("/tiles/<z>/<x>/<y>.<ext>")
def tile(z: str, x: str, y: str, ext: str):
    """One tile of the configured local ``.mbtiles`` / ``.pmtiles`` basemap.

    ``z``, ``x`` and ``y`` arrive as text and are checked (:func:`tile_in_range`)
    before any arithmetic: a tile the file cannot hold is a 404 at once.
    """
    basemap: Basemap | None = current_app.extensions.get("hotspots_basemap")
    if basemap is None or not basemap.is_local or ext != basemap.tile_format:
        abort(404)
    found = tile_in_range(basemap, z, x, y)
    if found is None:
        abort(404)
    z, x, y = found
    data = open_tiles(basemap.path).get(z, x, y)
    if data is None:
        response = Response(EMPTY_PNG, mimetype="image/png")
    else:
        response = Response(data, mimetype=basemap.media_type)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


def init_app(app: Flask) -> Basemap:
    """Resolve the basemap into ``app.extensions["hotspots_basemap"]`` and add the tile route."""
    basemap = basemap_from_config(app.config)
    app.extensions["hotspots_basemap"] = basemap
    app.register_blueprint(bp)
    return basemap


def static_style(app: Flask, *, dpi: int = 150):
    """A :class:`hotspots.draw.static.MapStyle` with the app's basemap and streets.

    For a PDF or PNG the app makes (a tasking sheet download): the same tiles
    and roads as its web map.

    Examples
    --------
    >>> from webapp import create_app
    >>> style = static_style(create_app({"TESTING": True, "HOTSPOTS_REQUIRE_LOGIN": False}))
    >>> style.basemap.kind, style.roads is not None
    ('none', True)
    """
    from hotspots.draw.static import MapStyle

    options = app.extensions["hotspots_store"].map_options
    roads = str(options.roads) if options.roads is not None else None
    return MapStyle(dpi=dpi, basemap=app.extensions["hotspots_basemap"], roads=roads)
