"""Names apart on a static map: hotspot labels placed where they overlap nothing, others thinned.

Measured in display pixels with matplotlib's Agg renderer. :func:`_spread_labels`
places the hotspot labels (rank and main street, or the rank alone, with a
leader line when moved); :func:`_thin_names` hides street and ward names that
touch a name kept before them, an obstacle or the frame. Used by
:mod:`hotspots.draw.static`.
"""

from __future__ import annotations

import numpy as np

#: The drawing order of street names (over hulls and streets, under centre names and labels).
_ROAD_NAME_Z = 5.2


def _clear_names_under(ax, artists: list) -> None:
    """Hide the street names that the scale bar or north arrow (drawn after them) would cover."""
    names = [t for t in ax.texts if t.get_zorder() == _ROAD_NAME_Z and t.get_visible()]
    if names:
        renderer = _renderer(ax)
        _thin_names(ax, names, boxes=[a.get_window_extent(renderer) for a in artists])


def _renderer(ax):
    """The figure's Agg renderer, with the equal-aspect map where it will really sit."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = ax.figure
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    ax.apply_aspect()
    return canvas.get_renderer()


def _text_box(text, renderer):
    """A text's box in display pixels; an annotation's without its leader line (placed first)."""
    from matplotlib.text import Text

    if hasattr(text, "update_positions"):
        text.update_positions(renderer)
    return Text.get_window_extent(text, renderer)


def _inside(box, frame) -> bool:
    """Whether ``box`` lies wholly inside ``frame`` (display pixels)."""
    return frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1


def _thin_names(ax, names: list, *, avoid: list = (), boxes: list = ()) -> None:
    """Hide each name that touches one kept before it, something to avoid, or the map's frame.

    ``avoid`` are texts (measured without an annotation's leader line); ``boxes`` are
    display-pixel boxes (the scale bar, the north arrow).
    """
    if not names:
        return
    fig = ax.figure
    renderer = _renderer(ax)
    frame = ax.get_window_extent(renderer)
    kept = [b.frozen() for b in boxes] + [_text_box(t, renderer).frozen() for t in avoid]
    gap = 1.5 * fig.dpi / 72
    for text in names:
        text.set_visible(True)
        box = text.get_window_extent(renderer).padded(gap)
        if _inside(box, frame) and not any(box.overlaps(k) for k in kept):
            kept.append(box.frozen())
        else:
            text.set_visible(False)


#: Where a hotspot label may sit, in points from its hotspot: beside it first, then further out
#: on rings of eight directions (a label moved off its hotspot keeps its leader line).
_LABEL_SPOTS = [(6, 6, "left", "bottom"), (6, -6, "left", "top"), (-6, 6, "right", "bottom"),
                (-6, -6, "right", "top")] + [
    (dx * r, dy * r, "left" if dx > 0 else "right" if dx < 0 else "center",
     "bottom" if dy > 0 else "top" if dy < 0 else "center")
    for r in (16, 28, 42, 58, 76, 96, 120, 150)
    for dx, dy in ((1, 1), (-1, 1), (1, -1), (-1, -1), (0, 1.2), (0, -1.2), (1.4, 0), (-1.4, 0),
                   (0.5, 1.2), (-0.5, 1.2), (0.5, -1.2), (-0.5, -1.2))
]  # fmt: skip


#: A hotspot label keeps its street when it fits within this many points of the hotspot;
#: else it shows its rank alone (the legend says so, and the tables name every rank).
NAME_REACH_PT = 45.0


def ranks_alone(ax) -> int:
    """How many hotspot labels on a map's axes show their rank alone (no room for the street)."""
    return sum(1 for t in ax.texts if t.get_zorder() == 6 and t.get_text().strip().isdigit())


def _spread_labels(ax, labels: list) -> None:
    """Place each hotspot label (in rank order) where it overlaps nothing, inside the frame.

    A label never covers an earlier hotspot label or a focus-area (centre) name, and is never
    cut by the map's frame when any candidate spot avoids that: candidates run from beside
    the hotspot outwards (:data:`_LABEL_SPOTS`); the leader line joins a moved label to its
    hotspot. Ward names count as obstacles too, but weigh less than a centre's name; street
    names weigh little (a label stays by its hotspot; the names it covers are then left out).
    """
    if not labels:
        return
    fig = ax.figure
    renderer = _renderer(ax)
    frame = ax.get_window_extent(renderer)
    ours = {id(label) for label in labels}
    centres, others, streets = [], [], []
    for text in ax.texts:
        if id(text) in ours or not text.get_visible() or not text.get_text().strip():
            continue
        box = _text_box(text, renderer)
        if not (box.x1 < frame.x0 or box.x0 > frame.x1 or box.y1 < frame.y0 or box.y0 > frame.y1):
            z = text.get_zorder()
            (centres if z >= 5.3 else streets if z == _ROAD_NAME_Z else others).append(box.frozen())

    def overlap(box, boxes) -> float:
        return sum(max(0.0, min(box.x1, p.x1) - max(box.x0, p.x0))
                   * max(0.0, min(box.y1, p.y1) - max(box.y0, p.y0)) for p in boxes)  # fmt: skip

    def crossings(anchor, box) -> int:
        """Earlier labels that this label's leader line (anchor to box centre) runs through."""
        (ax0, ay0), (cx, cy) = anchor, ((box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2)
        steps = np.linspace(0.0, 1.0, 12)[1:-1]
        xs, ys = ax0 + (cx - ax0) * steps, ay0 + (cy - ay0) * steps
        return sum(bool(np.any((p.x0 <= xs) & (xs <= p.x1) & (p.y0 <= ys) & (ys <= p.y1)))
                   for p in placed)  # fmt: skip

    def leaders_crossed(anchor, box) -> int:
        """Earlier leader lines that this label's leader line crosses."""
        a, b = np.asarray(anchor, dtype=float), _box_centre(box)
        if np.hypot(*(b - a)) < 1.0:
            return 0
        return sum(_segments_cross(a, b, p, q) for p, q in leaders)

    def hotspots_covered(box, own) -> int:
        """Other hotspots (their anchor points) that the label's box would hide."""
        return int(np.sum((box.x0 <= anchors[:, 0]) & (anchors[:, 0] <= box.x1)
                          & (box.y0 <= anchors[:, 1]) & (anchors[:, 1] <= box.y1))
                   - ((box.x0 <= own[0] <= box.x1) and (box.y0 <= own[1] <= box.y1)))  # fmt: skip

    # Overlaps are weighed in points squared, whatever the resolution, against the distance
    # from the hotspot in points: a label may cover part of a ward's name rather than move
    # far (a ward name's whole box weighs about 100-200 points of distance), never a centre's
    # name or another label; a leader crossing another, or a label over another hotspot,
    # weighs about as much as a move across the town.
    per_pt2 = (72.0 / fig.dpi) ** 2

    def cost(box, anchor) -> float:
        return (
            (0.0 if _inside(box, frame) else 1e9)
            + 1e3 * per_pt2 * overlap(box, placed)
            + 1e3 * per_pt2 * overlap(box, centres)
            + 1.0 * per_pt2 * overlap(box, others)
            + 0.05 * per_pt2 * overlap(box, streets)  # a street name under a label is left out
            + 200.0 * crossings(anchor, box)
            + 150.0 * leaders_crossed(anchor, box)
            + 150.0 * hotspots_covered(box, anchor)
        )

    def put(label, spot) -> None:
        dx, dy, ha, va = spot
        label.set_position((dx, dy))
        label.set_ha(ha)
        label.set_va(va)

    pad = 2.5 * fig.dpi / 72  # the label's white box reaches this far past its text

    def extent(label):  # the text and its box, not the leader line (Annotation's own extent)
        return _text_box(label, renderer).padded(pad)

    placed: list = []
    leaders: list = []  # (anchor, label centre) of the labels placed off their hotspot
    anchors = np.array([ax.transData.transform(label.xy) for label in labels])

    def search(label, anchor):
        best = None
        for spot in _LABEL_SPOTS:  # nearest first: the first free spot is the best one
            put(label, spot)
            clash = cost(extent(label), anchor)
            score = clash + 3.0 * float(np.hypot(spot[0], spot[1]))  # and stay near the hotspot
            if best is None or score < best[0]:
                best = (score, spot, clash)
            if clash == 0:
                break
        return best

    for label, anchor in zip(labels, anchors):
        best = search(label, anchor)
        rank, _, street = label.get_text().partition(" ")
        # (a ward or street name partly covered does not count: with streets drawn it rarely
        # can be helped; another label, a centre's name, a crossing or a hidden hotspot does)
        far = best[2] >= 150.0 or float(np.hypot(best[1][0], best[1][1])) > NAME_REACH_PT
        if far and street and rank.isdigit():
            # No room for the street by its hotspot: the rank alone, near it.
            label.set_text(rank)
            best = search(label, anchor)
        put(label, best[1])
        placed.append(extent(label).frozen())
        leaders.append((anchor, _box_centre(placed[-1])))


def _box_centre(box) -> np.ndarray:
    return np.array([(box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2])


def _segments_cross(a, b, c, d) -> bool:
    """Whether segments a-b and c-d cross (touching at an end does not count)."""

    def side(p, q, r) -> float:
        return float((q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0]))

    d1, d2, d3, d4 = side(c, d, a), side(c, d, b), side(a, b, c), side(a, b, d)
    return d1 * d2 < 0 and d3 * d4 < 0
