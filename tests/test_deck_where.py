"""The deck's "Where?" map: the whole study area, and an inset around the largest hotspot."""

from __future__ import annotations

import hotspots.draw.static as static
from hotspots.analysis.hotspots import hotspots_for
from hotspots.outputs import deck


def test_where_map_shows_the_whole_study_area_and_an_inset(redditch_autumn_2018, monkeypatch):
    prepared = redditch_autumn_2018
    clusters = hotspots_for(prepared, season="autumn", financial_year="2018-19")
    figures = []
    real = static.map_figure

    def keep(*args, **kwargs):
        fig = real(*args, **kwargs)
        figures.append((fig, kwargs["extent"]))
        return fig

    monkeypatch.setattr(static, "map_figure", keep)
    png = deck.hotspot_map(clusters, prepared.wards, title="t", note="n", areas=prepared.areas,
                           dpi=50)  # fmt: skip
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    [(fig, extent)] = figures
    x0, y0, x1, y1 = prepared.wards.total_bounds
    assert extent[0] <= x0 and extent[1] <= y0 and extent[2] >= x1 and extent[3] >= y1
    main, inset = fig.axes[0], fig.axes[1]
    assert main.get_xlim()[0] <= x0 and main.get_ylim()[1] >= y1  # south and west not cropped
    (ix0, ix1), (iy0, iy1) = inset.get_xlim(), inset.get_ylim()
    assert 1000 < ix1 - ix0 < 2000
    biggest = clusters.loc[clusters["incidents"].idxmax()].geometry.centroid
    assert ix0 < biggest.x < ix1 and iy0 < biggest.y < iy1
    assert inset.get_title(loc="left") == "Around hotspot 1"
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(fig).get_renderer()
    [legend] = fig.legends
    a, b = inset.get_window_extent(renderer), legend.get_window_extent(renderer)
    assert a.y1 < b.y0 or a.x1 < b.x0 or b.x1 < a.x0, (a, b)  # the inset never covers the legend


def test_no_inset_on_a_small_area(demo):
    clusters = hotspots_for(demo, season="autumn", financial_year="2018-19", area="Town centre")
    assert deck._inset_extent(clusters, (0, 0, 3000, 3000)) is None
    assert deck._inset_extent(clusters, (0, 0, 9000, 9000)) is not None
