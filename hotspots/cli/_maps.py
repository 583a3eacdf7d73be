"""The map options shared by ``serve``, ``map``, ``export`` and ``tasking``: basemap and streets."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

BASEMAP_HELP = (
    "Tiles under the maps: none (default: works offline), osm (OpenStreetMap; needs the "
    "network), os-road / os-light (OS Maps API; needs --os-api-key), an XYZ template "
    "https://host/{z}/{x}/{y}.png (with --basemap-attribution), or a local .mbtiles / "
    ".pmtiles raster file (no network; the web app serves its tiles itself)."
)


def map_options(func: Callable) -> Callable:
    """``--basemap``, ``--basemap-attribution``, ``--os-api-key`` and ``--roads``."""
    options = [
        click.option("--basemap", metavar="NAME|URL|FILE", envvar="HOTSPOTS_BASEMAP",
                     help=BASEMAP_HELP),
        click.option("--basemap-attribution", metavar="TEXT",
                     envvar="HOTSPOTS_BASEMAP_ATTRIBUTION",
                     help="The basemap's licence text (required for an XYZ template; a tile "
                          "file's own attribution is used otherwise)."),
        click.option("--os-api-key", metavar="KEY", envvar="HOTSPOTS_OS_API_KEY",
                     help="OS Maps API key for os-road / os-light (free to the public sector "
                          "under the PSGA). Also read from HOTSPOTS_OS_API_KEY."),
        click.option("--roads", "roads", metavar="FILE|none", envvar="HOTSPOTS_ROADS",
                     help="Street layer drawn with names on every map (OS Open Roads "
                          "GeoPackage or shapefile, or any lines with a name column); needs no "
                          "tiles. Default on the demo: its own made-up streets; 'none' turns "
                          "them off."),
    ]  # fmt: skip
    for option in reversed(options):
        func = option(func)
    return func


def roads_path(value: str | None, *, demo: bool) -> Path | None:
    """The street layer file: ``--roads``, else the demo's streets on the demo.

    Examples
    --------
    >>> roads_path(None, demo=True).name, roads_path("none", demo=True), roads_path(None, demo=False)
    ('roads.geojson', None, None)
    """
    if value and value.lower() != "none":
        return Path(value)
    if demo and not value:
        from boundaries import get_path

        return get_path("demo-roads")
    return None


def map_style(kwargs: dict, *, demo: bool, dpi: int):
    """A :class:`hotspots.draw.static.MapStyle` from the map options (they are popped from ``kwargs``)."""
    from hotspots.draw.static import MapStyle

    roads = roads_path(kwargs.pop("roads", None), demo=demo)
    return MapStyle(
        dpi=dpi,
        basemap=kwargs.pop("basemap", None),
        basemap_attribution=kwargs.pop("basemap_attribution", None),
        os_api_key=kwargs.pop("os_api_key", None),
        roads=str(roads) if roads else None,
    )
