"""Hotspot labels on static maps: none overlaps another or a centre's name, none is cut."""

from __future__ import annotations

import itertools

import pytest

from hotspots.analysis.hotspots import hotspots_for
from hotspots.draw.static import MapStyle, WardLayer, map_figure

STYLE = MapStyle(dpi=72, size_in=(8.0, 6.0))


def _boxes(fig):
    """Window boxes of the hotspot labels (zorder 6) and the centre names (5.3), and the frame."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()  # lays the label boxes out as they are saved
    renderer = canvas.get_renderer()
    ax = fig.axes[0]
    labels = [t for t in ax.texts if t.get_zorder() == 6 and getattr(t, "arrow_patch", None)]
    centres = [t for t in ax.texts if t.get_zorder() == 5.3]

    def box(t):
        patch = t.get_bbox_patch()
        return patch.get_window_extent(renderer) if patch else t.get_window_extent(renderer)

    return (
        [box(t) for t in labels],
        [t.get_window_extent(renderer) for t in centres],
        ax.get_window_extent(renderer),
    )


def _overlap(a, b) -> float:
    return max(0.0, min(a.x1, b.x1) - max(a.x0, b.x0)) * max(0.0, min(a.y1, b.y1) - max(a.y0, b.y0))


def _check(fig) -> int:
    labels, centres, frame = _boxes(fig)
    for a, b in itertools.combinations(labels, 2):
        assert _overlap(a, b) == 0, (a, b)
    for a in labels:
        assert frame.x0 - 1 <= a.x0 and a.x1 <= frame.x1 + 1, (a, frame)
        assert frame.y0 - 1 <= a.y0 and a.y1 <= frame.y1 + 1, (a, frame)
        for c in centres:
            assert _overlap(a, c) == 0, (a, c)
    return len(labels)


@pytest.mark.parametrize("season", ["winter", "spring", "summer", "autumn"])
def test_demo_borough_labels_never_collide(demo, season):
    clusters = hotspots_for(demo, season=season, financial_year="2018-19")
    fig = map_figure(clusters, WardLayer.of(demo.wards), title="t", note="n",
                     areas=demo.areas, style=STYLE)  # fmt: skip
    assert _check(fig) == len(clusters) > 5


def test_demo_town_centre_labels_never_collide(demo):
    clusters = hotspots_for(demo, season="autumn", financial_year="2018-19", area="Town centre")
    x0, y0, x1, y1 = demo.areas.to_crs(27700).set_index("name").loc[["Town centre"]].total_bounds
    pad = 300
    fig = map_figure(clusters, WardLayer.of(demo.wards), title="t", note="n", areas=demo.areas,
                     extent=(x0 - pad, y0 - pad, x1 + pad, y1 + pad), style=STYLE)  # fmt: skip
    assert _check(fig) >= 1


def test_real_redditch_labels_never_collide(redditch_autumn_2018):
    prepared = redditch_autumn_2018
    clusters = hotspots_for(prepared, season="autumn", financial_year="2018-19")
    fig = map_figure(clusters, WardLayer.of(prepared.wards), title="t", note="n",
                     areas=prepared.areas, style=STYLE)  # fmt: skip
    assert _check(fig) == len(clusters) > 5


def _autumn_map(prepared, size):
    """Autumn 2018-19's hotspot map of ``prepared`` at ``size`` inches, drawn: (figure, canvas)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    clusters = hotspots_for(prepared, season="autumn", financial_year="2018-19")
    fig = map_figure(clusters, WardLayer.of(prepared.wards), title="t", note="n",
                     areas=prepared.areas, style=MapStyle(dpi=72, size_in=size))  # fmt: skip
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return fig, canvas


@pytest.mark.parametrize("size", [(8.0, 6.0), (6.0, 4.5)])
def test_the_legend_lies_inside_the_figure(redditch_autumn_2018, size):
    """Long legend lines ("Town and district centres" and their names) wrap, never run off."""
    fig, canvas = _autumn_map(redditch_autumn_2018, size)
    [legend] = fig.legends
    box = legend.get_window_extent(canvas.get_renderer())
    assert fig.bbox.x0 <= box.x0 and box.x1 <= fig.bbox.x1 and box.y0 >= fig.bbox.y0, (
        box,
        fig.bbox,
    )
    texts = " ".join(t.get_text().replace("\n", " ") for t in legend.get_texts())
    assert "Town and district centres" in texts


@pytest.mark.parametrize("size, named", [((8.0, 6.0), 5), ((5.0, 3.8), 1)])
def test_real_redditch_ward_names_stay_apart_and_inside_the_frame(
    redditch_autumn_2018, size, named
):
    """Ward names (zorder 3) never on one another, a centre's name or a hotspot label, never cut."""
    fig, canvas = _autumn_map(redditch_autumn_2018, size)
    renderer, ax = canvas.get_renderer(), fig.axes[0]
    wards = [t.get_window_extent(renderer) for t in ax.texts
             if t.get_zorder() == 3 and t.get_visible()]  # fmt: skip
    labels, centres, frame = _boxes(fig)
    assert len(wards) >= named, len(wards)  # a small map names fewer of the 12
    for a, b in itertools.combinations(wards, 2):
        assert _overlap(a, b) == 0, (a, b)
    for w in wards:
        assert frame.x0 <= w.x0 and w.x1 <= frame.x1 and frame.y0 <= w.y0 and w.y1 <= frame.y1
        for other in [*labels, *centres]:
            assert _overlap(w, other) == 0, (w, other)
