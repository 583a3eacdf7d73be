"""Every page of a tasking sheet PDF: no table cell's text is cut, and the legends lie inside
the page (the demo and the real Redditch months, borough and town centre, every season)."""

from __future__ import annotations

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
                cells += 1
    for legend in fig.legends + [ax.get_legend() for ax in fig.axes if ax.get_legend()]:
        box = legend.get_window_extent(renderer)
        assert page.x0 <= box.x0 and box.x1 <= page.x1 and page.y0 <= box.y0 and box.y1 <= page.y1
    return cells


def _pages(prepared, season, area=None):
    sheet, clusters = tasking(prepared, season=season, financial_year="2018-19", area=area,
                              chance=True)  # fmt: skip
    return list(sheet_figures(sheet, clusters, WardLayer.of(prepared.wards), title="t", note="n",
                              area=area, areas=prepared.areas, style=STYLE))  # fmt: skip


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
