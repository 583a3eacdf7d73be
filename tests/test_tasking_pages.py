"""Every page of a tasking sheet PDF: no table cell's text is cut, the legends lie inside the
page, and the page uses its space: map, table, legend and notes cover most of it, with no large
empty block and no two of them overlapping (the demo and the real Redditch months, borough and
town centre, every season)."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from hotspots.draw.static import MapStyle, WardLayer
from hotspots.outputs.tasking import tasking
from hotspots.outputs.tasking_pages import sheet_figures

STYLE = MapStyle(dpi=60)


def _check_page(fig) -> int:
    """Assert every table cell holds its text and every legend lies inside the page."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    page = fig.bbox
    cells = 0
    for ax in fig.axes:
        for table in ax.tables:
            for cell in table.get_celld().values():
                box, inner = (
                    cell.get_window_extent(renderer),
                    cell.get_text().get_window_extent(renderer),
                )
                text = cell.get_text().get_text()
                assert "..." not in text and "…" not in text, text
                assert inner.width <= box.width + 1 and inner.height <= box.height + 1, text
                assert box.x0 - 1 <= inner.x0 and inner.x1 <= box.x1 + 1, text  # not over the edge
                cells += 1
    for legend in fig.legends + [ax.get_legend() for ax in fig.axes if ax.get_legend()]:
        box = legend.get_window_extent(renderer)
        assert page.x0 <= box.x0 and box.x1 <= page.x1 and page.y0 <= box.y0 and box.y1 <= page.y1
    return cells


#: The page's margins (mm): what lies inside them is the printable area.
MARGIN_MM = 10
#: The map, table, legends and notes cover at least this share of the printable area
#: (the old layout, a square map beside the table's top, covered 37 to 56%).
MIN_FILL = 0.65
#: No empty rectangle on a page is larger than this share of the printable area (the old
#: layout left 20 to 42% empty in one block, under a short table).
MAX_EMPTY = 0.18


def _blocks(fig) -> dict[str, list]:
    """What a page draws, as boxes in pixels: the map, the table, the legends, the texts."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    maps = [ax for ax in fig.axes if not ax.tables and (ax.lines or ax.collections or ax.images)]
    return {
        "map": [ax.get_window_extent(renderer) for ax in maps],
        "table": [t.get_window_extent(renderer) for ax in fig.axes for t in ax.tables]
        + [t.get_window_extent(renderer) for ax in fig.axes if ax not in maps for t in ax.texts],
        "legend": [legend.get_window_extent(renderer) for legend in fig.legends],
        "text": [t.get_window_extent(renderer) for t in fig.texts if t.get_text()],
    }


def _page_fill(fig) -> tuple[float, float]:
    """The share of the printable area the page's boxes cover, and its largest empty rectangle.

    The printable area is the page inside :data:`MARGIN_MM`, on a 1 mm grid.
    """
    width_mm, height_mm = fig.get_size_inches() * 25.4
    px = fig.dpi / 25.4
    nx, ny = int(width_mm - 2 * MARGIN_MM), int(height_mm - 2 * MARGIN_MM)
    covered = np.zeros((ny, nx), dtype=bool)
    for box in (b for boxes in _blocks(fig).values() for b in boxes):
        x0, x1 = (int(np.clip(v / px - MARGIN_MM, 0, nx)) for v in (box.x0, box.x1))
        y0, y1 = (int(np.clip(v / px - MARGIN_MM, 0, ny)) for v in (box.y0, box.y1))
        covered[y0:y1, x0:x1] = True
    # The largest empty rectangle: the largest rectangle under each row's histogram of
    # empty cells above it.
    best, heights = 0, np.zeros(nx, dtype=int)
    for row in ~covered:
        heights = np.where(row, heights + 1, 0)
        stack: list[tuple[int, int]] = []
        for i, h in enumerate([*heights.tolist(), 0]):
            start = i
            while stack and stack[-1][1] >= h:
                start, top = stack.pop()
                best = max(best, top * (i - start))
            stack.append((start, h))
    return float(covered.mean()), best / covered.size


def test_page_fill_measures_empty_space():
    """The measure itself: a page with one small box is mostly empty; a full one is not."""
    from matplotlib.figure import Figure

    from hotspots.draw.static import _A4_LANDSCAPE

    fig = Figure(figsize=_A4_LANDSCAPE, dpi=60)
    fig.add_axes((0.1, 0.1, 0.2, 0.2)).plot([0, 1], [0, 1])
    fill, empty = _page_fill(fig)
    assert fill < 0.1 and empty > 0.5
    fig.add_axes((0.02, 0.02, 0.96, 0.96)).plot([0, 1], [0, 1])
    assert _page_fill(fig) == (1.0, 0.0)


def _check_fill(fig) -> None:
    """Assert the page uses its space and its blocks do not overlap."""
    fill, empty = _page_fill(fig)
    heading = fig.texts[0].get_text()
    assert fill >= MIN_FILL, f"{heading}: only {fill:.0%} of the page is used"
    assert empty <= MAX_EMPTY, f"{heading}: an empty block of {empty:.0%} of the page"
    blocks = _blocks(fig)
    for ours in ("map", "table", "legend"):
        for theirs in ("map", "table", "legend", "text"):
            if theirs <= ours and theirs != "text":
                continue
            for a in blocks[ours]:
                for b in blocks[theirs]:
                    assert not a.overlaps(b), f"{heading}: the {ours} overlaps the {theirs}"


_PAGES: dict = {}


def _pages(prepared, season, area=None):
    key = (id(prepared), season, area)
    if key not in _PAGES:
        sheet, clusters = tasking(prepared, season=season, financial_year="2018-19", area=area,
                                  chance=True)  # fmt: skip
        _PAGES[key] = list(sheet_figures(sheet, clusters, WardLayer.of(prepared.wards),
                                         title="t", note="n", area=area, areas=prepared.areas,
                                         style=STYLE))  # fmt: skip
    return _PAGES[key]


@pytest.mark.parametrize("season", ["spring", "summer", "autumn", "winter"])
def test_demo_tasking_pages_fit(demo, season):
    pages = _pages(demo, season)
    assert pages and sum(_check_page(fig) for fig in pages) > 0


def test_demo_town_centre_tasking_page_fits(demo):
    pages = _pages(demo, "autumn", area="Town centre")
    assert pages and sum(_check_page(fig) for fig in pages) > 0


@pytest.mark.parametrize("season", ["autumn", "winter"])
def test_real_redditch_tasking_pages_fit(redditch_autumn_2018, season):
    pages = _pages(redditch_autumn_2018, season)
    assert pages and sum(_check_page(fig) for fig in pages) > 0


@pytest.mark.parametrize("season", ["spring", "autumn"])
def test_demo_tasking_pages_use_their_space(demo, season):
    for fig in _pages(demo, season):
        _check_fill(fig)


def test_demo_town_centre_tasking_page_uses_its_space(demo):
    (fig,) = _pages(demo, "autumn", area="Town centre")
    _check_fill(fig)
    # The map fills the width the legend leaves it, and at a sensible shape.
    box = fig.axes[0].get_window_extent()
    assert box.width / fig.bbox.width > 0.6 and 1 <= box.width / box.height <= 2.2


@pytest.mark.parametrize("season", ["autumn", "winter"])
def test_real_redditch_tasking_pages_use_their_space(redditch_autumn_2018, season):
    for fig in _pages(redditch_autumn_2018, season):
        _check_fill(fig)


@pytest.mark.parametrize("season", ["autumn", "winter"])
def test_real_redditch_focus_area_pages_show_their_area_whole(redditch_autumn_2018, season):
    # The map fitted the hotspots only: the Town centre's outline ran off the page's map.
    from hotspots._validate import to_analysis_crs

    areas = to_analysis_crs(redditch_autumn_2018.areas).set_index("name")
    seen = 0
    for fig in _pages(redditch_autumn_2018, season):
        heading = fig.texts[0].get_text()
        name = heading.split("page: hotspots in ")[-1] if "page: hotspots in " in heading else None
        if name not in areas.index:
            continue
        x0, y0, x1, y1 = areas.loc[[name]].total_bounds
        (mx0, mx1), (my0, my1) = fig.axes[0].get_xlim(), fig.axes[0].get_ylim()
        assert mx0 <= x0 and x1 <= mx1 and my0 <= y0 and y1 <= my1, (name, heading)
        seen += 1
    assert seen, "no page of a focus area"
