"""One style for every output: colours, classes, labels and legends.

The web map (:mod:`hotspots.draw.webmap`), the static maps and tasking sheets
(:mod:`hotspots.outputs.export`) and the report pack read their colours and legend
entries from here, so no two outputs can disagree.

* **Hotspots**: five classes on ColorBrewer's YlOrRd (its seven-class scheme
  without the two palest steps: orange to dark red). Stronger colour means more
  incidents, in every output. ColorBrewer marks YlOrRd colour-blind safe; its
  classes differ in lightness, so they read in greyscale too.
* **Wards**: ColorBrewer Blues (a different hue family), light enough for the
  hotspots and the streets to stay readable on top.
* **Heat layer**: viridis (colour-blind safe), listed in the legend as a
  gradient from fewer to more incidents.
* **How places changed** (place patterns, :mod:`hotspots.analysis.patterns`): one
  colour per class from Paul Tol's and Okabe & Ito's colour-blind-safe sets, none
  of them a hotspot's yellow, orange or red: purple for places hot now
  (persistent indigo, emerging purple), bluish green for places hot on and off,
  cyan and grey for places cooling (diminishing cyan, former grey). Simulated
  protan, deutan and tritan vision keeps every pair apart, and every class
  away from every hotspot class (tests check CIE Lab distances); the legend
  says so.
* **Town and district centres**: a dashed black outline and their name.
* **Chance test** (:mod:`hotspots.analysis.significance`): a hotspot that is not more
  than chance keeps its class colour, paler, inside a dashed outline (shape and
  lightness, not hue, so it reads for colour-blind readers and in greyscale);
  the legend says "not more than chance (q > 0.05)".
* **Roads** (``--roads``): grey lines with dark grey names on a white halo.

Hotspot classes are fixed by the DBSCAN threshold ``min_samples`` (the fewest
incidents a hotspot can have), not by the hotspots on show: the class bounds
grow by half at each step (``min_samples`` x 1, 1.5, 2.25, 3.4, 5.1, rounded up). A focus
area or ward view of the same season and year therefore colours each hotspot
as the whole-borough view does.

The API the other outputs use (stable):

==========================  =====================================================
``HOTSPOT_COLOURS``         the five hotspot class colours, light to dark
``WARD_COLOURS``            the five ward choropleth colours, light to dark
``HEAT_GRADIENT``           ``{stop: colour}`` for Leaflet.heat (0 to 1)
``YEAR_COLOURS``            one colour per financial year on charts (report year first)
``NO_DATA``                 the words, grey and hatch of a month the data do not cover
``PATTERN_COLOURS``         ``{pattern: colour}`` for the "How places changed" layer
``pattern_legend_entries()`` the legend rows of that layer
``hotspot_classes()``       :class:`Classes` for some hotspots (or counts)
``ward_classes()``          :class:`Classes` for ward counts or rates
``hotspot_label()``         "1 Unicorn Hill": rank and main street
``main_street()``           "Unicorn Hill" from "On or near Unicorn Hill (30); ..."
``legend_entries()``        the legend of a map as :class:`LegendEntry` rows
``chance_style()``          outline dash and fill opacity of a tested hotspot
``CHANCE_WORDS``            "more than chance" / "not more than chance"
``chance_word()``           those words for one hotspot ("" when untested)
``attribution()``           the licence line, with a basemap's attribution
==========================  =====================================================
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from hotspots.analysis.patterns import pattern_rules
from hotspots.io import ATTRIBUTION

#: Hotspot classes, fewest to most incidents (ColorBrewer YlOrRd, 7 classes, darkest 5).
HOTSPOT_COLOURS: tuple[str, ...] = ("#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#b10026")
#: Outline of every hotspot hull.
HOTSPOT_OUTLINE = "#1a1a1a"
#: Fill opacity of hotspot hulls on the web map (tiles and streets show through).
HOTSPOT_WEB_OPACITY = 0.6
#: Ward choropleth classes, fewest to most (ColorBrewer Blues, 5 classes).
WARD_COLOURS: tuple[str, ...] = ("#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c")
WARD_OUTLINE = "#444444"
#: Financial years on charts (Okabe & Ito's colour-blind-safe set, yellow left out: it vanishes
#: on white). The report year takes the first, the year before the second; the deck's charts
#: also vary marker and dash, so years stay apart in grey print.
YEAR_COLOURS: tuple[str, ...] = (
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#000000",
)  # fmt: skip
#: A month the data do not cover, on a chart by month: neither 0 nor a colour of the years, but
#: these words on a light grey, hatched band (lightness and texture, no hue), in the legend too.
NO_DATA = "no data"
NO_DATA_FILL = "#eeeeee"
NO_DATA_HATCH_COLOUR = "#9a9a9a"
NO_DATA_HATCH = "///"
#: Fill opacity of the ward choropleth on the web map.
WARD_WEB_OPACITY = 0.35
#: Ward fill where there is no value (rate without population).
NO_VALUE = "#ffffff"
#: Leaflet.heat gradient (viridis): position 0..1 -> colour.
HEAT_GRADIENT: dict[float, str] = {
    0.0: "#440154",
    0.25: "#3b528b",
    0.5: "#21918c",
    0.75: "#5ec962",
    1.0: "#fde725",
}
#: Place patterns (hotspots.analysis.patterns): purple = hot now, green = on and off, cyan and
#: grey = cooling; no yellow, orange or red, which are the hotspot classes' (Tol, Okabe-Ito).
PATTERN_COLOURS: dict[str, str] = {
    "emerging": "#AA3377",
    "persistent": "#332288",
    "intermittent": "#009E73",
    "diminishing": "#88CCEE",
    "former": "#BBBBBB",
}
#: The pattern colours in words, for the legend (so no one reads a square as a hotspot class).
PATTERN_HUES = "purple, green, cyan or grey: never a hotspot's yellow to red"
#: Outline and fill opacity of the pattern cells on the web map.
PATTERN_OUTLINE = "#333333"
PATTERN_WEB_OPACITY = 0.75
#: The pattern layer's name in the web map's layer list.
PATTERN_LAYER = "How places changed"
#: Chance test: a hotspot that is not more than chance has this dashed outline (on, off)
#: and this fill opacity on the web map (the class colour, paler); its outline is thicker
#: than a town centre's dashes, which have no fill.
CHANCE_DASH = (5, 4)
CHANCE_WEB_OPACITY = 0.22
CHANCE_OUTLINE_WEIGHT = 2.5
#: The words for a chance test verdict (``significant`` True / False), in every output.
CHANCE_WORDS = {True: "more than chance", False: "not more than chance"}
#: Town and district centres: outline colour and dash pattern (points on, points off).
CENTRE_COLOUR = "#000000"
CENTRE_DASH = (6, 4)
#: Roads: line colour, name colour, and the web zoom from which they are drawn.
ROAD_COLOUR = "#8a8a8a"
ROAD_NAME_COLOUR = "#2b2b2b"
ROAD_MIN_ZOOM = 15
#: Each hotspot class bound is this many times the one before, from ``min_samples``.
CLASS_STEP = 1.5
N_CLASSES = 5


@dataclass(frozen=True)
class Classes:
    """Colour classes: ``lower[i] <= value < lower[i + 1]`` takes ``colours[i]``.

    Attributes
    ----------
    lower : tuple of float
        The lower bound of each class (the first class also takes anything below).
    colours : tuple of str
        One hex colour per class, light (few) to dark (many).
    labels : tuple of str
        Legend labels, e.g. ``"10 to 14"``, ``"34 or more"``.
    """

    lower: tuple[float, ...]
    colours: tuple[str, ...]
    labels: tuple[str, ...]

    def index(self, values: Iterable[float] | float) -> np.ndarray:
        """The class number of each value (0 = fewest).

        Examples
        --------
        >>> hotspot_classes([10, 60], min_samples=10).index([9, 10, 15, 60]).tolist()
        [0, 0, 1, 4]
        """
        arr = np.atleast_1d(np.asarray(values, dtype=float))
        idx = np.searchsorted(np.asarray(self.lower), arr, side="right") - 1
        return np.clip(idx, 0, len(self.colours) - 1)

    def colour(self, value: float) -> str:
        """The colour of one value.

        Examples
        --------
        >>> hotspot_classes([10, 60], min_samples=10).colour(60)
        '#b10026'
        """
        return self.colours[int(self.index(value)[0])]

    def colours_for(self, values: Iterable[float]) -> list[str]:
        """The colour of each value (a missing value gets :data:`NO_VALUE`).

        Examples
        --------
        >>> ward_classes([0, 100]).colours_for([0, 100, float("nan")])
        ['#eff3ff', '#08519c', '#ffffff']
        """
        arr = np.asarray(list(values), dtype=float)
        idx = self.index(np.nan_to_num(arr, nan=0.0))
        return [NO_VALUE if np.isnan(v) else self.colours[i] for v, i in zip(arr, idx)]


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _labels(lower: Sequence[float], *, whole: bool) -> tuple[str, ...]:
    out = []
    for a, b in pairwise(lower):
        top = b - 1 if whole else b
        out.append(_fmt(a) if whole and top <= a else f"{_fmt(a)} to {_fmt(top)}")
    out.append(f"{_fmt(lower[-1])} or more")
    return tuple(out)


def hotspot_classes(hotspots, *, min_samples: int | None = None) -> Classes:
    """The hotspot colour classes, set by the DBSCAN threshold.

    Parameters
    ----------
    hotspots : geopandas.GeoDataFrame or sequence of int
        Hotspots (their ``attrs["min_samples"]`` is used when ``min_samples`` is
        not given) or just their incident counts.
    min_samples : int, optional
        The fewest incidents a hotspot can have. Without it (and without the
        attribute), the smallest count given is used.

    Returns
    -------
    Classes
        Five classes from ``min_samples`` upwards, each bound 1.5 times the one
        before (whole numbers); ``attrs["class_lower"]`` on ``hotspots``
        overrides them.

    Examples
    --------
    >>> c = hotspot_classes([12, 80], min_samples=10)
    >>> c.labels
    ('10 to 14', '15 to 22', '23 to 34', '35 to 52', '53 or more')
    >>> c.colour(80) == HOTSPOT_COLOURS[-1], c.colour(12) == HOTSPOT_COLOURS[0]
    (True, True)
    """
    attrs = getattr(hotspots, "attrs", {}) or {}
    if "class_lower" in attrs:
        lower = tuple(float(v) for v in attrs["class_lower"])
        return Classes(lower, HOTSPOT_COLOURS[: len(lower)], _labels(lower, whole=True))
    counts = hotspots["incidents"] if hasattr(hotspots, "columns") else hotspots
    counts = np.asarray(list(counts), dtype=float)
    base = min_samples if min_samples is not None else attrs.get("min_samples")
    if base is None or not np.isfinite(float(base)) or float(base) < 1:
        base = float(counts.min()) if len(counts) else 1.0
    base = max(float(base), 1.0)
    lower: list[float] = [np.floor(base)]
    for _ in range(N_CLASSES - 1):
        lower.append(max(lower[-1] + 1, float(np.ceil(lower[-1] * CLASS_STEP))))
    return Classes(tuple(lower), HOTSPOT_COLOURS, _labels(lower, whole=True))


def ward_classes(values: Iterable[float], *, n: int = N_CLASSES) -> Classes:
    """Equal-width ward classes from 0 to the largest value (counts or rates).

    Examples
    --------
    >>> ward_classes([0, 40, 100]).labels
    ('0 to 19', '20 to 39', '40 to 59', '60 to 79', '80 or more')
    >>> ward_classes([0.5, 2.5]).labels
    ('0 to 0.5', '0.5 to 1', '1 to 1.5', '1.5 to 2', '2 or more')
    >>> ward_classes([]).labels
    ('0 or more',)
    """
    arr = np.asarray(list(values), dtype=float)
    arr = arr[np.isfinite(arr)]
    hi = float(arr.max()) if len(arr) else 0.0
    if hi <= 0:
        return Classes((0.0,), WARD_COLOURS[:1], ("0 or more",))
    whole = bool(np.all(arr == np.round(arr)))
    width = hi / n
    width = max(1.0, float(np.ceil(width))) if whole else (float(np.round(width, 1)) or 0.1)
    lower = [0.0 + i * width for i in range(n)]
    labels = list(_labels(lower, whole=whole))
    if not whole:
        labels = [f"{_fmt(a)} to {_fmt(b)}" for a, b in pairwise(lower)] + [labels[-1]]
    return Classes(tuple(lower), WARD_COLOURS[:n], tuple(labels))


def chance_style(significant) -> dict:
    """How the web map draws a hotspot's outline and fill after the chance test.

    ``significant`` True (or untested: None / NaN) keeps the plain style; False
    gives the dashed outline and paler fill of :data:`CHANCE_DASH` and
    :data:`CHANCE_WEB_OPACITY`.

    Examples
    --------
    >>> chance_style(True)["fillOpacity"] == HOTSPOT_WEB_OPACITY, "dashArray" in chance_style(True)
    (True, False)
    >>> chance_style(False)["dashArray"], chance_style(False)["fillOpacity"]
    ('5 4', 0.22)
    """
    plain = {"weight": 2, "fillOpacity": HOTSPOT_WEB_OPACITY}
    if significant is None or significant != significant or bool(significant):
        return plain
    return {"weight": CHANCE_OUTLINE_WEIGHT, "fillOpacity": CHANCE_WEB_OPACITY,
            "dashArray": " ".join(str(v) for v in CHANCE_DASH)}  # fmt: skip


def chance_word(significant) -> str:
    """The chance test's verdict in the words of every output ("" when a hotspot was not tested).

    Examples
    --------
    >>> chance_word(True), chance_word(False), chance_word(None), chance_word(float("nan"))
    ('more than chance', 'not more than chance', '', '')
    """
    try:
        if significant is None or significant != significant:  # None, NaN
            return ""
        return CHANCE_WORDS[bool(significant)]
    except TypeError:  # pandas.NA: its truth is ambiguous
        return ""


def chance_legend(
    simulations: int, alpha: float = 0.05, model: str | None = None
) -> list[LegendEntry]:
    """The chance test's legend rows: a solid and a dashed hotspot outline, and what chance means.

    ``model`` is the null model's kind (``attrs["chance_model"]`` of
    :func:`hotspots.analysis.significance.cluster_significance`); with it a
    text row says what the simulations did.

    Examples
    --------
    >>> [(r.kind, r.label) for r in chance_legend(999)]
    [('outline', 'more than chance'), ('outline-dashed', 'not more than chance (q > 0.05)')]
    >>> chance_legend(999)[0].section
    'Chance test (999 simulations, FDR 5%)'
    >>> chance_legend(999, model="snapped")[-1].label
    'chance: incidents spread evenly over the study area and moved to the nearest map point (as police.uk does)'
    """
    section = f"Chance test ({simulations:,} simulations, FDR {alpha:.0%})"
    colours = (HOTSPOT_OUTLINE, HOTSPOT_COLOURS[1])
    rows = [
        LegendEntry(section, CHANCE_WORDS[True], "outline", colours),
        LegendEntry(section, f"{CHANCE_WORDS[False]} (q > {alpha:g})", "outline-dashed", colours),
    ]
    if model:
        from hotspots.analysis.null_model import MODEL_WORDS

        rows.append(
            LegendEntry(section, f"chance: incidents {MODEL_WORDS.get(model, model)}", "text")
        )
    return rows


@dataclass(frozen=True)
class LegendEntry:
    """One row of a legend.

    Attributes
    ----------
    section : str
        The heading it sits under ("Hotspots: incidents", "Wards: incidents", ...).
    label : str
    kind : {"fill", "line", "dashed", "gradient", "text", "outline", "outline-dashed"}
        How the swatch is drawn: a filled box, a line, a dashed line, a colour
        ramp (``colours`` holds its stops), no swatch, or a hotspot box with a
        solid or dashed outline (the chance test: ``colours`` are the outline
        and the fill).
    colours : tuple of str
        The fill or line colour (several for a gradient or an outlined box).
    opacity : float, default 1
        A fill swatch's opacity: the swatch is drawn as the map draws what it
        stands for (the web map's translucent hulls and ward fill).
    """

    section: str
    label: str
    kind: str
    colours: tuple[str, ...] = ()
    opacity: float = 1.0


#: The legend row of a map with no street source: the one command that adds them.
NO_STREETS_LEGEND = "No streets: run 'hotspots fetch streets --store'"


#: The legend's row for a street layer of names without lines (police.uk map points).
STREET_NAMES_LEGEND = "Street name (approximate place, no street lines)"
#: The legend's row for hotspot labels that show their rank alone.
RANKS_ALONE_LEGEND = "7: rank alone, no room for its street"


def legend_entries(
    *,
    hotspots: Classes | None = None,
    wards: Classes | None = None,
    ward_title: str = "Wards: incidents",
    heat: bool = False,
    centres: Sequence[str] = (),
    roads: bool = False,
    no_streets: bool = False,
    ward_outline: bool = True,
    approximate_wards: bool = False,
    chance: int | None = None,
    chance_model: str | None = None,
    hotspot_opacity: float = 1.0,
    ward_opacity: float = 1.0,
    ranks_alone: bool = False,
    street_names_only: bool = False,
) -> list[LegendEntry]:
    """The legend of a map, section by section.

    Parameters
    ----------
    hotspots, wards : Classes, optional
        The colour classes drawn (their rows are listed darkest first).
    ward_title : str
        The ward section heading ("Wards: incidents per 1,000 residents").
    heat : bool
        The heat layer is on the map.
    centres : sequence of str
        Names of the town and district centres shown.
    roads : bool
        A roads layer is drawn.
    no_streets : bool
        No street source is known: a text row says the command that adds them
        (:data:`NO_STREETS_LEGEND`).
    ward_outline : bool
        List the ward boundary line (static maps, which have no ward fill).
    approximate_wards : bool
        Say the boundaries are approximate (the demo).
    chance : int, optional
        The hotspots carry the chance test of this many simulations: add
        :func:`chance_legend` after the hotspot classes.
    chance_model : str, optional
        Its null model's kind: the legend says what chance means.
    hotspot_opacity, ward_opacity : float
        The fill opacity the map draws hotspots and wards with (the web map's
        :data:`HOTSPOT_WEB_OPACITY`, :data:`WARD_WEB_OPACITY`): their swatches
        are drawn alike, so a swatch looks like what it stands for.
    ranks_alone : bool
        Some hotspot labels show their rank alone (a static map with no room
        for their streets): the legend says so.
    street_names_only : bool
        The street layer is mostly names without lines
        (:func:`hotspots.read.roads.names_only`): "street names", not a line.

    Examples
    --------
    >>> rows = legend_entries(hotspots=hotspot_classes([10], min_samples=10), heat=True,
    ...                       centres=["Town centre"])
    >>> [(r.section, r.label) for r in rows][:2]
    [('Hotspots: incidents', '53 or more'), ('Hotspots: incidents', '35 to 52')]
    >>> [(r.kind, r.label) for r in rows if r.section != "Hotspots: incidents"][-2:]
    [('text', '1 Street: hotspot rank, main street'), ('dashed', 'Town centre')]
    >>> legend_entries(centres=["Town centre", "Woodrow"])[-1].label
    'Town centre, Woodrow'
    """
    rows: list[LegendEntry] = []
    if hotspots is not None:
        section = "Hotspots: incidents"
        for colour, label in reversed(list(zip(hotspots.colours, hotspots.labels))):
            rows.append(LegendEntry(section, label, "fill", (colour,), hotspot_opacity))
        if chance:
            rows.extend(chance_legend(int(chance), model=chance_model))
    if heat:
        rows.append(LegendEntry("Heat (incident density)", "fewer to more incidents", "gradient",
                                tuple(HEAT_GRADIENT.values())))  # fmt: skip
    if wards is not None:
        for colour, label in reversed(list(zip(wards.colours, wards.labels))):
            rows.append(LegendEntry(ward_title, label, "fill", (colour,), ward_opacity))
    section = "Map"
    if ward_outline:
        label = "Ward boundary" + (" (approximate)" if approximate_wards else "")
        rows.append(LegendEntry(section, label, "line", (WARD_OUTLINE,)))
    if roads and street_names_only:
        rows.append(LegendEntry(section, STREET_NAMES_LEGEND, "text"))
    elif roads:
        rows.append(LegendEntry(section, "Road, with its name", "line", (ROAD_COLOUR,)))
    elif no_streets:
        rows.append(LegendEntry(section, NO_STREETS_LEGEND, "text"))
    if hotspots is not None:
        rows.append(LegendEntry(section, "1 Street: hotspot rank, main street", "text"))
        if ranks_alone:
            rows.append(LegendEntry(section, RANKS_ALONE_LEGEND, "text"))
    if centres:
        rows.append(LegendEntry("Town and district centres", ", ".join(centres), "dashed",
                                (CENTRE_COLOUR,)))  # fmt: skip
    return rows


def pattern_legend_entries(periods: Sequence[str], *, by: str = "season") -> list[LegendEntry]:
    """The legend rows of the "How places changed" layer: one per class, in the rules' words.

    Examples
    --------
    >>> rows = pattern_legend_entries(["autumn 2017-18", "winter 2017-18", "autumn 2018-19"])
    >>> rows[0].section
    'How places changed (3 seasons, autumn 2017-18 to autumn 2018-19)'
    >>> [r.label for r in rows][:2]
    ['persistent: hot in 80% or more of the seasons', 'emerging: hot in the latest, not in the first season']
    """
    t = len(periods)
    span = f"{t} {by}s, {periods[0]} to {periods[-1]}" if t else f"no {by}s"
    section = f"{PATTERN_LAYER} ({span})"
    words = pattern_rules(t, by=by)
    rows = [LegendEntry(section, f"{name}: {words[name]}", "fill", (PATTERN_COLOURS[name],))
            for name in words]  # fmt: skip
    rows.append(LegendEntry(section, f"each square is a place of the study grid, in {PATTERN_HUES}; "
                                     "zoom in to see them", "text"))  # fmt: skip
    return rows


def attribution(basemap: str | None = None, *, streets: str | None = None) -> str:
    """The licence line of a map: the data's, the streets' and the basemap's when there are.

    Examples
    --------
    >>> attribution("© OpenStreetMap contributors").endswith("Basemap: © OpenStreetMap contributors")
    True
    >>> attribution(streets="© OpenStreetMap contributors").endswith(
    ...     "Streets: © OpenStreetMap contributors.")
    True
    """
    parts = [ATTRIBUTION]
    if streets:
        parts.append(f"Streets: {streets.rstrip('.')}.")
    if basemap:
        parts.append(f"Basemap: {basemap}")
    return " ".join(parts)


def centre_label(name: str, kind: str | None = None) -> str:
    """The tooltip or label of a town or district centre: its name, said once.

    Examples
    --------
    >>> centre_label("Town centre", "town centre"), centre_label("Woodrow", "district centre")
    ('Town centre', 'Woodrow (district centre)')
    """
    if not kind or kind.strip().lower() in name.strip().lower():
        return name
    return f"{name} ({kind})"
