"""Static maps, tasking sheets and batch exports for reports and patrol planning.

Maps are drawn with matplotlib only (no pyplot state, one figure per map): ward
outlines and names, town and district centres (labelled), streets from a roads
layer (with names), hotspot hulls in the colour classes of
:mod:`hotspots.cartography` (the web map's), each labelled with its rank and
main street ("1 Unicorn Hill"), title, legend, scale bar, north arrow, and the
data source, date range and licence attribution (the basemap's too). They are
written as PNG (print resolution), SVG or PDF. Basemap tiles
(:mod:`hotspots.basemap`: a local .mbtiles / .pmtiles file read directly, or
a tile server) are optional and off by default.

Every file is written through :func:`hotspots.io.atomic_path`, so a failure
leaves finished files and no partial one. :func:`run_batch` writes every
combination asked for, an ``index.html``, a report pack PDF and a manifest
(``manifest.json``) of what each output was made from, so that re-running
skips what is up to date.
"""

from __future__ import annotations

import dataclasses
import hashlib
import html
import itertools
import json
import logging
import os
import re
import textwrap
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib import colormaps, rc_context
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.patheffects import withStroke

from hotspots import __version__
from hotspots import cartography as carto
from hotspots._errors import HotspotsError
from hotspots._validate import to_analysis_crs
from hotspots.basemap import Basemap, resolve_basemap, tile_mosaic
from hotspots.cluster import ClusterParams
from hotspots.io import ATTRIBUTION, atomic_path, write_layer, write_table
from hotspots.pipeline import Prepared, hotspots_for, select_incidents
from hotspots.roads import clip_roads, name_points, read_roads
from hotspots.seasons import SEASON_MONTHS, monthly_profile
from hotspots.tasking import tasking
from hotspots.wards import ward_table

log = logging.getLogger(__name__)

MAP_FORMATS = ("png", "svg", "pdf")
SHEET_FORMATS = (".pdf", ".html", ".csv", ".geojson", ".json", ".gpkg")
BY_CHOICES = ("season", "fy", "area", "ward")
#: Seasons in financial-year order (April to March).
FY_SEASONS = ("spring", "summer", "autumn", "winter")
MANIFEST = "manifest.json"
INDEX = "index.html"
PACK = "report.pdf"
DEMO_NOTE = "Demo borough: approximate boundaries, incidents made by the project (not real data)."
_A4_LANDSCAPE = (11.69, 8.27)
#: Hull opacity on a static map with basemap tiles (opaque without, so colours match the legend).
STATIC_TILE_OPACITY = 0.75
_HALO = [withStroke(linewidth=2.2, foreground="white")]
_RC = {"pdf.fonttype": 42, "svg.fonttype": "none", "font.size": 9}
_SAVE_META = {
    "png": {"Software": None},
    "svg": {"Date": None},
    "pdf": {"CreationDate": None, "Producer": None},
}


# --------------------------------------------------------------------------- styles and notes


@dataclass(frozen=True)
class MapStyle:
    """How static maps look.

    Attributes
    ----------
    dpi : int, default 300
        Resolution of PNG output (print quality); SVG and PDF are vector.
    size_in : tuple of float, default (9, 6.5)
        Figure width and height in inches.
    basemap : Basemap, str or None, default None
        Tiles under the map (:func:`hotspots.basemap.resolve_basemap`): "none",
        "osm", "os-road", "os-light", an XYZ template or a local ``.mbtiles`` /
        ``.pmtiles`` file (read directly, no network). None draws no tiles.
    basemap_attribution, os_api_key : str, optional
        For a template basemap / the OS Maps API.
    roads : GeoDataFrame, str, Path or None
        A street layer (:func:`hotspots.roads.read_roads`) drawn with names.

    Colours come from :mod:`hotspots.cartography` (the same as the web map's).
    """

    dpi: int = 300
    size_in: tuple[float, float] = (9.0, 6.5)
    basemap: Basemap | str | None = None
    basemap_attribution: str | None = None
    os_api_key: str | None = field(default=None, repr=False)
    roads: object = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if int(self.dpi) < 30:
            raise HotspotsError(f"dpi must be 30 or more (300 for print); got {self.dpi!r}")
        if not isinstance(self.basemap, Basemap):
            object.__setattr__(self, "basemap", resolve_basemap(
                self.basemap, attribution=self.basemap_attribution, os_api_key=self.os_api_key))  # fmt: skip
        if isinstance(self.roads, str | Path):
            object.__setattr__(self, "roads", read_roads(self.roads))

    @property
    def key(self) -> list:
        """What a manifest compares: DPI, size, basemap and roads."""
        roads = self.roads
        roads_key = (len(roads), float(roads.length.sum())) if roads is not None else None
        return [self.dpi, list(self.size_in), self.basemap.source, roads_key]

    def attribution(self) -> str:
        """The licence line of a map: the data's and the basemap's."""
        return carto.attribution(self.basemap.attribution if self.basemap.enabled else None)


def is_demo(prepared: Prepared) -> bool:
    """True when the incidents are the embedded demo borough's."""
    from boundaries import get_path

    demo = str(get_path("demo-incidents"))
    return any(
        str(f) == demo or str(f).endswith("data/demo/incidents.csv") for f in prepared.load.files
    )


def month_range(incidents: pd.DataFrame) -> str:
    """The first and last month of some incidents, e.g. ``"Oct 2018 to Nov 2018"``.

    Examples
    --------
    >>> import pandas as pd
    >>> month_range(pd.DataFrame({"month": ["2018-11", "2018-10", "2018-11"]}))
    'Oct 2018 to Nov 2018'
    >>> month_range(pd.DataFrame({"month": []}))
    'no incidents'
    """
    months = sorted(m for m in incidents["month"].dropna().unique() if m)
    if not months:
        return "no incidents"
    first, last = (pd.Timestamp(f"{m}-01").strftime("%b %Y") for m in (months[0], months[-1]))
    return first if first == last else f"{first} to {last}"


def data_note(incidents: pd.DataFrame, *, demo: bool = False) -> str:
    """Say where the incidents came from and which months they cover.

    Examples
    --------
    >>> import pandas as pd
    >>> data_note(pd.DataFrame({"month": ["2018-10"], "date_precision": ["month"]}))
    'Data: police.uk street-level ASB, Oct 2018.'
    """
    if demo:
        return f"Data: demo borough made by the project, {month_range(incidents)}."
    kinds = set(incidents["date_precision"].unique()) if "date_precision" in incidents else set()
    sources = []
    if "month" in kinds:
        sources.append("police.uk street-level ASB")
    if kinds - {"month"}:
        sources.append("council ASB records")
    return f"Data: {' and '.join(sources) or 'ASB incidents'}, {month_range(incidents)}."


def slug(text: str) -> str:
    """A file-name part: lower case, words joined by hyphens.

    Examples
    --------
    >>> slug("Batchley & Brockhill"), slug("Town centre")
    ('batchley-brockhill', 'town-centre')
    """
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-") or "unnamed"


def selection_title(
    *,
    season: str | None,
    financial_year: str | None,
    area: str | None = None,
    ward: str | None = None,
) -> str:
    """A map or page title for a selection.

    Examples
    --------
    >>> selection_title(season="autumn", financial_year="2018-19", area="Town centre")
    'ASB hotspots: Town centre, autumn (Sep-Nov), financial year 2018-19'
    """
    where = ", ".join(p for p in (area, ward and f"{ward} ward") if p) or "whole borough"
    parts = [where]
    if season and season != "all":
        months = [pd.Timestamp(2000, m, 1).strftime("%b") for m in SEASON_MONTHS[season]]
        parts.append(f"{season} ({months[0]}-{months[-1]})")
    if financial_year:
        parts.append(f"financial year {financial_year}")
    return "ASB hotspots: " + ", ".join(parts)


# --------------------------------------------------------------------------- map drawing


@dataclass(frozen=True)
class WardLayer:
    """Ward outlines ready to draw many times (segments and label points, EPSG:27700)."""

    segments: tuple[np.ndarray, ...]
    labels: tuple[tuple[float, float, str], ...]
    bounds: tuple[float, float, float, float]

    @classmethod
    def of(cls, wards: gpd.GeoDataFrame) -> WardLayer:
        """Build the layer once from :func:`boundaries.load_wards` output."""
        wards = to_analysis_crs(wards)
        segments = []
        for line in wards.geometry.boundary.explode(index_parts=False):
            if line is not None and not line.is_empty:
                segments.append(np.asarray(line.coords)[:, :2])
        points = wards.geometry.representative_point()
        labels = tuple((float(p.x), float(p.y), str(n)) for p, n in zip(points, wards["ward_name"]))
        return cls(tuple(segments), labels, tuple(float(v) for v in wards.total_bounds))


def _polygons(geoms: Iterable) -> list[np.ndarray]:
    rings = []
    for geom in geoms:
        parts = getattr(geom, "geoms", [geom])
        for part in parts:
            if part is not None and not part.is_empty:
                rings.append(np.asarray(part.exterior.coords)[:, :2])
    return rings


def _nice_length(span_m: float) -> float:
    """A round scale-bar length near a fifth of the map's width."""
    target = span_m / 5
    for value in (50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000, 50000):
        if value >= target:
            return float(value)
    return 100000.0


def _scale_bar(ax, extent: tuple[float, float, float, float]) -> None:
    x0, y0, x1, y1 = extent
    length = _nice_length(x1 - x0)
    left, bottom = x0 + 0.04 * (x1 - x0), y0 + 0.04 * (y1 - y0)
    height = 0.012 * (y1 - y0)
    half = length / 2
    ax.add_patch(Rectangle((left, bottom), half, height, fc="black", ec="black", lw=0.6, zorder=6))
    ax.add_patch(
        Rectangle((left + half, bottom), half, height, fc="white", ec="black", lw=0.6, zorder=6)
    )
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    for x, text in ((left, "0"), (left + length, label)):
        ax.text(x, bottom + 1.6 * height, text, ha="center", va="bottom", fontsize=7, zorder=6)


def _north_arrow(ax) -> None:
    ax.annotate(
        "N", xy=(0.96, 0.97), xytext=(0.96, 0.87), xycoords="axes fraction",
        ha="center", va="center", fontsize=10, fontweight="bold", zorder=7,
        arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.2},
    )  # fmt: skip


def _extent(bounds: Sequence[float], *, pad: float = 0.04, min_span: float = 800.0) -> tuple:
    x0, y0, x1, y1 = (float(v) for v in bounds)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    w, h = max(x1 - x0, min_span), max(y1 - y0, min_span)
    w, h = w * (1 + 2 * pad), h * (1 + 2 * pad)
    return (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


def _add_basemap(ax, basemap: Basemap, extent: tuple, *, width_px: int) -> bool:
    img = tile_mosaic(basemap, extent, width_px=width_px)
    if img is None:
        log.warning("the basemap has no tiles over this map; drawn without")
        return False
    x0, y0, x1, y1 = extent
    ax.imshow(img, extent=(x0, x1, y0, y1), origin="upper", zorder=0, interpolation="bilinear")
    return True


def _draw_roads(ax, roads: gpd.GeoDataFrame, extent: tuple) -> None:
    """Streets over the hulls (thin grey lines) with their names along them."""
    x0, y0, x1, y1 = extent
    near = clip_roads(to_analysis_crs(roads), extent, pad_m=50.0)
    if near.empty:
        return
    span = max(x1 - x0, y1 - y0)
    for kind, width in (("local", 0.6), ("main", 1.2)):
        lines = near[near["kind"] == kind].geometry.explode(index_parts=False)
        segs = [np.asarray(g.coords)[:, :2] for g in lines if g is not None and not g.is_empty]
        if segs:
            ax.add_collection(LineCollection(segs, colors=carto.ROAD_COLOUR, linewidths=width,
                                             zorder=4.6, alpha=0.95))  # fmt: skip
    # Names: every street on a street-scale map, main roads only on a borough map.
    named = near if span <= 4500 else near[near["kind"] == "main"]
    pts = name_points(named, min_length_m=span / 25)
    for x, y, name, angle in zip(pts.geometry.x, pts.geometry.y, pts["name"], pts["angle"]):
        if x0 <= x <= x1 and y0 <= y <= y1:
            ax.text(x, y, name, rotation=angle, rotation_mode="anchor", ha="center", va="center",
                    fontsize=5.5 if span > 4500 else 6.5, style="italic",
                    color=carto.ROAD_NAME_COLOUR, zorder=5.2, clip_on=True,
                    path_effects=_HALO)  # fmt: skip


def draw_map(
    ax,
    clusters: gpd.GeoDataFrame,
    wards: WardLayer,
    *,
    extent: tuple[float, float, float, float] | None = None,
    areas: gpd.GeoDataFrame | None = None,
    style: MapStyle | None = None,
    numbers: bool = True,
    ward_names: bool = True,
    points: gpd.GeoDataFrame | None = None,
    classes: carto.Classes | None = None,
    width_px: int | None = None,
) -> carto.Classes | None:
    """Draw wards, focus areas and hotspot hulls on a matplotlib Axes.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw (EPSG:27700 metres as data coordinates).
    clusters : geopandas.GeoDataFrame
        Hotspot hulls with ``incidents`` and ``cluster_id`` (or ``rank``).
    wards : WardLayer
        From :meth:`WardLayer.of`.
    extent : tuple, optional
        ``(xmin, ymin, xmax, ymax)`` in metres; default the wards' extent.
    areas : geopandas.GeoDataFrame, optional
        Focus areas, drawn as dashed outlines.
    style : MapStyle, optional
    numbers : bool, default True
        Label each hotspot with its rank (``rank``, else ``cluster_id``) and main
        street (``place``, else ``top_locations``): "1 Unicorn Hill".
    ward_names : bool, default True
        Label the wards.
    points : geopandas.GeoDataFrame, optional
        Where to put the labels (a tasking sheet's points); default the hulls' centres.
    classes : hotspots.cartography.Classes, optional
        The colour classes (default: :func:`hotspots.cartography.hotspot_classes`
        of ``clusters``); pass the whole selection's when drawing a part of it.
    width_px : int, optional
        The map's width in pixels, for the basemap's zoom.

    Returns
    -------
    hotspots.cartography.Classes or None
        The colour classes of the hull fills (None when there are no hotspots).
    """
    style = style or MapStyle()
    extent = extent or _extent(wards.bounds)
    ax.set_xlim(extent[0], extent[2])
    ax.set_ylim(extent[1], extent[3])
    ax.set_aspect("equal")
    ax.set_axis_off()
    tiles = False
    if style.basemap.enabled:
        width_px = width_px or int(ax.get_position().width * ax.figure.get_figwidth() * style.dpi)
        tiles = _add_basemap(ax, style.basemap, extent, width_px=min(max(width_px, 400), 2400))
    ax.add_collection(LineCollection(wards.segments, colors=carto.WARD_OUTLINE, linewidths=0.7,
                                     zorder=2))  # fmt: skip
    if ward_names:
        x0, y0, x1, y1 = extent
        for x, y, name in wards.labels:
            if x0 <= x <= x1 and y0 <= y <= y1:
                ax.text(x, y, name, ha="center", va="center", fontsize=6.5, color="#333333",
                        zorder=3, clip_on=True)  # fmt: skip
    if areas is not None and not areas.empty:
        shapes = to_analysis_crs(areas)
        rings = _polygons(shapes.geometry)
        ax.add_collection(
            LineCollection(rings, colors=carto.CENTRE_COLOUR, linewidths=0.9,
                           linestyles=(0, carto.CENTRE_DASH), zorder=3)
        )  # fmt: skip
        b = shapes.geometry.bounds
        x0, y0, x1, y1 = extent
        small = max(x1 - x0, y1 - y0) > 4500  # a borough map: names of the centres only
        for x, y, name in zip((b["minx"] + b["maxx"]) / 2, b["miny"], shapes["name"]):
            if x0 <= x <= x1 and y0 <= y <= y1:
                ax.annotate(str(name), xy=(x, y), xytext=(0, -2), textcoords="offset points",
                            ha="center", va="top", fontsize=6 if small else 7.5,
                            fontweight="bold", style="italic", color=carto.CENTRE_COLOUR,
                            zorder=5.3, annotation_clip=True, path_effects=_HALO)  # fmt: skip
    classes = None
    if not clusters.empty:
        hulls = to_analysis_crs(clusters)
        classes = classes_for(clusters, classes)
        counts = hulls["incidents"].to_numpy(dtype=float)
        fills = classes.colours_for(counts)
        # Smallest first, so the largest hotspot is on top.
        order = np.argsort(counts, kind="stable")
        rings, colours = [], []
        for i in order:
            for ring in _polygons([hulls.geometry.iloc[i]]):
                rings.append(ring)
                colours.append(fills[i])
        ax.add_collection(PolyCollection(
            rings, facecolors=colours, edgecolors=carto.HOTSPOT_OUTLINE, linewidths=0.6, zorder=4,
            alpha=STATIC_TILE_OPACITY if tiles else 1.0))  # fmt: skip
    if style.roads is not None:
        _draw_roads(ax, style.roads, extent)
    if classes is not None and numbers:
        if points is not None and len(points) == len(hulls):
            pts = to_analysis_crs(points).geometry
            xs, ys = pts.x.to_numpy(), pts.y.to_numpy()
        else:
            centres = hulls.geometry.centroid
            xs, ys = centres.x.to_numpy(), centres.y.to_numpy()
        texts = carto.hotspot_labels(points if points is not None and len(points) == len(hulls)
                                     and "place" in points else hulls)  # fmt: skip
        # Labels sit beside each hotspot (up and right), so they never hide its colour.
        labels = [
            ax.annotate(text, xy=(x, y), xytext=(6, 6), textcoords="offset points",
                        ha="left", va="bottom", fontsize=6.5, fontweight="bold", zorder=6,
                        annotation_clip=True,
                        arrowprops={"arrowstyle": "-", "lw": 0.5, "color": "#333333"},
                        bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "#333333",
                              "lw": 0.5})
            for x, y, text in zip(xs, ys, texts)
        ]  # fmt: skip
        _spread_labels(ax, labels)
    return classes


def _spread_labels(ax, labels: list) -> None:
    """Move each label (in rank order) off any earlier one: beside, below, left, or lifted."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if len(labels) < 2:
        return
    fig = ax.figure
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    renderer = canvas.get_renderer()
    ax.apply_aspect()  # where the equal-aspect map will really sit
    frame = ax.get_window_extent(renderer)
    spots = [(6, 6, "left", "bottom"), (6, -6, "left", "top"), (-6, 6, "right", "bottom"),
             (-6, -6, "right", "top"), (6, 20, "left", "bottom"), (-6, 20, "right", "bottom"),
             (6, -20, "left", "top"), (-6, -20, "right", "top"), (6, 34, "left", "bottom")]  # fmt: skip

    def clash(box) -> float:
        inside = (frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0
                  and box.y1 <= frame.y1)  # fmt: skip
        area = sum(max(0.0, min(box.x1, p.x1) - max(box.x0, p.x0))
                   * max(0.0, min(box.y1, p.y1) - max(box.y0, p.y0)) for p in placed)  # fmt: skip
        return area + (0.0 if inside else 1e6)

    def put(label, spot) -> None:
        dx, dy, ha, va = spot
        label.set_position((dx, dy))
        label.set_ha(ha)
        label.set_va(va)

    placed = []
    for label in labels:
        scores = []
        for spot in spots:
            put(label, spot)
            score = clash(label.get_window_extent(renderer))
            if score == 0:
                break
            scores.append((score, spot))
        else:  # nowhere free: where it overlaps least
            put(label, min(scores, key=lambda t: t[0])[1])
        placed.append(label.get_window_extent(renderer).frozen())


def classes_for(clusters: gpd.GeoDataFrame, classes: carto.Classes | None = None) -> carto.Classes:
    """The hotspot colour classes to draw with: ``classes`` when given, else the clusters' own."""
    return classes if classes is not None else carto.hotspot_classes(clusters)


def add_legend(target, entries: list[carto.LegendEntry], *, wrap: int = 30, **kwargs):
    """Draw a legend of cartography entries on a Figure or Axes, section headings in bold."""
    handles, headings, section = [], set(), None
    for e in entries:
        if e.section != section:
            section = e.section
            headings.add(len(handles))
            handles.append(Patch(fc="none", ec="none", label=section))
        colour = e.colours[0] if e.colours else "none"
        e = dataclasses.replace(e, label=textwrap.fill(e.label, wrap))
        if e.kind == "fill":
            handles.append(Patch(fc=colour, ec=carto.HOTSPOT_OUTLINE, lw=0.4, label=e.label))
        elif e.kind in ("line", "dashed"):
            ls = "--" if e.kind == "dashed" else "-"
            handles.append(Line2D([], [], color=colour, lw=0.9, ls=ls, label=e.label))
        elif e.kind == "gradient":
            handles.append(Patch(fc=e.colours[len(e.colours) // 2], ec="none", label=e.label))
        else:
            handles.append(Patch(fc="none", ec="none", label=e.label))
    legend = target.legend(handles=handles, **kwargs)
    for i, text in enumerate(legend.get_texts()):
        if i in headings:
            text.set_fontweight("bold")
    return legend


def map_figure(
    clusters: gpd.GeoDataFrame,
    wards: WardLayer | gpd.GeoDataFrame,
    *,
    title: str,
    note: str,
    extent: tuple[float, float, float, float] | None = None,
    areas: gpd.GeoDataFrame | None = None,
    style: MapStyle | None = None,
    demo: bool = False,
    classes: carto.Classes | None = None,
) -> Figure:
    """Build one static hotspot map as a matplotlib Figure (no pyplot state).

    Parameters
    ----------
    clusters : geopandas.GeoDataFrame
        Hotspot hulls (:func:`hotspots.pipeline.hotspots_for`).
    wards : WardLayer or geopandas.GeoDataFrame
        The ward boundaries; pass a :class:`WardLayer` when drawing many maps.
    title : str
        The map's title (e.g. from :func:`selection_title`).
    note : str
        Data source and date range (e.g. from :func:`data_note`); the licence
        attribution is added to it.
    extent : tuple, optional
        ``(xmin, ymin, xmax, ymax)`` in EPSG:27700; default all the wards.
    areas : geopandas.GeoDataFrame, optional
        Focus areas to outline.
    style : MapStyle, optional
    demo : bool, default False
        Label the boundaries as approximate (the demo borough).
    classes : hotspots.cartography.Classes, optional
        Hotspot colour classes (default: those of ``clusters``).

    Returns
    -------
    matplotlib.figure.Figure
        Save it with :func:`save_figure`.

    Examples
    --------
    >>> from boundaries import get_path, load_wards
    >>> import geopandas as gpd
    >>> empty = gpd.GeoDataFrame({"incidents": []}, geometry=[], crs=27700)
    >>> fig = map_figure(empty, load_wards(get_path("demo-wards")), title="t", note="n", demo=True)
    >>> len(fig.axes)
    1
    """
    style = style or MapStyle()
    layer = wards if isinstance(wards, WardLayer) else WardLayer.of(wards)
    fig = Figure(figsize=style.size_in, dpi=style.dpi)
    ax = fig.add_axes((0.02, 0.1, 0.78, 0.8))
    classes = draw_map(ax, clusters, layer, extent=extent, areas=areas, style=style,
                       classes=classes)  # fmt: skip
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    _scale_bar(ax, (x0, y0, x1, y1))
    _north_arrow(ax)
    fig.text(0.02, 0.955, title, fontsize=12, fontweight="bold", va="center")
    subtitle = (
        f"{len(clusters)} hotspot(s), {int(clusters['incidents'].sum()) if len(clusters) else 0} "
        f"incidents in hotspots"
    )
    if "selected" in clusters.attrs:
        subtitle += f" of {clusters.attrs['selected']:,} selected"
    fig.text(0.02, 0.92, subtitle, fontsize=8.5, va="center", color="#333333")
    if classes is None:
        ax.text(0.5, 0.5, "No hotspots in this selection", transform=ax.transAxes, ha="center",
                va="center", fontsize=11, color="#333333", zorder=8,
                bbox={"fc": "white", "ec": "#999999"})  # fmt: skip
    entries = carto.legend_entries(
        hotspots=classes, centres=_centre_names(areas, extent=(x0, y0, x1, y1)),
        roads=style.roads is not None, approximate_wards=demo,
    )
    add_legend(fig, entries, loc="upper left", bbox_to_anchor=(0.8, 0.9), fontsize=7,
               frameon=False, handlelength=1.6)  # fmt: skip
    footer = " ".join(p for p in (note, DEMO_NOTE if demo else "", style.attribution()) if p)
    fig.text(0.02, 0.055, textwrap.fill(footer, 150), fontsize=6, va="center", color="#333333")
    return fig


def _centre_names(areas: gpd.GeoDataFrame | None, *, extent: tuple) -> list[str]:
    """Names of the focus areas whose outline shows on a map of ``extent``."""
    if areas is None or areas.empty:
        return []
    shapes = to_analysis_crs(areas)
    x0, y0, x1, y1 = extent
    return [str(n) for n in shapes.cx[x0:x1, y0:y1]["name"]]


def save_figure(fig: Figure, path: str | Path, *, dpi: int | None = None) -> Path:
    """Write a figure as PNG, SVG or PDF (chosen by suffix), atomically.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : str or Path
        Ends in ``.png``, ``.svg`` or ``.pdf``.
    dpi : int, optional
        PNG resolution; default the figure's.

    Returns
    -------
    Path
    """
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in MAP_FORMATS:
        raise HotspotsError(f"a map is written as one of {MAP_FORMATS!r}; got {str(path)!r}")
    with rc_context(_RC), atomic_path(path) as tmp:
        fig.savefig(tmp, format=fmt, dpi=dpi or fig.dpi, metadata=_SAVE_META[fmt])
    return path


def render_map(
    clusters: gpd.GeoDataFrame,
    wards: WardLayer | gpd.GeoDataFrame,
    paths: Sequence[str | Path],
    **kwargs,
) -> list[Path]:
    """Draw one map and write it to each path (PNG/SVG/PDF by suffix).

    Keyword arguments are those of :func:`map_figure`.
    """
    fig = map_figure(clusters, wards, **kwargs)
    return [save_figure(fig, p) for p in paths]


# --------------------------------------------------------------------------- tasking sheets


def _page_groups(sheet: gpd.GeoDataFrame, area: str | None) -> list[tuple[str, pd.DataFrame]]:
    if area or sheet.empty:
        return [(area or "Whole borough", sheet)]
    groups = []
    named = [a for a in dict.fromkeys(sheet["area"]) if a]
    for name in named:
        groups.append((name, sheet[sheet["area"] == name]))
    rest = sheet[sheet["area"] == ""]
    if len(rest):
        groups.append(("Elsewhere in the borough", rest))
    return groups


def _page_heading(title: str, group: str, *, whole_sheet: bool) -> str:
    """A sheet page's heading: a whole-borough sheet's pages say whose hotspots they list.

    >>> t = "ASB hotspots: whole borough, autumn (Sep-Nov)"
    >>> _page_heading(t, "Town centre", whole_sheet=True)
    'ASB hotspots: whole borough, autumn (Sep-Nov) - page: hotspots in Town centre'
    >>> _page_heading(t, "Elsewhere in the borough", whole_sheet=True)
    'ASB hotspots: whole borough, autumn (Sep-Nov) - page: hotspots elsewhere in the borough'
    >>> _page_heading("ASB hotspots: Town centre, autumn", "Town centre", whole_sheet=False)
    'ASB hotspots: Town centre, autumn'
    """
    if not whole_sheet:
        return title
    if group == "Whole borough":
        return title
    where = group[0].lower() + group[1:] if group.startswith("Elsewhere") else f"in {group}"
    return f"{title} - page: hotspots {where}"


def _chance_mark(value) -> str:
    """The sheet's word for a ``significant`` value (blank where it was not tested)."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return "-"
    return CHANCE_MARKS[bool(value)]


def _pattern_mark(pattern, hot_periods) -> str:
    """The sheet's Pattern cell: ``"persistent 7/8"`` (hot in 7 of 8 seasons); "-" where there is none."""
    if not isinstance(hot_periods, str) or not hot_periods:
        return "-"  # no patterns: fewer than two seasons in the data
    if not isinstance(pattern, str) or not pattern:
        return hot_periods  # "not hot in any season"
    k, _, t = hot_periods.split(" ")[:3]  # "7 of 8 seasons"
    return f"{pattern} {k}/{t}"


def _has_patterns(frame: pd.DataFrame) -> bool:
    return "pattern" in frame.columns


def _sheet_rows(frame: pd.DataFrame, *, narrow: bool = False) -> list[list[str]]:
    tested = "significant" in frame.columns
    patterned = _has_patterns(frame)
    place_w, when_w = (28, 24) if narrow else (34, 30)
    rows = []
    for r in frame.itertuples(index=False):
        when = "; ".join(p for p in (r.peak_weekday, r.peak_hour) if p)
        trend = r.trend if pd.isna(r.previous) else f"{r.trend} ({int(r.previous)})"
        rows.append([
            str(r.rank), textwrap.shorten(str(r.place), place_w, placeholder="..."), str(r.ward),
            str(r.incidents), f"{100 * r.share:.1f}%", trend,
        ] + ([_pattern_mark(r.pattern, r.hot_periods)] if patterned else []) + [
            str(r.peak_months), textwrap.shorten(when, when_w, placeholder="...") or "-",
        ] + ([_chance_mark(r.significant)] if tested else []))  # fmt: skip
    return rows


SHEET_HEADER = ["#", "Place", "Ward", "Incidents", "Share", "Trend (a year before)",
                "Peak months", "Peak day / hour"]  # fmt: skip
#: The extra column when the sheet has ``significant`` (hotspots.significance).
CHANCE_HEADER = "Chance test"
CHANCE_MARKS = {True: "more than chance", False: "not significant"}
#: The legend line under a sheet with the chance test.
CHANCE_LEGEND = (
    "Chance test: 'more than chance' means a hotspot this big turned up in fewer than 5% "
    "(after false-discovery-rate control) of 999 simulated boroughs with the same number of "
    "incidents placed at random on the borough's own police.uk map points (a Monte Carlo test); "
    "'not significant' means it could be chance - check before sending patrols."
)


#: The Pattern column (hotspots.patterns), after the trend.
PATTERN_HEADER = "Pattern"


def pattern_legend(periods: Sequence[str], cell_m: float | None = None) -> str:
    """The legend line under a sheet with the Pattern column.

    Examples
    --------
    >>> pattern_legend(["autumn 2017-18", "winter 2017-18", "autumn 2018-19"], 55)[:60]
    'Pattern: how the place under each hotspot (the 55 m grid cel'
    >>> pattern_legend([])
    'Pattern: not shown; the data holds fewer than two seasons up to this selection.'
    """
    if len(periods) < 2:
        return "Pattern: not shown; the data holds fewer than two seasons up to this selection."
    size = f"{cell_m:g} m " if cell_m else ""
    t = len(periods)
    k = -(-4 * t // 5)  # the fewest seasons a persistent place is hot in (80%, rounded up)
    return (
        f"Pattern: how the place under each hotspot (the {size}grid cell holding its busiest map "
        f"point) changed over the {t} seasons {periods[0]} to {periods[-1]}; "
        "hot = inside that season's hotspots. Persistent: hot in at least 80% of them. Emerging: "
        f"hot in the latest, never in the first {t // 2}. Former: hot in the first {t // 2}, "
        f"never since. Diminishing: hot in the first {t // 2}, not in the latest, but in "
        f"between. Intermittent: any other. 'persistent {k}/{t}' = hot in {k} of the {t} seasons."
    )


def _sheet_header(frame: pd.DataFrame, *, narrow: bool = False) -> list[str]:
    header = list(SHEET_HEADER)
    if narrow:  # the page's subtitle says what the trend compares
        header = ["Trend" if h.startswith("Trend") else h for h in header]
    if _has_patterns(frame):
        header.insert(6, PATTERN_HEADER)
    return header + ([CHANCE_HEADER] if "significant" in frame.columns else [])


def _sheet_pattern_legend(sheet: gpd.GeoDataFrame) -> str:
    if not _has_patterns(sheet):
        return ""
    return pattern_legend(sheet.attrs.get("pattern_periods", []), sheet.attrs.get("pattern_cell_m"))


ROWS_PER_PAGE = 22


def sheet_figures(
    sheet: gpd.GeoDataFrame,
    clusters: gpd.GeoDataFrame,
    wards: WardLayer | gpd.GeoDataFrame,
    *,
    title: str,
    note: str,
    area: str | None = None,
    areas: gpd.GeoDataFrame | None = None,
    demo: bool = False,
    style: MapStyle | None = None,
) -> Iterator[Figure]:
    """The pages of a tasking sheet as matplotlib Figures (A4 landscape), one by one.

    :func:`sheet_pdf` writes them to a PDF; a page can also be saved as PNG
    (:func:`save_figure`) to show or check it. Parameters as :func:`sheet_pdf`.
    """
    layer = wards if isinstance(wards, WardLayer) else WardLayer.of(wards)
    style = style or MapStyle(dpi=150)
    hulls = clusters.set_index("cluster_id")
    # One set of colour classes for the whole sheet (the web map's and the static maps').
    classes = carto.hotspot_classes(clusters) if len(clusters) else None
    footer = " ".join(p for p in (note, DEMO_NOTE if demo else "", style.attribution()) if p)
    for name, frame in _page_groups(sheet, area):
        chunks = [
            frame.iloc[i : i + ROWS_PER_PAGE] for i in range(0, max(len(frame), 1), ROWS_PER_PAGE)
        ]
        for page, chunk in enumerate(chunks, start=1):
            fig = Figure(figsize=_A4_LANDSCAPE, dpi=style.dpi)
            heading = _page_heading(title, name, whole_sheet=area is None)
            heading += f" (continued, page {page})" if page > 1 else ""
            fig.text(0.03, 0.95, heading, fontsize=12, fontweight="bold", va="center")
            fig.text(0.03, 0.915, f"{len(frame)} hotspot(s), ranked by incidents across the "
                     "whole selection; trend compares the same season a year before. "
                     "Map labels: rank and main street.", fontsize=8, va="center")  # fmt: skip
            # Ten columns (pattern and chance test): a narrower map, a wider table.
            crowded = _has_patterns(sheet) and "significant" in sheet.columns
            split = 0.375 if crowded else 0.415
            ax = fig.add_axes((0.02, 0.25, split - 0.035, 0.63))
            page_hulls = hulls.loc[[c for c in chunk["cluster_id"] if c in hulls.index]]
            page_hulls = page_hulls.assign(rank=chunk.set_index("cluster_id")["rank"])
            bounds = page_hulls.total_bounds if len(page_hulls) else layer.bounds
            extent = _extent(bounds, pad=0.15, min_span=1200.0)
            points = chunk.set_index("cluster_id").loc[page_hulls.index].reset_index()
            drawn = draw_map(ax, page_hulls.reset_index(), layer, extent=extent, areas=areas,
                             style=style, points=points, classes=classes)  # fmt: skip
            _scale_bar(ax, extent)
            _north_arrow(ax)
            shown = ax.get_xlim()[0], ax.get_ylim()[0], ax.get_xlim()[1], ax.get_ylim()[1]
            entries = carto.legend_entries(
                hotspots=drawn, centres=_centre_names(areas, extent=shown),
                roads=style.roads is not None, approximate_wards=demo,
            )  # fmt: skip
            # Below the map, so it never hides a hotspot.
            add_legend(fig, entries, loc="upper left", bbox_to_anchor=(0.02, 0.245), ncols=2,
                       fontsize=6.5, frameon=False, handlelength=1.4, columnspacing=1.2,
                       wrap=34)  # fmt: skip
            tab = fig.add_axes((split, 0.1, 0.99 - split, 0.78))
            tab.set_axis_off()
            if len(chunk):
                widths = [0.035, 0.25, 0.14, 0.075, 0.06, 0.16, 0.13, 0.15]
                if "significant" in chunk.columns:  # make room: narrower place and trend
                    widths = [0.035, 0.19, 0.11, 0.065, 0.05, 0.13, 0.11, 0.14, 0.14]
                if _has_patterns(chunk):  # the Pattern column after the trend
                    widths = [0.03, 0.2, 0.11, 0.07, 0.05, 0.15, 0.11, 0.11, 0.17]
                    if "significant" in chunk.columns:
                        widths = [0.025, 0.17, 0.11, 0.06, 0.05, 0.1, 0.105, 0.1, 0.16, 0.12]
                table = tab.table(cellText=_sheet_rows(chunk, narrow=crowded),
                                  colLabels=_sheet_header(chunk, narrow=crowded),
                                  loc="upper center", cellLoc="left",
                                  colWidths=widths)  # fmt: skip
                table.auto_set_font_size(False)
                table.set_fontsize(6.0 if crowded else 6.5)
                table.scale(1, 1.35)
                if classes is not None:  # the rank cell takes the hotspot's map colour
                    for row, n in enumerate(chunk["incidents"], start=1):
                        cell = table[row, 0]
                        colour = classes.colour(n)
                        cell.set_facecolor(colour)
                        if classes.index(n)[0] >= 3:
                            cell.get_text().set_color("white")
            else:
                tab.text(0.5, 0.9, "No hotspots in this selection.", ha="center", fontsize=11)
            legends = [t for t in (_sheet_pattern_legend(sheet),
                                   CHANCE_LEGEND if "significant" in sheet.columns else "") if t]
            if legends:
                # Under the longest table a page holds (ROWS_PER_PAGE rows end near 0.26).
                fig.text(split, 0.2 if len(legends) > 1 else 0.13,
                         "\n".join(textwrap.fill(t, 124) for t in legends), fontsize=6.5,
                         va="top")  # fmt: skip
            fig.text(0.03, 0.045, textwrap.fill(footer, 190), fontsize=6.5, va="center")
            yield fig


def sheet_pdf(
    sheet: gpd.GeoDataFrame,
    clusters: gpd.GeoDataFrame,
    wards: WardLayer | gpd.GeoDataFrame,
    path: str | Path,
    *,
    title: str,
    note: str,
    area: str | None = None,
    areas: gpd.GeoDataFrame | None = None,
    demo: bool = False,
    style: MapStyle | None = None,
) -> Path:
    """Write a printable tasking sheet: one A4 page per focus area, a map beside the list.

    Parameters
    ----------
    sheet : geopandas.GeoDataFrame
        From :func:`hotspots.tasking.tasking_sheet`.
    clusters : geopandas.GeoDataFrame
        The hulls the sheet was made from (matched on ``cluster_id``).
    wards : WardLayer or geopandas.GeoDataFrame
    path : str or Path
        The PDF to write (atomically).
    title, note : str
        Page title and data note (source, date range).
    area : str, optional
        The focus area the sheet was made for: one page (more if the list is long).
    areas : geopandas.GeoDataFrame, optional
        Focus areas to outline and name on the maps.
    demo : bool, default False
        Label the boundaries as approximate.
    style : MapStyle, optional
        Basemap and roads (default: none, at 150 dpi).

    Returns
    -------
    Path
    """
    with (
        rc_context(_RC),
        atomic_path(path) as tmp,
        PdfPages(tmp, metadata=_SAVE_META["pdf"]) as pdf,
    ):
        for fig in sheet_figures(sheet, clusters, wards, title=title, note=note, area=area,
                                 areas=areas, demo=demo, style=style):  # fmt: skip
            pdf.savefig(fig)
    return Path(path)


def sheet_html(
    sheet: gpd.GeoDataFrame,
    path: str | Path,
    *,
    title: str,
    note: str,
    area: str | None = None,
    demo: bool = False,
) -> Path:
    """Write a tasking sheet as one self-contained HTML page (a table per focus area).

    Returns
    -------
    Path
    """
    esc = html.escape
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{esc(title)}</title><style>body{{font-family:sans-serif;margin:1.5em}}"
        "table{border-collapse:collapse;margin-bottom:1.5em}td,th{border:1px solid #999;"
        "padding:.25em .5em;text-align:left}th{background:#eee}footer{font-size:.8em;color:#333}"
        "@media print{section{page-break-after:always}}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
        "<p>Hotspots ranked by incidents; the trend compares the same season a year before.</p>",
    ]
    for name, frame in _page_groups(sheet, area):
        parts.append(f"<section><h2>{esc(name)}</h2>")
        if frame.empty:
            parts.append("<p>No hotspots in this selection.</p></section>")
            continue
        parts.append("<table><thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in _sheet_header(frame))
                     + "</tr></thead><tbody>")  # fmt: skip
        for row in _sheet_rows(frame):
            parts.append("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>")
        parts.append("</tbody></table></section>")
    if _has_patterns(sheet):
        parts.append(f"<p class='legend'>{esc(_sheet_pattern_legend(sheet))}</p>")
    if "significant" in sheet.columns:
        parts.append(f"<p class='legend'>{esc(CHANCE_LEGEND)}</p>")
    footer = " ".join(p for p in (note, DEMO_NOTE if demo else "", ATTRIBUTION) if p)
    parts.append(f"<footer>{esc(footer)}</footer></body></html>")
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(parts), encoding="utf-8")
    return Path(path)


def write_sheet(
    sheet: gpd.GeoDataFrame,
    path: str | Path,
    *,
    clusters: gpd.GeoDataFrame,
    wards: WardLayer | gpd.GeoDataFrame,
    title: str,
    note: str,
    area: str | None = None,
    areas: gpd.GeoDataFrame | None = None,
    demo: bool = False,
    style: MapStyle | None = None,
) -> Path:
    """Write a tasking sheet in the format its suffix names.

    ``.csv`` (no geometry; ``lon``/``lat`` columns), ``.geojson``/``.json``
    (one point per hotspot, EPSG:4326), ``.gpkg``, ``.html`` or ``.pdf``.

    Raises
    ------
    HotspotsError
        For any other suffix.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SHEET_FORMATS:
        raise HotspotsError(
            f"cannot write the tasking sheet as {str(path)!r}: the output must end in one of "
            f"{SHEET_FORMATS!r}"
        )
    if suffix == ".csv":
        return write_table(pd.DataFrame(sheet.drop(columns=sheet.geometry.name)), path)
    if suffix in (".geojson", ".json", ".gpkg"):
        return write_layer(sheet, path, layer_name="tasking")
    if suffix == ".html":
        return sheet_html(sheet, path, title=title, note=note, area=area, demo=demo)
    return sheet_pdf(sheet, clusters, wards, path, title=title, note=note, area=area,
                     areas=areas, demo=demo, style=style)  # fmt: skip


# --------------------------------------------------------------------------- batch export


@dataclass(frozen=True)
class Combo:
    """One map of a batch: a season, financial year, focus area and/or ward (None = all)."""

    season: str | None = None
    financial_year: str | None = None
    area: str | None = None
    ward: str | None = None

    @property
    def stem(self) -> str:
        """The deterministic file name without suffix, e.g. ``autumn_2018-19_town-centre``."""
        parts = [self.season, self.financial_year,
                 self.area and slug(self.area), self.ward and slug(self.ward)]  # fmt: skip
        return "_".join(p for p in parts if p) or "all"

    @property
    def title(self) -> str:
        """The map title."""
        return selection_title(season=self.season, financial_year=self.financial_year,
                               area=self.area, ward=self.ward)  # fmt: skip


def parse_list(
    text: str | Sequence[str], *, choices: Sequence[str], option: str
) -> tuple[str, ...]:
    """Split a comma list (``"season,fy"``) and check every item.

    Examples
    --------
    >>> parse_list("season, fy", choices=BY_CHOICES, option="--by")
    ('season', 'fy')
    """
    items = text.split(",") if isinstance(text, str) else list(text)
    out = tuple(dict.fromkeys(i.strip().lower() for i in items if i.strip()))
    bad = [i for i in out if i not in choices]
    if bad or not out:
        raise HotspotsError(
            f"{option} takes a comma-separated list of {list(choices)!r}; got {text!r}"
        )
    return out


def plan_batch(
    prepared: Prepared,
    *,
    by: Sequence[str],
    seasons: Sequence[str] | None = None,
    financial_years: Sequence[str] | None = None,
) -> list[Combo]:
    """List the maps of a batch, in a fixed order.

    Seasons and financial years with no incidents at all in the data are left
    out (the data does not cover them); every focus area and ward is kept for
    the periods that are covered (a zero there is an answer).

    Parameters
    ----------
    prepared : Prepared
    by : sequence of {"season", "fy", "area", "ward"}
        What to split by; anything not named is taken whole.
    seasons, financial_years : sequence of str, optional
        Only these (default: all in the data).

    Returns
    -------
    list of Combo
    """
    by = parse_list(by, choices=BY_CHOICES, option="--by")
    inc = prepared.incidents
    years = sorted(inc["financial_year"].unique()) if len(inc) else []
    if financial_years:
        missing = sorted(set(financial_years) - set(years))
        if missing:
            raise HotspotsError(
                f"no incidents in financial year(s) {missing!r}; the data has {years!r}"
            )
        years = [y for y in years if y in set(financial_years)]
    season_list = [s for s in FY_SEASONS if not seasons or s in seasons]
    if "area" in by and (prepared.areas is None or prepared.areas.empty):
        raise HotspotsError(
            "--by area needs focus areas: give --areas FILE (see boundaries/redditch_focus_areas.toml)"
        )
    area_list = list(prepared.areas["name"]) if "area" in by else [None]
    ward_list = list(prepared.wards["ward_name"]) if "ward" in by else [None]
    fy_list = years if "fy" in by else [None]
    se_list = season_list if "season" in by else [None]
    covered = set(zip(inc["season"], inc["financial_year"]))
    combos = []
    for fy, season, area, ward in itertools.product(fy_list, se_list, area_list, ward_list):
        if fy and season and (season, fy) not in covered:
            continue
        if fy and not season and fy not in years:
            continue
        if season and not fy and season not in {s for s, _ in covered}:
            continue
        combos.append(Combo(season, fy, area, ward))
    return combos


def fingerprint_files(paths: Iterable[str | Path | None]) -> str:
    """A short hash of files' names, sizes and modification times (for the manifest)."""
    digest = hashlib.sha256()
    for p in paths:
        if p is None:
            continue
        st = os.stat(p)
        digest.update(f"{Path(p).resolve()}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def _key(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


@dataclass
class BatchResult:
    """What :func:`run_batch` did."""

    written: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    combos: list[Combo] = field(default_factory=list)


def _combo_extent(prepared: Prepared, combo: Combo, layer: WardLayer) -> tuple:
    if combo.area:
        geom = prepared.areas.loc[prepared.areas["name"] == combo.area].geometry
        return _extent(to_analysis_crs(gpd.GeoDataFrame(geometry=geom)).total_bounds, pad=0.3)
    if combo.ward:
        geom = prepared.wards.loc[prepared.wards["ward_name"] == combo.ward].geometry
        return _extent(geom.total_bounds, pad=0.08)
    return _extent(layer.bounds)


def _combo_hotspots(
    prepared: Prepared, combo: Combo, params: ClusterParams
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame | None, gpd.GeoDataFrame]:
    """Clusters, tasking sheet (when a financial year is set) and selection of one combination."""
    sel = {"season": combo.season, "area": combo.area, "ward": combo.ward}
    if combo.financial_year:
        sheet, clusters = tasking(  # the pack's top-hotspot table has no Pattern column
            prepared, financial_year=combo.financial_year, params=params, patterns=False, **sel
        )
    else:
        clusters, sheet = hotspots_for(prepared, params=params, **sel), None
    chosen = select_incidents(prepared.incidents, financial_year=combo.financial_year, **sel)
    return clusters, sheet, chosen


def _read_manifest(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _write_manifest(path: Path, manifest: dict) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")


def _table_pages(pdf: PdfPages, frame: pd.DataFrame, *, title: str, footer: str,
                 rows_per_page: int = 28, col_widths: list[float] | None = None) -> None:  # fmt: skip
    cells = frame.astype(object).where(frame.notna(), "").astype(str).values.tolist()
    for start in range(0, max(len(cells), 1), rows_per_page):
        fig = Figure(figsize=_A4_LANDSCAPE)
        fig.text(0.04, 0.95, title + (" (continued)" if start else ""), fontsize=13,
                 fontweight="bold", va="center")  # fmt: skip
        ax = fig.add_axes((0.04, 0.1, 0.92, 0.8))
        ax.set_axis_off()
        chunk = cells[start : start + rows_per_page]
        if chunk:
            table = ax.table(cellText=chunk, colLabels=[str(c) for c in frame.columns],
                             loc="upper center", cellLoc="left", colWidths=col_widths)  # fmt: skip
            table.auto_set_font_size(False)
            table.set_fontsize(8)
            table.scale(1, 1.3)
        else:
            ax.text(0.5, 0.9, "Nothing to show.", ha="center")
        fig.text(0.04, 0.04, textwrap.fill(footer, 180), fontsize=6.5, va="center")
        pdf.savefig(fig)


def _profile_page(pdf: PdfPages, incidents: pd.DataFrame, *, footer: str) -> None:
    profile = monthly_profile(incidents)
    fig = Figure(figsize=_A4_LANDSCAPE)
    fig.text(0.04, 0.95, "Seasonal profile: ASB incidents by month (April to March)",
             fontsize=13, fontweight="bold", va="center")  # fmt: skip
    ax = fig.add_axes((0.08, 0.15, 0.86, 0.72))
    cmap = colormaps["viridis"]
    n = max(len(profile.columns), 1)
    for i, fy in enumerate(profile.columns):
        ax.plot(profile.index, profile[fy], marker="o", lw=1.8, label=f"FY {fy}",
                color=cmap(i / max(n - 1, 1) * 0.85))  # fmt: skip
    ax.set_ylabel("Incidents")
    ax.set_xlabel("Month")
    ax.grid(alpha=0.3)
    ax.legend(frameon=False)
    fig.text(0.04, 0.04, textwrap.fill(footer, 180), fontsize=6.5, va="center")
    pdf.savefig(fig)


def _top_table(sheets: list[tuple[Combo, gpd.GeoDataFrame]], top: int) -> pd.DataFrame:
    rows = []
    for combo, sheet in sheets:
        for r in sheet.head(top).itertuples(index=False):
            rows.append({
                "map": combo.stem, "#": r.rank, "place": r.place, "ward": r.ward,
                "area": r.area, "incidents": r.incidents, "share": f"{100 * r.share:.1f}%",
                "trend": r.trend, "peak months": r.peak_months,
            })  # fmt: skip
    return pd.DataFrame(rows, columns=["map", "#", "place", "ward", "area", "incidents", "share",
                                       "trend", "peak months"])  # fmt: skip


def _index_html(combos_done: list[tuple[Combo, int, int]], formats: Sequence[str], *,
                note: str, demo: bool) -> str:  # fmt: skip
    esc = html.escape
    show = next((f for f in ("png", "svg") if f in formats), None)
    cards = []
    for combo, n_hot, n_sel in combos_done:
        links = " ".join(f"<a href='{esc(combo.stem)}.{f}'>{f.upper()}</a>" for f in formats)
        img = (f"<a href='{esc(combo.stem)}.{show}'><img src='{esc(combo.stem)}.{show}' "
               f"alt='{esc(combo.title)}' loading='lazy'></a>") if show else ""  # fmt: skip
        cards.append(
            f"<figure>{img}<figcaption><b>{esc(combo.title)}</b><br>{n_hot} hotspot(s) from "
            f"{n_sel:,} incidents. {links}</figcaption></figure>"
        )
    footer = " ".join(p for p in (note, DEMO_NOTE if demo else "", ATTRIBUTION) if p)
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>ASB hotspot maps"
        "</title><style>body{font-family:sans-serif;margin:1.5em}main{display:grid;"
        "grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:1em}figure{margin:0;"
        "border:1px solid #ccc;padding:.5em}img{width:100%}footer{margin-top:2em;font-size:.8em}"
        "</style></head><body><h1>ASB hotspot maps</h1>"
        f"<p>{len(combos_done)} map(s). <a href='{PACK}'>Report pack (PDF)</a></p><main>"
        + "".join(cards)
        + f"</main><footer>{esc(footer)}</footer></body></html>"
    )


def run_batch(
    prepared: Prepared,
    out_dir: str | Path,
    *,
    by: Sequence[str] = ("season", "fy"),
    formats: Sequence[str] = ("png",),
    params: ClusterParams | None = None,
    style: MapStyle | None = None,
    seasons: Sequence[str] | None = None,
    financial_years: Sequence[str] | None = None,
    inputs_key: str = "",
    force: bool = False,
    pack: bool = True,
    top: int = 5,
    progress: Callable[[list], Iterable] | None = None,
) -> BatchResult:
    """Write a map for every combination asked for, an index.html and a report pack PDF.

    Parameters
    ----------
    prepared : Prepared
        From :func:`hotspots.pipeline.prepare`.
    out_dir : str or Path
        The output folder (created if missing).
    by : sequence of {"season", "fy", "area", "ward"}, default ("season", "fy")
        See :func:`plan_batch`.
    formats : sequence of {"png", "svg", "pdf"}, default ("png",)
    params : ClusterParams, optional
        DBSCAN settings.
    style : MapStyle, optional
        Map look (DPI, colormap, basemap).
    seasons, financial_years : sequence of str, optional
        Only these.
    inputs_key : str
        A fingerprint of the input files (:func:`fingerprint_files`); part of
        each output's manifest entry, so changed inputs redo everything.
    force : bool, default False
        Redo every file even when the manifest says it is up to date.
    pack : bool, default True
        Write ``report.pdf``: the ward table, the seasonal profile, the
        top-hotspot table and the maps.
    top : int, default 5
        Hotspots per map in the pack's top-hotspot table.
    progress : callable, optional
        Wraps the list of maps to draw (e.g. ``tqdm``).

    Returns
    -------
    BatchResult
        Files written and skipped.

    Notes
    -----
    Files are written one by one through :func:`hotspots.io.atomic_path` and
    recorded in ``manifest.json`` as soon as each is finished, so a failure
    mid-batch leaves every finished file, no partial one, and a manifest that
    lets the next run skip them.
    """
    out_dir = Path(out_dir)
    formats = parse_list(formats, choices=MAP_FORMATS, option="--format")
    style = style or MapStyle()
    params = params or ClusterParams()
    combos = plan_batch(prepared, by=by, seasons=seasons, financial_years=financial_years)
    if not combos:
        raise HotspotsError("nothing to export: no season or financial year in the data matches")
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest_path = out_dir / MANIFEST
    manifest = {} if force else _read_manifest(manifest_path)
    demo = is_demo(prepared)
    settings = (__version__, inputs_key, params.eps_m, params.min_samples, params.hull_buffer_m,
                style.key, demo)  # fmt: skip
    pack_key = _key(settings, [c.stem for c in combos], list(formats), top, "pack")
    pack_path = out_dir / PACK
    do_pack = pack and (force or manifest.get(PACK) != pack_key or not pack_path.exists())
    layer = WardLayer.of(prepared.wards)
    result = BatchResult(combos=combos)
    jobs = []
    for combo in combos:
        paths = [out_dir / f"{combo.stem}.{f}" for f in formats]
        keys = {p.name: _key(settings, combo.stem, p.suffix) for p in paths}
        todo = [p for p in paths if force or manifest.get(p.name) != keys[p.name]
                or not p.exists()]  # fmt: skip
        result.skipped += [p for p in paths if p not in todo]
        if todo or do_pack:
            jobs.append((combo, todo, keys, _combo_hotspots(prepared, combo, params)))
    counts = {combo.stem: manifest.get(f"{combo.stem}#counts", [0, 0]) for combo in combos}
    footer = f"{data_note(prepared.incidents, demo=demo)} {style.attribution()}"
    with rc_context(_RC), ExitStack() as stack:
        pdf = None
        if do_pack:
            pack_tmp = stack.enter_context(atomic_path(pack_path))
            pdf = stack.enter_context(PdfPages(pack_tmp, metadata=_SAVE_META["pdf"]))
            table = ward_table(prepared.incidents, prepared.wards)
            _table_pages(pdf, table, title="ASB incidents by ward and financial year",
                         footer=". ".join([*table.attrs["notes"], footer]))  # fmt: skip
            _profile_page(pdf, prepared.incidents, footer=footer)
            sheets = [(job[0], job[3][1]) for job in jobs if job[3][1] is not None]
            _table_pages(pdf, _top_table(sheets, top),
                         title=f"Top hotspots (up to {top} per map)", footer=footer,
                         col_widths=[0.2, 0.03, 0.2, 0.12, 0.1, 0.07, 0.06, 0.09, 0.13])  # fmt: skip
        for combo, todo, keys, (clusters, _, chosen) in progress(jobs) if progress else jobs:
            fig = map_figure(
                clusters,
                layer,
                title=combo.title,
                note=f"{data_note(chosen, demo=demo)} {clusters.attrs.get('parameters', '')}.",
                extent=_combo_extent(prepared, combo, layer),
                areas=prepared.areas,
                style=style,
                demo=demo,
            )
            for p in todo:
                save_figure(fig, p)
                manifest[p.name] = keys[p.name]
                result.written.append(p)
            counts[combo.stem] = manifest[f"{combo.stem}#counts"] = [len(clusters), len(chosen)]
            if todo:
                _write_manifest(manifest_path, manifest)
            if pdf is not None:
                pdf.savefig(fig)
        if pdf is not None:
            result.written.append(pack_path)
    done = [(combo, *counts[combo.stem]) for combo in combos]
    if pack and not do_pack:
        result.skipped.append(pack_path)
    if do_pack:
        manifest[PACK] = pack_key
    index_path = out_dir / INDEX
    with atomic_path(index_path) as tmp:
        tmp.write_text(_index_html(done, formats, note=data_note(prepared.incidents, demo=demo),
                                   demo=demo), encoding="utf-8")  # fmt: skip
    result.written.append(index_path)
    _write_manifest(manifest_path, manifest)
    log.info("batch: %d written, %d up to date", len(result.written), len(result.skipped))
    return result
