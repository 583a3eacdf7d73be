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


def test_main_map_gives_the_inset_hotspots_by_rank_and_the_slide_names_them(
    redditch_autumn_2018, monkeypatch
):
    # Named on the main map, the crowded town-centre hotspots were pushed far out on long
    # leaders (the real "3 Redditch Ringway / Silver Street" sat in Matchborough).
    from hotspots.results import Period, analyse_period

    prepared = redditch_autumn_2018
    clusters = analyse_period(prepared, Period(None, "2018-19"), chance=False).hotspots
    inside = deck.inset_hotspots(clusters, prepared.wards)
    assert 1 in inside and 1 < len(inside) < len(clusters)
    drawn = []
    real = static.map_figure

    def keep(shown, *args, **kwargs):
        drawn.append(shown)
        return real(shown, *args, **kwargs)

    monkeypatch.setattr(static, "map_figure", keep)
    deck.hotspot_map(clusters, prepared.wards, title="t", note="n", areas=prepared.areas, dpi=40)
    labels = dict(zip(drawn[0]["cluster_id"], drawn[0]["label"]))
    for cid, full in zip(clusters["cluster_id"], clusters["label"]):
        assert labels[cid] == (str(cid) if cid in inside else full)
    built = deck.build_deck(prepared, financial_year="2018-19", dpi=40)
    [where] = [s for s in built.slides if s.key == "where"]
    [line] = [t for t in where.lines if t.startswith("Around hotspot 1")]
    for cid in inside:
        assert clusters.set_index("cluster_id").loc[cid, "label"] in line
