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

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from hotspots.draw.static import MapStyle, WardLayer


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
    from matplotlib.colors import to_rgba
    from matplotlib.figure import Figure

    from hotspots.draw.static import (
        _A4_LANDSCAPE,
        MapStyle,
        WardLayer,
        _centre_names,
        _extent,
        _north_arrow,
        _scale_bar,
        add_legend,
        chance_look,
        chance_simulations,
        draw_map,
    )

    layer = wards if isinstance(wards, WardLayer) else WardLayer.of(wards)
    style = style or MapStyle(dpi=150)
    hulls = clusters.set_index("cluster_id")
    # One set of colour classes for the whole sheet (the web map's and the static maps').
    classes = carto.hotspot_classes(clusters) if len(clusters) else None
    footer = " ".join(p for p in (note, DEMO_NOTE if demo else "", style.attribution()) if p)
    for name, frame in page_groups(sheet, area):
        crowded = has_patterns(sheet) and "significant" in sheet.columns
        chunks = page_chunks(frame, narrow=crowded)
        for page, chunk in enumerate(chunks, start=1):
            fig = Figure(figsize=_A4_LANDSCAPE, dpi=style.dpi)
            heading = page_heading(title, name, whole_sheet=area is None)
            heading += f" (continued, page {page})" if page > 1 else ""
            fig.text(0.03, 0.95, heading, fontsize=12, fontweight="bold", va="center")
            fig.text(0.03, 0.915, f"{len(frame)} hotspot(s), ranked by incidents across the "
                     "whole selection; trend compares the same season a year before. "
                     "Map labels: rank and main street.", fontsize=8, va="center")  # fmt: skip
            # Ten columns (pattern and chance test): a narrower map, a wider table.
            split = 0.375 if crowded else 0.415
            ax = fig.add_axes((0.02, 0.25, split - 0.035, 0.63))
            page_hulls = hulls.loc[[c for c in chunk["cluster_id"] if c in hulls.index]]
            page_hulls = page_hulls.assign(rank=chunk.set_index("cluster_id")["rank"])
            # The map marks the chance test as the table does: the sheet's verdicts, or none.
            page_hulls = page_hulls.drop(columns=["significant"], errors="ignore")
            if "significant" in chunk.columns:
                page_hulls["significant"] = chunk.set_index("cluster_id")["significant"]
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
                chance=chance_simulations(page_hulls),
            )  # fmt: skip
            # The chance model and the missing streets are said in the text beside the table
            # and in the footer: the legend under the map keeps to what the map draws.
            # Below the map, so it never hides a hotspot.
            add_legend(fig, entries, loc="upper left", bbox_to_anchor=(0.02, 0.245), ncols=2,
                       fontsize=6.5, frameon=False, handlelength=1.4, columnspacing=1.2,
                       wrap=34, floor=0.075, right=split - 0.01)  # fmt: skip
            tab = fig.add_axes((split, 0.1, 0.99 - split, 0.78))
            tab.set_axis_off()
            if len(chunk):
                widths = [0.035, 0.25, 0.14, 0.075, 0.06, 0.16, 0.13, 0.15]
                if "significant" in chunk.columns:  # make room: narrower place and trend
                    widths = [0.035, 0.19, 0.11, 0.065, 0.05, 0.13, 0.11, 0.14, 0.14]
                if has_patterns(chunk):  # the Pattern column after the trend
                    widths = [0.03, 0.2, 0.11, 0.07, 0.05, 0.15, 0.11, 0.11, 0.17]
                    if "significant" in chunk.columns:
                        widths = [0.025, 0.17, 0.11, 0.06, 0.05, 0.1, 0.105, 0.1, 0.16, 0.12]
                cells = sheet_rows(chunk, narrow=crowded, wrap=True)
                table = tab.table(cellText=cells,
                                  colLabels=sheet_header(chunk, narrow=crowded),
                                  loc="upper center", cellLoc="left",
                                  colWidths=widths)  # fmt: skip
                table.auto_set_font_size(False)
                table.set_fontsize(6.0 if crowded else 6.5)
                table.scale(1, 1.35)
                for row, n in enumerate(row_lines(cells), start=1):  # a label in full
                    if n > 1:
                        for col in range(len(cells[0])):
                            cell = table[row, col]
                            cell.set_height(cell.get_height() * (1 + ROW_EXTRA_LINE * (n - 1)))
                if classes is not None:  # the rank cell looks like the hotspot on the map
                    verdicts = (
                        chunk["significant"] if "significant" in chunk else [None] * len(chunk)
                    )
                    for row, (n, sig) in enumerate(zip(chunk["incidents"], verdicts), start=1):
                        cell = table[row, 0]
                        look = chance_look(sig)
                        cell.set_facecolor(to_rgba(classes.colour(n), look["alpha"]))
                        cell.set_linestyle(look["linestyle"])
                        if classes.index(n)[0] >= 3 and look["alpha"] == 1:
                            cell.get_text().set_color("white")
            else:
                tab.text(0.5, 0.9, "No hotspots in this selection.", ha="center", fontsize=11)
            legends = [
                t
                for t in (
                    sheet_pattern_legend(sheet),
                    CHANCE_LEGEND if "significant" in sheet.columns else "",
                )
                if t
            ]
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
