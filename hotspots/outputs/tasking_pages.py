"""The tasking sheet's printable pages: a map of each focus area's hotspots beside its table.

One A4 landscape page per focus area (more when its list is long): the heading, the map
(hotspot hulls in the one colour scale of the sheet, rank-and-street labels, streets, scale
bar and north arrow), its legend, the table (:mod:`hotspots.outputs.tasking_table`), the
Pattern and Chance test legends and the data note with the attribution. matplotlib is
imported when a page is drawn.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd

from hotspots._validate import to_analysis_crs
from hotspots.analysis.notes import DEMO_NOTE
from hotspots.draw import cartography as carto
from hotspots.io import atomic_path
from hotspots.outputs.tasking_table import (
    CHANCE_LEGEND,
    ROW_EXTRA_LINE,
    has_patterns,
    page_chunks,
    page_groups,
    page_heading,
    row_lines,
    sheet_header,
    sheet_pattern_legend,
    sheet_rows,
)
from hotspots.read.roads import names_only

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from hotspots.draw.static import MapStyle, WardLayer


#: The page's frame, in fractions of the A4 landscape page: the content lies between the
#: margins, under the heading and above the data note.
_LEFT, _RIGHT, _TOP = 0.02, 0.99, 0.885
#: The space between two blocks of a page (about 2.5 mm).
_GAP = 0.012
#: The column beside a map as wide as the page allows: its legend, then the words that
#: explain the Pattern and Chance test columns.
_SIDE = 0.3
#: A table no taller than this share of the page's content height goes across the top,
#: a wide map under it; a longer one sits beside a map the page's full height.
_STACK_UP_TO = 0.42
#: A page's layouts, in the order they are tried: "stacked" (a short table across the top,
#: the map under it, its legend and the words beside the map), "beside" (the map the
#: page's full height, the table beside it, then the legend and the words under the table)
#: and "under" (as "beside", the legend under the map when it does not fit under the table).
LAYOUTS = ("stacked", "beside", "under")
#: The type size of the legends and the notes (points).
_SMALL = 6.5


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

    A short list goes across the top of its page, over a map as wide as the page leaves
    beside its legend; a long one sits beside a map the page's full height. Either way
    the map's extent takes the shape of its frame, so the map fills it.
    :func:`sheet_pdf` writes them to a PDF; a page can also be saved as PNG
    (:func:`save_figure`) to show or check it. Parameters as :func:`sheet_pdf`.
    """
    from hotspots.draw.static import MapStyle, WardLayer

    layer = wards if isinstance(wards, WardLayer) else WardLayer.of(wards)
    style = style or MapStyle(dpi=150)
    hulls = clusters.set_index("cluster_id")
    # One set of colour classes for the whole sheet (the web map's and the static maps').
    classes = carto.hotspot_classes(clusters) if len(clusters) else None
    footer = " ".join(p for p in (note, DEMO_NOTE if demo else "", style.attribution()) if p)
    words = [t for t in (sheet_pattern_legend(sheet),
                         CHANCE_LEGEND if "significant" in sheet.columns else "") if t]  # fmt: skip
    # Ten columns (pattern and chance test): a narrower map, a wider table.
    crowded = has_patterns(sheet) and "significant" in sheet.columns
    for name, frame in page_groups(sheet, area):
        for page, chunk in enumerate(page_chunks(frame, narrow=crowded), start=1):
            heading = page_heading(title, name, whole_sheet=area is None)
            heading += f" (continued, page {page})" if page > 1 else ""
            subtitle = (f"{len(frame)} hotspot(s), ranked by incidents across the whole "
                        "selection; trend compares the same season a year before. Map labels: "
                        "rank and main street.")  # fmt: skip
            page_hulls = hulls.loc[[c for c in chunk["cluster_id"] if c in hulls.index]]
            page_hulls = page_hulls.assign(rank=chunk.set_index("cluster_id")["rank"])
            # The map marks the chance test as the table does: the sheet's verdicts, or none.
            page_hulls = page_hulls.drop(columns=["significant"], errors="ignore")
            if "significant" in chunk.columns:
                page_hulls["significant"] = chunk.set_index("cluster_id")["significant"]
            args = {"heading": heading, "subtitle": subtitle, "footer": footer, "words": words,
                    "hulls": page_hulls, "classes": classes, "layer": layer, "areas": areas,
                    "style": style, "demo": demo, "crowded": crowded,
                    "focus": _focus_bounds(areas, name)}  # fmt: skip
            # The first layout that holds the page (the last always does).
            yield next(f for f in (_page(chunk, layout=k, **args) for k in LAYOUTS) if f)


def _page(
    chunk: gpd.GeoDataFrame,
    *,
    layout: str,
    heading: str,
    subtitle: str,
    footer: str,
    words: list[str],
    hulls: gpd.GeoDataFrame,
    classes: carto.Classes | None,
    layer: WardLayer,
    areas: gpd.GeoDataFrame | None,
    style: MapStyle,
    demo: bool,
    crowded: bool,
    focus: tuple[float, float, float, float] | None = None,
) -> Figure | None:
    """One page in a layout of :data:`LAYOUTS`; None when the page does not fit in it.

    ``focus``: the bounds of the page's focus area, shown whole with its hotspots.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from hotspots.draw.static import _A4_LANDSCAPE, _extent, _north_arrow, _scale_bar, draw_map

    fig = Figure(figsize=_A4_LANDSCAPE, dpi=style.dpi)
    renderer = FigureCanvasAgg(fig).get_renderer()
    height = fig.bbox.height
    ax = fig.add_axes((_LEFT, 0.1, 0.3, 0.7))  # the map (first): placed once the table is measured
    fig.text(0.03, 0.95, heading, fontsize=12, fontweight="bold", va="center")
    fig.text(0.03, 0.915, subtitle, fontsize=8, va="center")
    foot = fig.text(0.03, 0.015, textwrap.fill(footer, 190), fontsize=_SMALL, va="bottom")
    floor = foot.get_window_extent(renderer).y1 / height + _GAP
    split = 0.375 if crowded else 0.415
    # Across the page, the table has room for the words a narrow one wraps or shortens.
    at_left = _LEFT if layout == "stacked" else split
    tab = fig.add_axes((at_left, floor, _RIGHT - at_left, _TOP - floor))
    tab.set_axis_off()
    drawn_table = _draw_table(tab, chunk, classes=classes,
                              narrow=crowded and layout != "stacked")  # fmt: skip
    table_bottom = drawn_table.get_window_extent(renderer).y0 / height
    if layout == "stacked" and _TOP - table_bottom > _STACK_UP_TO * (_TOP - floor):
        return None
    bounds = hulls.total_bounds if len(hulls) else layer.bounds
    if focus is not None:  # the page's focus area whole, not cut by the frame
        bounds = (min(bounds[0], focus[0]), min(bounds[1], focus[1]),
                  max(bounds[2], focus[2]), max(bounds[3], focus[3]))  # fmt: skip
    around = _extent(bounds, pad=0.15, min_span=800.0)
    points = chunk.set_index("cluster_id").loc[hulls.index].reset_index()
    drawn = classes if len(hulls) else None
    # Where the legend starts (its top left), and how far right it may reach.
    if layout == "stacked":  # the table across the top; the map under it, the legend beside
        box = (_LEFT, floor, _RIGHT - _SIDE - _GAP - _LEFT, table_bottom - _GAP - floor)
        left, top, right = _RIGHT - _SIDE, table_bottom - _GAP, _RIGHT
    elif layout == "beside":  # the map the page's full height; the legend under the table
        box = (_LEFT, floor, split - 0.015 - _LEFT, _TOP - floor)
        left, top, right = split, table_bottom - _GAP, _RIGHT
    else:  # the map the page's height less its legend, under it; the table beside
        left, right = _LEFT, split - 0.01
        guess = _fit_extent(around, fig, (_LEFT, floor, right - _LEFT, 0.5))
        legend = _map_legend(fig, _entries(hulls, drawn, areas, guess, style=style, demo=demo),
                             top=None, floor=floor, left=left, right=right)  # fmt: skip
        at = legend.get_window_extent(renderer)
        legend.remove()
        top = at.y1 / height + (at.y0 / height - floor)  # the same room, anchored at its top
        box = (_LEFT, at.y1 / height + _GAP, split - 0.015 - _LEFT, _TOP - at.y1 / height - _GAP)
    ax.set_position(box)
    extent = _fit_extent(around, fig, box)
    drawn = draw_map(ax, hulls.reset_index(), layer, extent=extent, areas=areas, style=style,
                     points=points, classes=classes)  # fmt: skip
    _scale_bar(ax, extent)
    _north_arrow(ax)
    shown = ax.get_xlim()[0], ax.get_ylim()[0], ax.get_xlim()[1], ax.get_ylim()[1]
    # The chance model and the missing streets are said in the words beside the table and
    # in the footer: the legend keeps to what the map draws. Outside the map, so it never
    # hides a hotspot.
    legend = _map_legend(fig, _entries(hulls, drawn, areas, shown, style=style, demo=demo),
                         top=top, floor=floor, left=left, right=right)  # fmt: skip
    at = legend.get_window_extent(renderer)
    if layout != "under" and at.y0 / height < floor:
        return None
    if words:
        if layout == "under":
            x, y = split, table_bottom - _GAP
        else:
            x, y = at.x0 / fig.bbox.width + 0.006, at.y0 / height - _GAP
        text = _words(fig, renderer, x, y, words, right=_RIGHT)
        if layout != "under" and text.get_window_extent(renderer).y0 / height < floor:
            return None
    return fig


def _draw_table(tab, chunk: gpd.GeoDataFrame, *, classes: carto.Classes | None, narrow: bool):
    """The page's table at the top of ``tab`` (or "No hotspots"); returns what was drawn.

    ``narrow``: ten columns beside the map, in smaller type, shorter words, wrapped more.
    """
    from matplotlib.colors import to_rgba

    from hotspots.draw.static import chance_look

    if not len(chunk):
        return tab.text(0.5, 0.98, "No hotspots in this selection.", ha="center", va="top",
                        fontsize=11)  # fmt: skip
    widths = [0.035, 0.25, 0.14, 0.075, 0.06, 0.16, 0.13, 0.15]
    if "significant" in chunk.columns:  # make room: narrower place and trend
        widths = [0.035, 0.19, 0.11, 0.065, 0.05, 0.13, 0.11, 0.14, 0.14]
    if has_patterns(chunk):  # the Pattern column after the trend
        widths = [0.03, 0.2, 0.11, 0.07, 0.05, 0.15, 0.11, 0.11, 0.17]
        if "significant" in chunk.columns:
            widths = [0.025, 0.17, 0.11, 0.06, 0.05, 0.1, 0.105, 0.1, 0.16, 0.12]
    cells = sheet_rows(chunk, narrow=narrow, wrap=True)
    table = tab.table(cellText=cells, colLabels=sheet_header(chunk, narrow=narrow),
                      loc="upper center", cellLoc="left", colWidths=widths)  # fmt: skip
    table.auto_set_font_size(False)
    table.set_fontsize(6.0 if narrow else 6.5)
    table.scale(1, 1.35)
    for row, n in enumerate(row_lines(cells), start=1):  # a label in full
        if n > 1:
            for col in range(len(cells[0])):
                cell = table[row, col]
                cell.set_height(cell.get_height() * (1 + ROW_EXTRA_LINE * (n - 1)))
    if classes is not None:  # the rank cell looks like the hotspot on the map
        verdicts = chunk["significant"] if "significant" in chunk else [None] * len(chunk)
        for row, (n, sig) in enumerate(zip(chunk["incidents"], verdicts), start=1):
            cell = table[row, 0]
            look = chance_look(sig)
            cell.set_facecolor(to_rgba(classes.colour(n), look["alpha"]))
            cell.set_linestyle(look["linestyle"])
            if classes.index(n)[0] >= 3 and look["alpha"] == 1:
                cell.get_text().set_color("white")
    return table


def _focus_bounds(areas: gpd.GeoDataFrame | None, name: str) -> tuple | None:
    """The bounds (EPSG:27700) of the focus area a page is named after, or None."""
    if areas is None or areas.empty or name not in set(areas["name"]):
        return None
    shape = to_analysis_crs(areas[areas["name"] == name])
    return tuple(float(v) for v in shape.total_bounds)


def _fit_extent(extent: tuple, fig: Figure, box: tuple) -> tuple:
    """``extent`` (metres) widened in one direction to the shape of ``box`` (figure fractions).

    The map then fills its frame: equal scales on both axes leave no blank band.

    >>> from matplotlib.figure import Figure
    >>> _fit_extent((0, 0, 1000, 1000), Figure(figsize=(8, 4)), (0, 0, 1, 1))
    (-500.0, 0.0, 1500.0, 1000.0)
    """
    x0, y0, x1, y1 = (float(v) for v in extent)
    fw, fh = fig.get_size_inches()
    aspect = float(box[2] * fw) / float(box[3] * fh)
    w, h = x1 - x0, y1 - y0
    w, h = (h * aspect, h) if w / h < aspect else (w, w / aspect)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


def _entries(hulls, drawn, areas, extent, *, style: MapStyle, demo: bool) -> list:
    """The legend of a page's map of ``extent``: what it draws."""
    from hotspots.draw.static import _centre_names, chance_simulations

    return carto.legend_entries(
        hotspots=drawn, centres=_centre_names(areas, extent=extent),
        roads=style.roads is not None, street_names_only=names_only(style.roads),
        approximate_wards=demo,
        chance=chance_simulations(hulls),
    )  # fmt: skip


def _map_legend(fig, entries, *, top: float | None, floor: float, left: float, right: float):
    """The map's legend between ``left`` and ``right``: from ``top`` down, kept above ``floor``.

    ``top`` None puts it on the floor (to measure how much height it takes).
    """
    from hotspots.draw.static import add_legend

    where = {"loc": "upper left", "bbox_to_anchor": (left, top)} if top is not None else {
        "loc": "lower left", "bbox_to_anchor": (left, floor)}  # fmt: skip
    return add_legend(fig, entries, ncols=2, fontsize=_SMALL, frameon=False, handlelength=1.4,
                      columnspacing=1.2, wrap=34, floor=floor, right=right, **where)  # fmt: skip


def _words(fig, renderer, x: float, y: float, words: list[str], *, right: float):
    """The legends of the Pattern and Chance test columns from (x, y) down, ending left of ``right``."""
    for width in range(124, 40, -4):
        text = fig.text(x, y, "\n".join(textwrap.fill(t, width) for t in words),
                        fontsize=_SMALL, va="top")  # fmt: skip
        if text.get_window_extent(renderer).x1 <= right * fig.bbox.width:
            break
        text.remove()
    return text


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
        From :func:`hotspots.outputs.tasking.tasking_sheet`.
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
    from matplotlib import rc_context
    from matplotlib.backends.backend_pdf import PdfPages

    from hotspots.draw.static import _RC, _SAVE_META

    with (
        rc_context(_RC),
        atomic_path(path) as tmp,
        PdfPages(tmp, metadata=_SAVE_META["pdf"]) as pdf,
    ):
        for fig in sheet_figures(sheet, clusters, wards, title=title, note=note, area=area,
                                 areas=areas, demo=demo, style=style):  # fmt: skip
            pdf.savefig(fig)
    return Path(path)
