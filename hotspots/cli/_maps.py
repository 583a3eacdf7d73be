"""The map options shared by ``serve``, ``map``, ``export`` and ``tasking``: basemap and streets."""

from __future__ import annotations

from collections.abc import Callable

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
                     help="Street layer drawn with names on every map: an OpenStreetMap "
                          "extract (.osm.pbf), OS Open Roads (GeoPackage or shapefile), 'hotspots "
                          "fetch streets' output, or any lines with a name column; needs no "
                          "tiles. Default: the store's streets (ingest --roads, fetch streets "
                          "--store); on the demo its own made-up streets; 'none' turns them off."),
    ]  # fmt: skip
    for option in reversed(options):
        func = option(func)
    return func


def map_style(kwargs: dict, *, spec, dpi: int):
    """A :class:`hotspots.draw.static.MapStyle` from the map options (they are popped from ``kwargs``).

    The streets are ``--roads``, else the store's, else the demo's
    (:func:`hotspots.loader.load_streets`).
    """
    from hotspots.draw.static import MapStyle
    from hotspots.loader import load_streets

    return MapStyle(
        dpi=dpi,
        basemap=kwargs.pop("basemap", None),
        basemap_attribution=kwargs.pop("basemap_attribution", None),
        os_api_key=kwargs.pop("os_api_key", None),
        roads=load_streets(spec, kwargs.pop("roads", None)),
    )
