"""Small raster tile files made by the tests: an MBTiles (SQLite) and a PMTiles copy.

Every tile is the same flat colour with a darker one-pixel grid line at its
edges, so a test can tell tile content apart from the map's own colours.
"""

from __future__ import annotations

import io
import math
import sqlite3
from pathlib import Path

from PIL import Image

#: The tiles' fill colour (a green no map layer uses) and their edge colour.
TILE_RGB = (120, 200, 90)
EDGE_RGB = (60, 110, 40)
ATTRIBUTION = "Test tiles made by the test suite"


def tile_png(rgb=TILE_RGB) -> bytes:
    """One 256 x 256 PNG tile: flat colour, darker edges."""
    img = Image.new("RGB", (256, 256), rgb)
    for i in range(256):
        for xy in ((i, 0), (0, i)):
            img.putpixel(xy, EDGE_RGB)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def _xy(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return x, y


def make_mbtiles(path: Path, *, bounds=(-2.02, 52.24, -1.86, 52.36), zooms=range(10, 16),
                 rgb=TILE_RGB) -> Path:  # fmt: skip
    """Write an MBTiles file covering ``bounds`` (lon/lat) at ``zooms``; returns the path."""
    data = tile_png(rgb)
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE metadata (name TEXT, value TEXT);"
        "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, "
        "tile_data BLOB);"
    )
    meta = {"name": "test tiles", "format": "png", "minzoom": str(min(zooms)),
            "maxzoom": str(max(zooms)), "attribution": ATTRIBUTION,
            "bounds": ",".join(str(v) for v in bounds)}  # fmt: skip
    conn.executemany("INSERT INTO metadata VALUES (?, ?)", list(meta.items()))
    rows = []
    for z in zooms:
        x0, y0 = _xy(bounds[0], bounds[3], z)
        x1, y1 = _xy(bounds[2], bounds[1], z)
        for x in range(x0, x1 + 1):
            for y in range(y0, y1 + 1):
                rows.append((z, x, (1 << z) - 1 - y, data))
    conn.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)", rows)
    conn.commit()
    conn.close()
    return path


def make_pmtiles(path: Path, **kwargs) -> Path:
    """The same tiles as :func:`make_mbtiles`, as a PMTiles file (via the pmtiles package)."""
    from pmtiles.convert import mbtiles_to_pmtiles

    source = path.with_suffix(".source.mbtiles")
    make_mbtiles(source, **kwargs)
    mbtiles_to_pmtiles(str(source), str(path), None)
    return path
