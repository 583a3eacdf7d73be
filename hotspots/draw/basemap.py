"""Basemap tiles under every map: from a tile server, a local file, or none.

``--basemap`` (``HOTSPOTS_BASEMAP`` in the web app) takes:

=====================  ===============================================================
``none`` (default)     no tiles: nothing is fetched, the map works offline. Streets come
                       from ``--roads`` (the demo ships its own made-up streets).
``osm``                OpenStreetMap's standard tiles ("© OpenStreetMap contributors");
                       mind their tile usage policy (light use, no bulk downloads).
``os-road``,           the OS Maps API (Road or Light style, Web Mercator); needs
``os-light``           ``--os-api-key`` (``HOTSPOTS_OS_API_KEY``), free to the public
                       sector under the PSGA.
an XYZ template        ``https://host/{z}/{x}/{y}.png`` (``{s}`` for subdomains), with
                       ``--basemap-attribution``.
a ``.mbtiles`` or      a local raster tile file (PNG, JPEG or WebP tiles). The web app
``.pmtiles`` file      serves its tiles itself (``/tiles/{z}/{x}/{y}``), so an air-gapped
                       deployment still has streets; static maps read the file directly.
=====================  ===============================================================

The web map reads tiles in the browser; static maps (PNG, SVG, PDF, tasking
sheets) draw them with matplotlib from :func:`tile_mosaic`, reprojected to the
British National Grid.
"""

from __future__ import annotations

import datetime as _dt
import functools
import io
import logging
import math
import sqlite3
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hotspots._errors import HotspotsError

log = logging.getLogger(__name__)

NONE = "none"
OSM_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = "© OpenStreetMap contributors (openstreetmap.org/copyright)"
OS_URL = "https://api.os.uk/maps/raster/v1/zxy/{layer}/{{z}}/{{x}}/{{y}}.png?key={key}"
OS_LAYERS = {"os-road": "Road_3857", "os-light": "Light_3857"}
#: The web app's route for tiles of a local file (``{ext}`` is the tiles' format).
LOCAL_ROUTE = "/tiles/{z}/{x}/{y}.{ext}"
NAMED = (NONE, "osm", *OS_LAYERS)
_EARTH = 6378137.0
_ORIGIN = math.pi * _EARTH
_TILE_FORMATS = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg",
                 "webp": "image/webp"}  # fmt: skip
#: A 1x1 fully transparent PNG (base64): the answer for a tile a local file does not hold.
EMPTY_PNG_B64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNgYGBgAAAABQABeqhXUAAAAABJRU5ErkJggg=="
#: Most tiles fetched for one static map (the zoom is lowered until it fits).
MAX_STATIC_TILES = 48
#: The deepest zoom a tile file may claim (web maps stop near 22; PMTiles at 31).
MAX_ZOOM = 30
USER_AGENT = "hotspots-static-maps/0.1 (ASB hotspot maps; python urllib)"


def os_attribution(year: int | None = None) -> str:
    """The OS Maps API attribution.

    Examples
    --------
    >>> os_attribution(2026)
    'Contains OS data © Crown copyright and database rights 2026'
    """
    return f"Contains OS data © Crown copyright and database rights {year or _dt.date.today().year}"


@dataclass(frozen=True)
class Basemap:
    """A resolved ``--basemap`` choice.

    Attributes
    ----------
    kind : {"none", "url", "mbtiles", "pmtiles"}
    source : str
        What was asked for ("osm", a template, a file path, "none").
    url : str or None
        The tile URL template a browser uses (None for local files and none).
    path : Path or None
        The local tile file.
    attribution : str
        The basemap's licence text ("" for none).
    min_zoom, max_zoom : int
    tile_format : str
        "png", "jpg" or "webp".
    """

    kind: str = NONE
    source: str = NONE
    url: str | None = None
    path: Path | None = None
    attribution: str = ""
    min_zoom: int = 0
    max_zoom: int = 19
    tile_format: str = "png"

    @property
    def is_local(self) -> bool:
        """Tiles come from a local file."""
        return self.kind in ("mbtiles", "pmtiles")

    @property
    def enabled(self) -> bool:
        """There are tiles to draw."""
        return self.kind != NONE

    @property
    def media_type(self) -> str:
        """The tiles' MIME type."""
        return _TILE_FORMATS.get(self.tile_format, "image/png")

    def web_url(self, prefix: str = "") -> str | None:
        """The template a browser loads tiles from (the app's route for a local file).

        Examples
        --------
        >>> resolve_basemap("osm").web_url()
        'https://tile.openstreetmap.org/{z}/{x}/{y}.png'
        >>> Basemap(kind="mbtiles", tile_format="png").web_url()
        '/tiles/{z}/{x}/{y}.png'
        """
        if self.is_local:
            return prefix + LOCAL_ROUTE.replace("{ext}", self.tile_format)
        return self.url


def resolve_basemap(
    spec: str | None,
    *,
    attribution: str | None = None,
    os_api_key: str | None = None,
) -> Basemap:
    """Turn a ``--basemap`` value into a :class:`Basemap`, checking it.

    Parameters
    ----------
    spec : str or None
        ``none`` (or None / ""), ``osm``, ``os-road``, ``os-light``, an XYZ URL
        template, or a ``.mbtiles`` / ``.pmtiles`` file.
    attribution : str, optional
        The basemap's attribution (required for a URL template; overrides a
        file's own).
    os_api_key : str, optional
        The OS Maps API key (required for ``os-road`` / ``os-light``).

    Raises
    ------
    HotspotsError
        Naming what to fix: an unknown name, a template without ``{z}/{x}/{y}``
        or attribution, a missing key, a file that is not a raster tile file.

    Examples
    --------
    >>> resolve_basemap(None).kind, resolve_basemap("osm").attribution[:16]
    ('none', '© OpenStreetMap ')
    >>> resolve_basemap("os-light", os_api_key="K").url.split("?")[1]
    'key=K'
    >>> resolve_basemap("https://t.example/{z}/{x}/{y}.png", attribution="© T").kind
    'url'
    >>> resolve_basemap("os-road")
    Traceback (most recent call last):
    ...
    hotspots._errors.HotspotsError: --basemap os-road needs an OS Maps API key: give --os-api-key KEY (or HOTSPOTS_OS_API_KEY); keys are free to the public sector (PSGA) from the OS Data Hub
    """
    text = (spec or NONE).strip()
    low = text.lower()
    if low == NONE:
        return Basemap()
    if low == "osm":
        return Basemap("url", "osm", OSM_URL, None, attribution or OSM_ATTRIBUTION, 0, 19)
    if low in OS_LAYERS:
        if not os_api_key:
            raise HotspotsError(
                f"--basemap {low} needs an OS Maps API key: give --os-api-key KEY (or "
                "HOTSPOTS_OS_API_KEY); keys are free to the public sector (PSGA) from the OS Data Hub"
            )
        url = OS_URL.format(layer=OS_LAYERS[low], key=os_api_key)
        return Basemap("url", low, url, None, attribution or os_attribution(), 7, 20)
    if low.startswith(("http://", "https://")):
        missing = [p for p in ("{z}", "{x}", "{y}") if p not in text]
        if missing:
            raise HotspotsError(
                f"--basemap {text!r} is not an XYZ tile template: it lacks {', '.join(missing)}; "
                "give e.g. https://tiles.example.org/{z}/{x}/{y}.png"
            )
        if not attribution:
            raise HotspotsError(
                f"--basemap {text!r} needs --basemap-attribution TEXT: every map must credit its "
                "tiles (e.g. '© OpenStreetMap contributors')"
            )
        return Basemap("url", text, text, None, attribution, 0, 19)
    path = Path(text).expanduser()
    if path.suffix.lower() in (".mbtiles", ".pmtiles"):
        return _local(path, attribution)
    raise HotspotsError(
        f"--basemap {text!r} is not understood: give one of {list(NAMED)!r}, an XYZ template "
        "(https://host/{z}/{x}/{y}.png) or a .mbtiles / .pmtiles file"
    )


def _local(path: Path, attribution: str | None) -> Basemap:
    if not path.is_file():
        raise HotspotsError(f"--basemap {str(path)!r}: no such file")
    reader = open_tiles(path)
    meta = reader.metadata
    fmt = str(meta.get("format", "png")).lower()
    if fmt not in _TILE_FORMATS:
        raise HotspotsError(
            f"--basemap {str(path)!r} holds {fmt!r} tiles; only raster tiles (png, jpg, webp) "
            "can be drawn: render the vector tiles to raster first, or use --roads for streets"
        )
    attr = attribution or str(meta.get("attribution") or "").strip()
    if not attr:
        raise HotspotsError(
            f"--basemap {str(path)!r} has no attribution in its metadata: give "
            "--basemap-attribution TEXT (e.g. 'Contains OS data © Crown copyright')"
        )
    kind = path.suffix.lower().lstrip(".")
    try:
        zooms = sorted(min(max(int(meta.get(k, d)), 0), MAX_ZOOM)
                       for k, d in (("minzoom", 0), ("maxzoom", 19)))  # fmt: skip
    except (TypeError, ValueError):
        raise HotspotsError(
            f"--basemap {str(path)!r}: its minzoom/maxzoom metadata are not whole numbers "
            f"({meta.get('minzoom')!r}, {meta.get('maxzoom')!r}); fix the file's metadata"
        ) from None
    return Basemap(kind, str(path), None, path.resolve(), attr, zooms[0], zooms[1], fmt)


# --------------------------------------------------------------------------- local tile files


class TileFile:
    """Read tiles by ``z/x/y`` (XYZ numbering) from an MBTiles or PMTiles file (thread-safe)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.kind = self.path.suffix.lower().lstrip(".")
        self._local = threading.local()
        self._lock = threading.Lock()
        try:
            self.metadata = self._read_metadata()
        except (sqlite3.Error, OSError, ValueError, KeyError) as exc:
            raise HotspotsError(
                f"{self.path}: cannot be read as a {self.kind} tile file ({exc}); give an "
                "MBTiles (SQLite) or PMTiles v3 file"
            ) from None

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(f"file:{self.path.resolve()}?mode=ro", uri=True)
            self._local.conn = conn
        return conn

    def _pmtiles(self):
        reader = getattr(self, "_pm", None)
        if reader is None:
            from pmtiles.reader import MmapSource, Reader

            handle = open(self.path, "rb")  # noqa: SIM115 - kept open for the mmap's lifetime
            reader = self._pm = Reader(MmapSource(handle))
        return reader

    def _read_metadata(self) -> dict:
        if self.kind == "mbtiles":
            rows = self._conn().execute("SELECT name, value FROM metadata").fetchall()
            return {str(k): v for k, v in rows}
        reader = self._pmtiles()
        header = reader.header()
        meta = dict(reader.metadata())
        types = {1: "pbf", 2: "png", 3: "jpg", 4: "webp"}
        tile_type = getattr(header["tile_type"], "value", header["tile_type"])
        meta.setdefault("format", types.get(int(tile_type), "unknown"))
        meta.setdefault("minzoom", header["min_zoom"])
        meta.setdefault("maxzoom", header["max_zoom"])
        return meta

    def get(self, z: int, x: int, y: int) -> bytes | None:
        """The tile's bytes, or None when the file has no such tile."""
        if not 0 <= z <= MAX_ZOOM or not (0 <= x < 1 << z and 0 <= y < 1 << z):
            return None
        if self.kind == "mbtiles":
            row = (
                self._conn()
                .execute(
                    "SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? AND tile_row=?",
                    (z, x, (1 << z) - 1 - y),  # MBTiles rows count from the south (TMS)
                )
                .fetchone()
            )
            return bytes(row[0]) if row else None
        with self._lock:
            data = self._pmtiles().get(z, x, y)
        return bytes(data) if data else None


@functools.lru_cache(maxsize=8)
def open_tiles(path: str | Path) -> TileFile:
    """A (cached) :class:`TileFile` for ``path``."""
    return TileFile(path)


# --------------------------------------------------------------------------- static maps


def _fetch_url(template: str) -> Callable[[int, int, int], bytes | None]:
    def get(z: int, x: int, y: int) -> bytes | None:
        url = template.replace("{s}", "a").replace("{r}", "")
        url = url.replace("{z}", str(z)).replace("{x}", str(x)).replace("{y}", str(y))
        req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
        try:
            with urllib.request.urlopen(req, timeout=15) as resp:
                return resp.read()
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
            raise HotspotsError(f"basemap tiles could not be fetched ({exc}); check --basemap, "
                                "or use --basemap none or a local .mbtiles file") from None  # fmt: skip
        except (urllib.error.URLError, OSError) as exc:
            raise HotspotsError(
                f"basemap tiles could not be fetched from {template.split('?')[0]!r} ({exc}); "
                "this needs the network: use --basemap none, or a local .mbtiles/.pmtiles file"
            ) from None

    return get


def tile_getter(basemap: Basemap) -> Callable[[int, int, int], bytes | None]:
    """A function ``(z, x, y) -> bytes or None`` reading the basemap's tiles."""
    if basemap.is_local:
        return open_tiles(basemap.path).get
    if basemap.kind == "url":
        return _fetch_url(basemap.url)
    raise HotspotsError("no basemap to read tiles from (--basemap none)")


def _mercator(lon, lat):
    x = np.radians(lon) * _EARTH
    y = np.log(np.tan(np.pi / 4 + np.radians(lat) / 2)) * _EARTH
    return x, y


def _decode(data: bytes | None) -> np.ndarray | None:
    if not data:
        return None
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as img:
            return np.asarray(img.convert("RGBA"))
    except Exception:  # a broken tile is left blank rather than failing the map
        log.warning("a basemap tile could not be decoded; left blank")
        return None


def tile_mosaic(
    basemap: Basemap,
    extent: tuple[float, float, float, float],
    *,
    width_px: int = 1200,
    getter: Callable[[int, int, int], bytes | None] | None = None,
) -> np.ndarray | None:
    """The basemap over an EPSG:27700 extent, as an RGBA image on the British National Grid.

    Tiles (Web Mercator) are read at the zoom that gives about ``width_px``
    pixels across the extent, then resampled (nearest pixel) onto a grid in
    EPSG:27700 metres, so ``ax.imshow(img, extent=(x0, x1, y0, y1))`` puts
    them under the map.

    Parameters
    ----------
    basemap : Basemap
    extent : tuple
        ``(xmin, ymin, xmax, ymax)`` in EPSG:27700.
    width_px : int, default 1200
        Output width in pixels.
    getter : callable, optional
        ``(z, x, y) -> bytes``; default :func:`tile_getter`.

    Returns
    -------
    numpy.ndarray or None
        ``(height, width, 4)`` uint8; None when no tile covers the extent.
    """
    from hotspots.read.geocode import bng_to_lonlat

    getter = getter or tile_getter(basemap)
    x0, y0, x1, y1 = (float(v) for v in extent)
    height_px = max(1, round(width_px * (y1 - y0) / (x1 - x0)))
    gx = np.linspace(x0, x1, 9)
    gy = np.linspace(y0, y1, 9)
    ex, ey = np.meshgrid(gx, gy)
    lon, lat = bng_to_lonlat(ex.ravel(), ey.ravel())
    mx, my = _mercator(np.asarray(lon), np.asarray(lat))
    span = float(mx.max() - mx.min())
    zoom = int(np.clip(math.floor(math.log2(2 * _ORIGIN * width_px / (256 * span))),
                       basemap.min_zoom, basemap.max_zoom))  # fmt: skip
    while True:
        n = 2**zoom
        size = 2 * _ORIGIN / n
        tx0, tx1 = int((mx.min() + _ORIGIN) // size), int((mx.max() + _ORIGIN) // size)
        ty0, ty1 = int((_ORIGIN - my.max()) // size), int((_ORIGIN - my.min()) // size)
        count = (tx1 - tx0 + 1) * (ty1 - ty0 + 1)
        if count <= MAX_STATIC_TILES or zoom <= basemap.min_zoom:
            break
        zoom -= 1
    mosaic = np.zeros(((ty1 - ty0 + 1) * 256, (tx1 - tx0 + 1) * 256, 4), dtype=np.uint8)
    found = False
    for ty in range(ty0, ty1 + 1):
        for tx in range(tx0, tx1 + 1):
            tile = _decode(getter(zoom, tx % n, ty)) if 0 <= ty < n else None
            if tile is None:
                continue
            if tile.shape[:2] != (256, 256):
                from PIL import Image

                tile = np.asarray(Image.fromarray(tile).resize((256, 256)))
            found = True
            r, c = (ty - ty0) * 256, (tx - tx0) * 256
            mosaic[r : r + 256, c : c + 256] = tile
    if not found:
        return None
    # Each output pixel's centre, EPSG:27700 -> Web Mercator -> mosaic pixel.
    px = x0 + (np.arange(width_px) + 0.5) * (x1 - x0) / width_px
    py = y1 - (np.arange(height_px) + 0.5) * (y1 - y0) / height_px
    PX, PY = np.meshgrid(px, py)
    lon, lat = bng_to_lonlat(PX.ravel(), PY.ravel())
    mx, my = _mercator(np.asarray(lon), np.asarray(lat))
    col = ((mx + _ORIGIN) / size - tx0) * 256
    row = ((_ORIGIN - my) / size - ty0) * 256
    col = np.clip(col.astype(int), 0, mosaic.shape[1] - 1)
    row = np.clip(row.astype(int), 0, mosaic.shape[0] - 1)
    return mosaic[row, col].reshape(height_px, width_px, 4)


def tiles_over(bounds, zoom: int) -> list[tuple[int, int, int]]:
    """The ``(z, x, y)`` tiles covering EPSG:27700 ``bounds`` at ``zoom``.

    Examples
    --------
    >>> len(tiles_over((403000, 266000, 405000, 268000), 12)) <= 4
    True
    """
    from hotspots.read.geocode import bng_to_lonlat

    x0, y0, x1, y1 = (float(v) for v in bounds)
    lon, lat = bng_to_lonlat([x0, x1, x0, x1], [y0, y0, y1, y1])
    mx, my = _mercator(np.asarray(lon), np.asarray(lat))
    size = 2 * _ORIGIN / 2**zoom
    tx0, tx1 = int((mx.min() + _ORIGIN) // size), int((mx.max() + _ORIGIN) // size)
    ty0, ty1 = int((_ORIGIN - my.max()) // size), int((_ORIGIN - my.min()) // size)
    return [(zoom, x, y) for x in range(tx0, tx1 + 1) for y in range(ty0, ty1 + 1)]


def embedded_tiles(basemap: Basemap, bounds, *, max_tiles: int = 400) -> dict[str, str]:
    """A local basemap's tiles over ``bounds`` as ``{"z/x/y": data URI}``, for a one-file map.

    Zoom levels are added from the file's lowest up while the total stays
    within ``max_tiles`` (a file this big is a few MB); the map enlarges the
    deepest level beyond that.
    """
    import base64

    getter = tile_getter(basemap)
    out: dict[str, str] = {}
    for zoom in range(max(basemap.min_zoom, 8), basemap.max_zoom + 1):
        wanted = tiles_over(bounds, zoom)
        if out and len(out) + len(wanted) > max_tiles:
            break
        for z, x, y in wanted:
            data = getter(z, x, y)
            if data:
                out[f"{z}/{x}/{y}"] = (f"data:{basemap.media_type};base64,"
                                       + base64.b64encode(data).decode("ascii"))  # fmt: skip
    return out
