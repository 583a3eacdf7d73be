"""Static maps with matplotlib: the one style, legend, scale bar, north arrow, licence (names
kept apart by :mod:`hotspots.draw._static_labels`)."""

from __future__ import annotations

import dataclasses
import logging
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib import rc_context
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.patheffects import withStroke

from hotspots._errors import HotspotsError
from hotspots._validate import to_analysis_crs
from hotspots.analysis import labels as place_labels
from hotspots.analysis.notes import DEMO_NOTE
from hotspots.draw import cartography as carto
from hotspots.draw._static_labels import (
    _ROAD_NAME_Z,
    _clear_names_under,
    _spread_labels,
    _thin_names,
    ranks_alone,
)
from hotspots.draw.basemap import Basemap, resolve_basemap, tile_mosaic
from hotspots.io import atomic_path
from hotspots.read.roads import (
    NO_STREETS_NOTE,
    clip_roads,
    name_points,
    names_only,
    read_roads,
    roads_attribution,
)

log = logging.getLogger(__name__)


MAP_FORMATS = ("png", "svg", "pdf")


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
        Tiles under the map (:func:`hotspots.draw.basemap.resolve_basemap`): "none",
        "osm", "os-road", "os-light", an XYZ template or a local ``.mbtiles`` /
        ``.pmtiles`` file (read directly, no network). None draws no tiles.
    basemap_attribution, os_api_key : str, optional
        For a template basemap / the OS Maps API.
    roads : GeoDataFrame, str, Path or None
        A street layer (:func:`hotspots.read.roads.read_roads`) drawn with names.

    Colours come from :mod:`hotspots.draw.cartography` (the same as the web map's).
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
        """The licence line of a map (the data's, the streets' and the basemap's).

        With no streets it also says how to add them (:data:`hotspots.read.roads.NO_STREETS_NOTE`).
        """
        line = carto.attribution(self.basemap.attribution if self.basemap.enabled else None,
                                 streets=roads_attribution(self.roads))  # fmt: skip
        return line if self.roads is not None else f"{line} {NO_STREETS_NOTE}."


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
    bars = ax.patches[-2:]
    texts = [ax.text(x, bottom + 1.6 * height, text, ha="center", va="bottom", fontsize=7, zorder=6)
             for x, text in ((left, "0"), (left + length, label))]  # fmt: skip
    _clear_names_under(ax, [*bars, *texts])


def _north_arrow(ax) -> None:
    arrow = ax.annotate(
        "N", xy=(0.96, 0.97), xytext=(0.96, 0.87), xycoords="axes fraction",
        ha="center", va="center", fontsize=10, fontweight="bold", zorder=7,
        arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.2},
    )  # fmt: skip
    _clear_names_under(ax, [arrow])


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


def _draw_roads(ax, roads: gpd.GeoDataFrame, extent: tuple) -> list:
    """Streets over the hulls (thin grey lines) with their names along them; the names drawn.

    A name that would touch one placed before it (main roads and longer streets first:
    :func:`hotspots.read.roads.name_points`), a ward or centre name, or the frame is left out.
    """
    x0, y0, x1, y1 = extent
    near = clip_roads(to_analysis_crs(roads), extent, pad_m=50.0)
    if near.empty:
        return []
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
    others = [t for t in ax.texts if t.get_visible() and t.get_text().strip()]
    texts = [
        ax.text(x, y, name, rotation=angle, rotation_mode="anchor", ha="center", va="center",
                fontsize=5.5 if span > 4500 else 6.5, style="italic",
                color=carto.ROAD_NAME_COLOUR, zorder=_ROAD_NAME_Z, clip_on=True, path_effects=_HALO)
        for x, y, name, angle in zip(pts.geometry.x, pts.geometry.y, pts["name"], pts["angle"])
        if x0 <= x <= x1 and y0 <= y <= y1
    ]  # fmt: skip
    _thin_names(ax, texts, avoid=others)
    return texts


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
    classes : hotspots.draw.cartography.Classes, optional
        The colour classes (default: :func:`hotspots.draw.cartography.hotspot_classes`
        of ``clusters``); pass the whole selection's when drawing a part of it.
    width_px : int, optional
        The map's width in pixels, for the basemap's zoom.

    Returns
    -------
    hotspots.draw.cartography.Classes or None
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
    ward_texts = []
    if ward_names:
        x0, y0, x1, y1 = extent
        ward_texts = [
            ax.text(x, y, name, ha="center", va="center", fontsize=6.5, color="#333333",
                    zorder=3, clip_on=True)
            for x, y, name in wards.labels if x0 <= x <= x1 and y0 <= y <= y1
        ]  # fmt: skip
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
        looks = [chance_look(v) for v in (hulls["significant"] if "significant" in hulls
                                          else [None] * len(hulls))]  # fmt: skip
        base = STATIC_TILE_OPACITY if tiles else 1.0
        # Smallest first, so the largest hotspot is on top.
        order = np.argsort(counts, kind="stable")
        rings, faces, widths, styles = [], [], [], []
        for i in order:
            for ring in _polygons([hulls.geometry.iloc[i]]):
                rings.append(ring)
                faces.append(to_rgba(fills[i], base * looks[i]["alpha"]))
                widths.append(looks[i]["linewidth"])
                styles.append(looks[i]["linestyle"])
        ax.add_collection(PolyCollection(
            rings, facecolors=faces, edgecolors=carto.HOTSPOT_OUTLINE, linewidths=widths,
            linestyles=styles, zorder=4))  # fmt: skip
    road_names = _draw_roads(ax, style.roads, extent) if style.roads is not None else []
    if classes is not None and numbers:
        if points is not None and len(points) == len(hulls):
            pts = to_analysis_crs(points).geometry
            xs, ys = pts.x.to_numpy(), pts.y.to_numpy()
        else:
            centres = hulls.geometry.centroid
            xs, ys = centres.x.to_numpy(), centres.y.to_numpy()
        texts = place_labels.hotspot_labels(points if points is not None and len(points) == len(hulls)
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
        # No street name under a hotspot label (the labels went where names were fewest).
        _thin_names(ax, [t for t in road_names if t.get_visible()],
                    avoid=[t for t in ax.texts if t.get_visible() and t.get_zorder() != _ROAD_NAME_Z
                           and t.get_text().strip()])  # fmt: skip
    # Ward names apart, as on the web map: none on another ward's name, a centre's name, a
    # hotspot label or the frame's edge (the ward table still names every ward).
    _thin_names(
        ax,
        ward_texts,
        avoid=[
            t
            for t in ax.texts
            if t.get_visible() and t.get_zorder() > _ROAD_NAME_Z and t.get_text().strip()
        ],
    )
    return classes


#: Line width of a hotspot's outline on a static map (points); the web map's weight is pixels.
STATIC_OUTLINE_WIDTH = 0.6


def chance_look(significant) -> dict:
    """How a static map draws a hotspot after the chance test, from the web map's style.

    :func:`hotspots.draw.cartography.chance_style` in matplotlib's terms: the
    outline's dash (points on, off), its width relative to a plain hotspot's,
    and the fill's opacity relative to a plain hotspot's (so a "not more than
    chance" hotspot is as much paler as on the web map).

    Examples
    --------
    >>> chance_look(True)
    {'linestyle': 'solid', 'linewidth': 0.6, 'alpha': 1.0}
    >>> look = chance_look(False)
    >>> look["linestyle"], round(look["alpha"], 2), look["linewidth"] > chance_look(True)["linewidth"]
    ((0, (5, 4)), 0.37, True)
    """
    plain = carto.chance_style(True)
    style = carto.chance_style(None if pd.isna(significant) else bool(significant))
    dash = style.get("dashArray")
    return {
        "linestyle": (0, tuple(int(v) for v in dash.split())) if dash else "solid",
        "linewidth": STATIC_OUTLINE_WIDTH * style["weight"] / plain["weight"],
        "alpha": style["fillOpacity"] / plain["fillOpacity"],
    }


def chance_simulations(clusters) -> int | None:
    """The chance test's simulations when ``clusters`` carry its verdicts, else None (no legend rows)."""
    if "significant" not in getattr(clusters, "columns", ()) or not len(clusters):
        return None
    return int(clusters.attrs.get("simulations", 999))


def classes_for(clusters: gpd.GeoDataFrame, classes: carto.Classes | None = None) -> carto.Classes:
    """The hotspot colour classes to draw with: ``classes`` when given, else the clusters' own."""
    return classes if classes is not None else carto.hotspot_classes(clusters)


def add_legend(
    target,
    entries: list[carto.LegendEntry],
    *,
    wrap: int = 30,
    floor: float = 0.0,
    right: float = 1.0,
    **kwargs,
):
    """Draw a legend of cartography entries on a Figure or Axes, section headings in bold.

    The legend is kept inside the figure: lines are wrapped at ``wrap`` characters, and
    narrower until it ends left of ``right`` (a fraction of the figure's width: the page's
    edge, or where a table starts); when it reaches below ``floor`` (a fraction of the
    figure's height, e.g. above a footer), it takes another column first, then smaller
    type. It is never cut at the page's edge.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = target if isinstance(target, Figure) else target.figure
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    for _ in range(24):
        legend = _legend(target, entries, wrap=wrap, **kwargs)
        box = legend.get_window_extent(canvas.get_renderer())
        page = fig.bbox
        fits_width = box.x1 <= page.x0 + right * page.width
        fits_height = box.y0 >= page.y0 + floor * page.height
        if fits_width and fits_height:
            return legend
        legend.remove()
        if fits_width and kwargs.get("ncols", 1) < 4:
            kwargs["ncols"] = kwargs.get("ncols", 1) + 1  # too tall: another column
        elif wrap > 12:
            wrap -= 3
        else:
            kwargs["fontsize"] = max(5.0, float(kwargs.get("fontsize", 7)) - 0.5)
    return _legend(target, entries, wrap=wrap, **kwargs)


def _legend(target, entries: list[carto.LegendEntry], *, wrap: int, **kwargs):
    handles, headings, section = [], set(), None
    for e in entries:
        if e.section != section:
            section = e.section
            headings.add(len(handles))
            handles.append(Patch(fc="none", ec="none", label=textwrap.fill(section, wrap)))
        colour = e.colours[0] if e.colours else "none"
        e = dataclasses.replace(e, label=textwrap.fill(e.label, wrap))
        if e.kind == "fill":
            handles.append(Patch(fc=colour, ec=carto.HOTSPOT_OUTLINE, lw=0.4, label=e.label))
        elif e.kind in ("line", "dashed"):
            ls = "--" if e.kind == "dashed" else "-"
            handles.append(Line2D([], [], color=colour, lw=0.9, ls=ls, label=e.label))
        elif e.kind in ("outline", "outline-dashed"):  # the chance test: drawn as the hulls are
            look = chance_look(e.kind == "outline")
            handles.append(Patch(fc=to_rgba(e.colours[1], look["alpha"]), ec=e.colours[0],
                                 lw=look["linewidth"], ls=look["linestyle"], label=e.label))  # fmt: skip
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
        Hotspot hulls (:func:`hotspots.analysis.hotspots.hotspots_for`).
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
    classes : hotspots.draw.cartography.Classes, optional
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
        hotspots=classes,
        centres=_centre_names(areas, extent=(x0, y0, x1, y1)),
        roads=style.roads is not None,
        street_names_only=names_only(style.roads),
        no_streets=style.roads is None,
        approximate_wards=demo,
        chance=chance_simulations(clusters),
        chance_model=clusters.attrs.get("chance_model"),
        ranks_alone=ranks_alone(ax) > 0,
    )
    add_legend(fig, entries, loc="upper left", bbox_to_anchor=(0.8, 0.9), fontsize=7,
               frameon=False, handlelength=1.6, wrap=22)  # fmt: skip
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
