"""The export pack (report.pdf): one page size, and table cells that wrap instead of clipping."""

from __future__ import annotations

import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from pypdf import PdfReader

from hotspots.draw.static import MapStyle
from hotspots.outputs.export import PACK, _table_pages, run_batch

LOW = MapStyle(dpi=40, size_in=(6.0, 4.5))


class _Pages:
    """Stands in for PdfPages: keeps the figures."""

    def __init__(self):
        self.figures = []

    def savefig(self, fig):
        self.figures.append(fig)


def _cells_fit(fig) -> int:
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    n = 0
    for ax in fig.axes:
        for table in ax.tables:
            for cell in table.get_celld().values():
                box, text = cell.get_window_extent(renderer), cell.get_text()
                inner = text.get_window_extent(renderer)
                assert inner.width <= box.width + 0.5, (text.get_text(), inner.width, box.width)
                assert inner.height <= box.height + 0.5, (text.get_text(), inner.height, box.height)
                n += 1
    return n


def test_long_cells_wrap_and_every_row_is_drawn():
    long = (
        "On or near Further/Higher Educational Building; Woodrow Centre (12); Tuesday 17:00-18:00"
    )
    frame = pd.DataFrame({"Place": [long] * 40, "Ward": ["Batchley and Brockhill"] * 40,
                          "Incidents": list(range(40))})  # fmt: skip
    pages = _Pages()
    _table_pages(pages, frame, title="t", footer="f", col_widths=[0.2, 0.1, 0.05])
    cells = sum(_cells_fit(fig) for fig in pages.figures)
    assert cells == 3 * (40 + len(pages.figures))  # every row once, a header per page
    assert len(pages.figures) >= 2
    texts = [c.get_text().get_text() for fig in pages.figures for t in fig.axes[0].tables
             for c in t.get_celld().values()]  # fmt: skip
    assert any("\n" in t for t in texts)
    assert sum(t.replace("\n", " ") == long for t in texts) == 40  # wrapped, not cut


def test_pack_pages_are_all_a4_landscape(demo, tmp_path):
    run_batch(demo, tmp_path, by=["season"], financial_years=["2018-19"], style=LOW)
    reader = PdfReader(tmp_path / PACK)
    sizes = {
        (round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in reader.pages
    }
    assert sizes == {(842, 595)}, sizes
    assert len(reader.pages) >= 4


@pytest.mark.parametrize("top", [3])
def test_pack_tables_fit_on_real_data(redditch_autumn_2018, tmp_path, top, monkeypatch):
    """The real Redditch months: the ward table and top-hotspot table cells all fit."""
    import hotspots.outputs.export as export

    pages = _Pages()
    real = export._table_pages

    def keep(pdf, frame, **kwargs):
        real(pages, frame, **kwargs)

    monkeypatch.setattr(export, "_table_pages", keep)
    run_batch(redditch_autumn_2018, tmp_path, by=["season"], financial_years=["2018-19"],
              style=LOW, top=top)  # fmt: skip
    assert pages.figures and sum(_cells_fit(fig) for fig in pages.figures) > 20


def test_an_empty_top_table_says_how_to_fill_it(demo, tmp_path):
    run_batch(demo, tmp_path, by=["season"], financial_years=["2018-19"], style=LOW)
    text = " ".join(
        " ".join((p.extract_text() or "").split()) for p in PdfReader(tmp_path / PACK).pages
    )
    assert "add fy to --by (for example --by season,fy)" in text
    run_batch(demo, tmp_path / "fy", by=["season", "fy"], financial_years=["2018-19"], style=LOW)
    text = " ".join(" ".join((p.extract_text() or "").split())
                    for p in PdfReader(tmp_path / "fy" / PACK).pages)  # fmt: skip
    assert "add fy to --by" not in text and "Top hotspots" in text and "autumn_2018-19" in text
