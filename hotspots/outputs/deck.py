"""The panel deck: the committee's ASB slides as PowerPoint (editable) and PDF.

A scrutiny panel's ASB pack has these slides, in this order (the Redditch Crime
and Disorder Scrutiny Panel's, September 2019): a title slide; **Incident
types**; **Seasonal patterns**; **Ward patterns**; **Where?** (hotspot maps);
**District data** (when the wards belong to several districts); and a closing
slide on the data's licence and limits.

The module has three layers:

* pure functions that build each slide's table and sentences from the prepared
  incidents (:func:`incident_type_table`, :func:`qualifier_table`,
  :func:`seasonal_profile`, :func:`peak_sentence`, :func:`ward_slide_table`,
  :func:`district_table`, :func:`district_sentence`, ...). Every sentence states
  counts, shares, rises and falls, peak months and places taken from the tables
  beside it, nothing else;
* :func:`build_deck`: one slide model (:class:`Deck` of :class:`Slide`), with
  the charts as chart models (:mod:`hotspots.outputs.deck_charts`) and maps
  already drawn as print-resolution PNGs;
* writers: :func:`write_pptx` (python-pptx; tables are real PowerPoint tables and
  charts native PowerPoint charts an officer can edit), :func:`write_pdf` (the
  same slides, same layout, drawn with matplotlib, so no office suite is needed)
  and :func:`write_deck` (by suffix).

Files are read only at the edges (:func:`read_qualifiers`,
:func:`read_district_wards`, the writers).
"""

from __future__ import annotations

import io
import logging
from dataclasses import replace

import geopandas as gpd
import pandas as pd

from hotspots import __version__
from hotspots.analysis.seasons import FY_MONTHS, MONTH_ABBR, months_span
from hotspots.draw import cartography as carto
from hotspots.outputs._slides import (
    _MARGIN,
    SLIDE_W,
    Deck,
    Slide,
    Table,
    frame_table,
    split_table,
)
from hotspots.outputs.deck_charts import seasonal_chart_model, type_chart_model
from hotspots.outputs.panel import (
    POLICE_NO_CATEGORY,
    chance_sentences,
    change_sentence,
    council_rows,
    coverage,
    district_sentence,
    district_table,
    fmt_int,
    fmt_pct,
    halloween_sentence,
    hotspot_sentences,
    incident_type_table,
    join_words,
    like_for_like,
    peak_sentence,
    qualifier_table,
    seasonal_profile,
    ward_slide_table,
    year_totals_sentence,
)
from hotspots.outputs.panel_sources import (
    earlier_years_hint,
    fmt_mean,
    police_forces,
    police_type_lines,
    police_type_table,
    season_label_with_months,
    source_attributions,
)
from hotspots.read.qualifiers import qualifier_flags

log = logging.getLogger(__name__)

#: Slide titles, in the deck's order (the district slide only with several districts).
TITLES = {
    "types": "Incident types",
    "seasonal": "Seasonal patterns",
    "wards": "Ward patterns",
    "where": "Where?",
    "patterns": "How places changed",
    "districts": "District data",
    "limits": "About the data: licence and limits",
}


# --------------------------------------------------------------------------- small helpers


# --------------------------------------------------------------------------- the period covered


# --------------------------------------------------------------------------- incident types


# --------------------------------------------------------------------------- seasonal patterns


# --------------------------------------------------------------------------- wards and districts


# --------------------------------------------------------------------------- hotspots


# --------------------------------------------------------------------------- the slide model


# --------------------------------------------------------------------------- charts and maps


def type_table(types: pd.DataFrame, years: list[str] | tuple[str, ...]) -> Table:
    """The incident-type table as the panel prints it: counts, the mean (no ``.0``) and mean %.

    Examples
    --------
    >>> t = pd.DataFrame({"type": ["Youths", "Total"], "2018-19": [3, 3], "mean": [3.0, 3.0],
    ...                   "mean %": [100.0, 100.0]})
    >>> type_table(t, ["2018-19"]).rows
    (('Youths', '3', '3', '100%'), ('Total', '3', '3', '100%'))
    """
    shown = types.assign(mean=types["mean"].map(fmt_mean))
    table = frame_table(shown, ["Type", *years, "Mean", "Mean %"], ints=list(years),
                        pcts=["mean %"], first_width_in=3.2, width_in=1.05)  # fmt: skip
    numeric = tuple(True if h == "Mean" else n for h, n in zip(table.header, table.numeric))
    return replace(table, numeric=numeric)


def hotspot_map(
    clusters: gpd.GeoDataFrame,
    wards: gpd.GeoDataFrame,
    *,
    title: str,
    note: str,
    areas: gpd.GeoDataFrame | None = None,
    demo: bool = False,
    dpi: int = 300,
    streets: gpd.GeoDataFrame | None = None,
) -> bytes:
    """A hotspot map of some wards as a PNG, drawn by the project's static-map style.

    The map shows the wards whole (the whole study area), and an inset the streets around
    the largest hotspot (the town centre, as a rule) with the hotspots there; a box on the
    main map shows where the inset lies. The inset labels hotspots by rank only (the main map
    and the slide's list give their streets). ``streets``
    (:func:`hotspots.loader.load_streets`) are drawn with their names; without them the map
    says how to add them.
    """
    from matplotlib.patches import Rectangle

    from hotspots.draw.static import MapStyle, WardLayer, draw_map, map_figure

    extent = _main_extent(wards)
    layer = WardLayer.of(wards)
    style = MapStyle(dpi=dpi, size_in=(9.0, 6.2), roads=streets)
    inset = _inset_extent(clusters.to_crs(wards.crs), extent) if len(clusters) else None
    # On the main map the hotspots inside the inset's box go by rank only: their streets,
    # crowded into the town centre, were pushed to the far side of the map on long leaders
    # (the real Redditch "3 Redditch Ringway / Silver Street" sat in Matchborough).
    inside = inset_hotspots(clusters, wards) if inset is not None else []
    main_clusters = clusters
    if inside and "label" in clusters:
        main_clusters = clusters.assign(label=[
            str(int(i)) if i in inside else lab
            for i, lab in zip(clusters["cluster_id"], clusters["label"])
        ])  # fmt: skip
        main_clusters.attrs.update(clusters.attrs)
    fig = map_figure(main_clusters, layer, title=title, note=note, extent=extent, areas=areas,
                     style=style, demo=demo)  # fmt: skip
    if inset is not None:
        place = _inset_place(fig)
        if place is None and main_clusters is not clusters:  # no room for it: every street named
            fig = map_figure(clusters, layer, title=title, note=note, extent=extent, areas=areas,
                             style=style, demo=demo)  # fmt: skip
        if place is not None:
            ax = fig.add_axes(place)
            ranks_only = clusters.drop(columns=[c for c in ("label", "top_locations", "locations",
                                                            "place") if c in clusters])  # fmt: skip
            draw_map(ax, ranks_only, layer, extent=inset, areas=areas, style=style,
                     ward_names=False, classes=carto.hotspot_classes(clusters))  # fmt: skip
            ax.set_axis_on()
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_linewidth(0.8)
            ax.set_title("Around hotspot 1", fontsize=7, loc="left", pad=2)
            main = fig.axes[0]
            main.add_patch(Rectangle((inset[0], inset[1]), inset[2] - inset[0], inset[3] - inset[1],
                                     fill=False, lw=0.8, ec="#333333", zorder=7))  # fmt: skip
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


def _inset_place(fig) -> tuple[float, float, float, float] | None:
    """Where the inset goes: under the legend, square, above the footer (None: no room).

    The legend's length varies (chance rows, the no-streets row), so the inset is placed
    from where the legend really ends, never over it.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(fig).get_renderer()
    bottom = 0.1
    top = 0.44
    for legend in fig.legends:
        box = legend.get_window_extent(renderer).transformed(fig.transFigure.inverted())
        top = min(top, box.y0 - 0.03)
    height = top - bottom
    if height < 0.16:
        return None
    width = min(0.19, height * fig.get_figheight() / fig.get_figwidth())
    return (0.805, bottom, width, width * fig.get_figwidth() / fig.get_figheight())


def _main_extent(wards: gpd.GeoDataFrame) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = (float(v) for v in wards.total_bounds)
    pad = 0.04 * max(x1 - x0, y1 - y0, 800.0)
    return (x0 - pad, y0 - pad, x1 + pad, y1 + pad)


def inset_hotspots(clusters: gpd.GeoDataFrame, wards: gpd.GeoDataFrame) -> list[int]:
    """The ``cluster_id`` of the hotspots in the "Where?" map's inset, by rank (empty: no inset).

    The main map labels them by rank only; the slide names them in a sentence.
    """
    if not len(clusters):
        return []
    inside = clusters.to_crs(wards.crs)
    inset = _inset_extent(inside, _main_extent(wards))
    if inset is None:
        return []
    points = inside.geometry.representative_point()
    within = (
        (points.x > inset[0])
        & (points.x < inset[2])
        & (points.y > inset[1])
        & (points.y < inset[3])
    )
    return sorted(int(i) for i in inside.loc[within, "cluster_id"])


def _inset_extent(clusters: gpd.GeoDataFrame, whole: tuple) -> tuple | None:
    """A square about 1.5 km across around the largest hotspot, or None when the main map is
    already that close (a map under 4 km across needs no inset)."""
    if max(whole[2] - whole[0], whole[3] - whole[1]) < 4000:
        return None
    biggest = clusters.loc[clusters["incidents"].idxmax()].geometry.centroid
    half = 750.0
    return (biggest.x - half, biggest.y - half, biggest.x + half, biggest.y + half)


# --------------------------------------------------------------------------- building the deck


def shown_of(clusters: gpd.GeoDataFrame, sheet: pd.DataFrame) -> gpd.GeoDataFrame:
    """The hotspots of ``clusters`` listed in a sheet (a ward group's), in rank order."""
    return clusters[clusters["cluster_id"].isin(sheet["cluster_id"])]


MAX_ROWS = 18


def _boundary_note(note: str) -> bool:
    return note.startswith(("Ward boundaries", "warning"))


def build_deck(
    prepared,
    *,
    financial_year: str,
    compare: str | None = None,
    districts: pd.Series | None = None,
    qualifiers: pd.DataFrame | None = None,
    title: str | None = None,
    params=None,
    demo: bool = False,
    dpi: int = 300,
    streets: gpd.GeoDataFrame | None = None,
    result=None,
) -> Deck:
    """Build the panel deck from prepared incidents.

    Parameters
    ----------
    prepared : hotspots.analysis.prepare.Prepared
        The incidents (study area), wards and focus areas.
    financial_year : str
        The panel's year, e.g. ``"2018-19"``.
    compare : str, optional
        The year compared with (default the year before, when the data has it).
    districts : pandas.Series, optional
        Ward name -> district; with two or more districts the deck gets the
        district slide, and ward tables and maps per district.
    qualifiers : pandas.DataFrame, optional
        From :func:`read_qualifiers`: youth / drugs / alcohol flags of council rows.
    title : str, optional
        The area's name on the title slide (default: the districts, or "the borough").
    params : hotspots.analysis.cluster.ClusterParams, optional
        DBSCAN settings for the "Where?" slides.
    demo : bool
        The embedded demo borough (said on every slide).
    dpi : int, default 300
        Resolution of charts and maps.
    streets : geopandas.GeoDataFrame, optional
        Streets drawn on the "Where?" maps (:func:`hotspots.loader.load_streets`).
    result : hotspots.results.PeriodResult, optional
        The year's answer (all seasons of ``financial_year``, with its place
        patterns), when the caller has it already (the web app's cached one):
        the "Where?" slides draw it instead of clustering the year again.

    Returns
    -------
    Deck

    Examples
    --------
    >>> from boundaries import get_path, load_wards
    >>> from hotspots.read.incidents import read_incidents
    >>> from hotspots.analysis.prepare import prepare
    >>> p = prepare(read_incidents([get_path("demo-incidents")]), load_wards(get_path("demo-wards")))
    >>> deck = build_deck(p, financial_year="2018-19", demo=True, dpi=40)
    >>> deck.titles[:5]
    ['Anti-social behaviour: the borough', 'Incident types', 'Seasonal patterns', 'Ward patterns', 'Where?']
    """
    from hotspots.analysis.notes import DEMO_NOTE, data_note
    from hotspots.io import ATTRIBUTION
    from hotspots.outputs.tasking import view_sheet

    inc = prepared.incidents
    cov = coverage(prepared.months_covered, financial_year=financial_year,
                   compare=compare)  # fmt: skip
    years = cov.years
    fy = financial_year
    whole = inc  # every month: the seasonal chart
    inc, like_note = like_for_like(inc, cov)
    in_years = inc[inc["financial_year"].isin(years)]
    source_note = data_note(in_years, demo=demo)
    footer = " ".join(p for p in (source_note, DEMO_NOTE if demo else "", ATTRIBUTION) if p)
    district_names = sorted(set(districts)) if districts is not None else []
    many = len(district_names) >= 2
    area_name = title or (join_words(district_names) if district_names else "the borough")
    compare_text = (f"compared with {cov.compare}" if cov.compare else
                    "no earlier year in the data to compare with")  # fmt: skip
    part = [cov.describe(y) for y in years if cov.is_part_year(y)]
    if like_note:
        part.append(like_note)
    facts: dict = {"years": years, "coverage": [cov.describe(y) for y in years]}
    slides: list[Slide] = []

    # Title
    sub = [f"Financial year {fy} (April to March), {compare_text}."]
    if part:
        sub.append("Part year: " + "; ".join(p.rstrip(".") for p in part) + ".")
    sub.append(source_note)
    all_years = sorted(set(whole["financial_year"].astype(str)))
    if len(all_years) > len(years):
        sub.append(f"Seasonal patterns: {len(all_years)} financial years, {all_years[0]} to "
                   f"{all_years[-1]} ({months_span(cov.months)}).")  # fmt: skip
    if many:
        sub.append(f"Districts: {join_words(district_names)}.")
    slides.append(Slide("title", f"Anti-social behaviour: {area_name}", subtitle="\n".join(sub),
                        footer=footer))  # fmt: skip

    # Incident types: the council's categories, or what police.uk rows give
    types = incident_type_table(inc, years)
    n_police = int((~council_rows(in_years)).sum())
    years_span = months_span([m for y in years for m in cov.covered(y)])
    lines: list[str] = []
    tables: list[Table] = []
    type_chart = None
    if types.empty:
        types = police_type_table(inc, years)
        lines += police_type_lines(n_police, years)
        if not types.empty:
            tables.append(type_table(types, years))
    else:
        total = types.iloc[-1]
        lines.append(f"Council records by category: {fmt_int(total[fy])} in {fy}"
                     + (f", {fmt_int(total[cov.compare])} in {cov.compare}" if cov.compare
                        else "") + f" ({years_span}). Mean of the years shown and its share.")  # fmt: skip
        top = types.iloc[0]
        lines.append(f"Largest type: {top['type']} ({fmt_pct(top['mean %'])} of the mean of "
                     f"{join_words(years)}, {years_span}).")  # fmt: skip
        if n_police:
            lines.append(f"Not in the table: {fmt_int(n_police)} police.uk incidents. "
                         + POLICE_NO_CATEGORY)  # fmt: skip
        tables.append(type_table(types, years))
        type_chart = type_chart_model(types, years, financial_year=fy)
    facts["types"] = types
    if like_note and len(types):
        lines.append(like_note)
    slides.append(Slide("types", TITLES["types"], tuple(lines), tuple(tables), footer=footer,
                        chart=type_chart))  # fmt: skip
    if qualifiers is not None and len(qualifiers):
        # Qualifiers on a slide of their own: beside the type table and its chart they would
        # run off the slide.
        flags = qualifier_flags(inc, qualifiers)
        council = council_rows(inc) & inc["financial_year"].isin(years)
        qt = qualifier_table(flags[council], inc["financial_year"], years)
        facts["qualifiers"] = qt
        q = qt.set_index("qualifier")
        named = ", ".join(f"{k} {fmt_int(q.at[k, fy])}" for k in q.index[:-2])
        fy_span = months_span(cov.covered(fy))
        q_lines = [f"Qualifiers in {fy} ({fy_span}): {named} of "
                   f"{fmt_int(q.at['Any qualifier', fy])} incidents with a qualifier; "
                   f"{fmt_pct(q.at['None recorded', fy + ' %'])} of {fy}'s council records "
                   "had none.",
                   "One incident can have several qualifiers: a qualifier's % is of the "
                   "incidents with any qualifier; Any qualifier and None recorded are % of all "
                   "council records of the year."]  # fmt: skip
        cols = [c for y in years for c in (y, f"{y} %")]
        slides.append(Slide("types", f"{TITLES['types']}: youth, drugs and alcohol",
                            tuple(q_lines),
                            (frame_table(qt[["qualifier", *cols]],
                                         ["Qualifier", *[c if c in years else "%" for c in cols]],
                                         ints=years, pcts=[f"{y} %" for y in years],
                                         total_row=False, first_width_in=2.2,
                                         width_in=1.05),),
                            footer=footer))  # fmt: skip

    # Seasonal patterns
    profile = seasonal_profile(whole, cov.months)
    facts["profile"] = profile
    chart = seasonal_chart_model(profile, financial_year=fy)
    s_lines = [peak_sentence(profile, fy, cov), halloween_sentence(whole, fy, cov),
               year_totals_sentence(whole, cov)]  # fmt: skip
    if len(profile.columns) == 1:
        hint = earlier_years_hint(cov.months, financial_year=fy,
                                  forces=police_forces(whole["source"].astype(str).unique()),
                                  police=bool(n_police) or not council_rows(whole).any())  # fmt: skip
        s_lines.append(hint or f"The data holds one financial year ({profile.columns[0]}).")
    # The footer names the months drawn (every year of the chart), not only the years compared.
    s_footer = " ".join(p for p in (f"Months drawn: {chart.months_drawn_text}.",
                                    data_note(whole, demo=demo), DEMO_NOTE if demo else "",
                                    ATTRIBUTION) if p)  # fmt: skip
    slides.append(Slide("seasonal", TITLES["seasonal"], tuple(s_lines), chart=chart,
                        footer=s_footer))  # fmt: skip

    # Ward patterns (a table per district when there are several)
    groups = [(d, prepared.wards[prepared.wards["ward_name"].map(districts) == d])
              for d in district_names] if many else [(None, prepared.wards)]  # fmt: skip
    facts["ward_tables"] = {}
    boundary_notes: dict[str, None] = {}
    for name, wards in groups:
        table = ward_slide_table(inc[inc["ward"].isin(wards["ward_name"])], wards, years)
        facts["ward_tables"][name] = table
        # The years, then (a part year) the months both hold, then the change, as the
        # ward table gives them.
        counts = [c for c in table.columns if c not in ("ward", "difference", "percentage")]
        change = [c for c in ("difference", "percentage") if c in table]
        header = ["Ward", *counts, *(c.capitalize() for c in change)]
        t = frame_table(table[["ward", *counts, *change]], header,
                        ints=[*counts, "difference"], pcts=["percentage"],
                        signed=["difference", "percentage"], first_width_in=3.4,
                        width_in=1.35 if len(counts) <= 2 else 1.2)  # fmt: skip
        sentence = change_sentence(table, years, name="ward", what="ward",
                                   months=months_span(cov.covered(fy)))  # fmt: skip
        # The ward table's notes: part-year ones here, the boundaries' vintage on the last slide.
        notes = [n for n in table.attrs.get("notes", []) if n and not _boundary_note(n)]
        boundary_notes.update({n: None for n in table.attrs.get("notes", [])
                               if _boundary_note(n) and "unknown date" not in n})  # fmt: skip
        pieces = split_table(t, MAX_ROWS)
        if len(pieces) == 2 and 2 * sum(t.widths) + 0.5 <= SLIDE_W - 2 * _MARGIN:
            # Two halves side by side on one slide.
            half = -(-len(t.rows) // 2)
            pieces = [tuple(split_table(t, half))]
        else:
            pieces = [(p,) for p in pieces]
        for i, piece in enumerate(pieces):
            title_ = TITLES["wards"] + (f": {name}" if name else "")
            if len(pieces) > 1:
                title_ += f" ({i + 1} of {len(pieces)})"
            slides.append(Slide("wards", title_,
                                (sentence, *([like_note] if like_note else []), *notes),
                                piece, footer=footer))  # fmt: skip

    # Where?  (the place patterns once: the tasking sheet's column and the next slide)
    if result is None:  # the year's one answer, with the chance test and the place patterns
        from hotspots.results import Period, analyse_period

        result = analyse_period(prepared, Period(None, fy), params=params, chance=True,
                                patterns=True)  # fmt: skip
    # the caller's answer for the year: drawn, not recomputed
    cells, clusters = result.patterns, result.hotspots
    sheet = view_sheet(result.view())
    selected = int(sheet.attrs.get("selected", len(inc[inc["financial_year"] == fy])))
    facts["hotspots"] = sheet
    eps = clusters.attrs.get("eps_m", params.eps_m if params else 100.0)
    settings = (f"DBSCAN on {fy}'s incidents: a hotspot grows from places with "
                f"{clusters.attrs.get('min_samples')} or more incidents within {eps:g} m.")  # fmt: skip
    for name, wards in groups:
        sub_sheet = sheet[sheet["ward"].isin(wards["ward_name"])] if name else sheet
        sub_sel = int(inc[(inc["financial_year"] == fy)
                          & inc["ward"].isin(wards["ward_name"])].shape[0]) if name else selected  # fmt: skip
        w_lines = hotspot_sentences(sub_sheet, sub_sel, months=months_span(cov.covered(fy)))
        w_lines += chance_sentences(sub_sheet)
        in_inset = inset_hotspots(shown_of(clusters, sub_sheet), wards)
        if len(in_inset) > 1:
            names = dict(zip(clusters["cluster_id"], clusters.get("label", clusters["cluster_id"])))
            w_lines.append("Around hotspot 1 (the inset): "
                           + ", ".join(str(names[i]) for i in in_inset) + ".")  # fmt: skip
        w_lines.append("Hotspots: " + settings)
        areas = prepared.areas
        # Each hotspot by its one label, as the sentences name it (its rank in the study area).
        shown = shown_of(clusters, sub_sheet)
        shown.attrs.update(clusters.attrs, selected=sub_sel)
        img = hotspot_map(shown, wards, title=f"ASB hotspots, {fy}" + (f": {name}" if name else ""),
                          note=data_note(inc[inc["financial_year"] == fy], demo=demo),
                          areas=areas, demo=demo, dpi=dpi, streets=streets)  # fmt: skip
        slides.append(Slide("where", TITLES["where"] + (f" {name}" if name else ""),
                            tuple(w_lines), image=img, image_alt="Hotspot map", footer=footer))  # fmt: skip

    # How places changed
    facts["patterns"] = cells
    slides.append(patterns_slide(cells, financial_year=fy, footer=footer, months=cov.months))

    # District data
    if many:
        # Compare the months both years hold (the panel's year may run beyond the year before).
        d_inc, labels, held_note = inc, list(years), ""
        if cov.compare:
            fy_m = {m[5:] for m in cov.covered(fy)}
            before_m = {m[5:] for m in cov.covered(cov.compare)}
            both = fy_m & before_m
            if both != fy_m:
                d_inc = inc[inc["month"].str[5:].isin(both)]
                span = ", ".join(MONTH_ABBR[int(m) - 1] for m in
                                 sorted(both, key=lambda m: FY_MONTHS.index(int(m))))  # fmt: skip
                labels = [f"{y} {span}" for y in years]
                held_note = f"Both years compared over the months both hold: {span or 'none'}."
        dt = district_table(d_inc, districts, years)
        facts["districts"] = dt
        header = ["District", *labels] + (["Difference", "Percentage"] if len(years) > 1 else [])
        shown = dt[["district", *years, *(["difference", "percentage"] if len(years) > 1 else [])]]
        d_lines = [district_sentence(dt, years, months=months_span(cov.covered(fy)))]
        d_lines += [held_note] if held_note else []
        if part:
            d_lines.append("Part year: " + "; ".join(p.rstrip(".") for p in part) + ".")
        slides.append(Slide("districts", TITLES["districts"], tuple(d_lines),
                            (frame_table(shown, header, ints=[*years, "difference"],
                                         pcts=["percentage"], signed=["difference", "percentage"],
                                         first_width_in=3.4, width_in=1.45),),
                            footer=footer))  # fmt: skip

    # Licence and limits
    load = prepared.load
    l_lines = [
        ATTRIBUTION,
        f"Read {fmt_int(load.rows_read)} rows from {len(load.files)} file(s); "
        f"{fmt_int(load.selected)} ASB incidents; {fmt_int(load.rejected)} rejected (no usable "
        f"place or date; listed in the rejects file); {fmt_int(prepared.outside)} outside the "
        f"wards; {fmt_int(len(prepared.incidents))} analysed.",
        "Coverage: " + "; ".join(cov.describe(y) for y in all_years) + ".",
    ]
    l_lines += source_attributions(whole, geocoded=getattr(load, "geocoded", None))
    if n_police or not len(in_years) or (~council_rows(inc)).any():
        l_lines.append("police.uk ASB has no category or qualifiers.")
    l_lines += [n[0].upper() + n[1:] + ("" if n.endswith(".") else ".") for n in boundary_notes]
    l_lines.append("Ward boundaries are generalised: an incident just outside every ward takes "
                   "the nearest ward within a tolerance (100 m unless set otherwise); a few per "
                   "cent near a boundary can fall in a neighbour.")  # fmt: skip
    if demo:
        l_lines.append(DEMO_NOTE)
    l_lines.append(f"Made with hotspots {__version__}: every figure and sentence is computed "
                   "from the data above.")  # fmt: skip
    slides.append(Slide("limits", TITLES["limits"], tuple(l_lines), footer=footer))
    return Deck(tuple(slides), facts)


# --------------------------------------------------------------------------- how places changed

#: Busiest places listed on the "How places changed" slide.
TOP_PLACES = 10


def patterns_slide(
    cells, *, financial_year: str, footer: str = "", top: int = TOP_PLACES, months=None
) -> Slide:
    """The "How places changed" slide: places per pattern, and the busiest places by street.

    ``cells`` is :func:`hotspots.analysis.patterns.place_patterns` over the seasons up to
    the end of ``financial_year`` (None when the data holds fewer than two): the
    same table as ``hotspots patterns --fy YEAR`` (:func:`hotspots.analysis.patterns.pattern_counts`
    and :func:`hotspots.analysis.patterns.top_places`). ``months``: the ``YYYY-MM``
    months the data holds, so the first and last seasons are named by their months
    (spring 2018-19 is April-May 2018 and March 2019).

    Examples
    --------
    >>> patterns_slide(None, financial_year="2018-19").lines[0][:46]
    'The data holds fewer than two seasons up to th'
    """
    from hotspots.analysis.patterns import pattern_counts, pattern_rules, top_places

    title = TITLES["patterns"]
    if cells is None:
        return Slide("patterns", title, (
            f"The data holds fewer than two seasons up to the end of {financial_year}: a place's "
            "pattern needs two or more, so none is shown.",), footer=footer)  # fmt: skip
    periods = cells.attrs["periods"]
    t = len(periods)
    counts = pattern_counts(cells)
    named = dict(zip(counts["pattern"], counts["places"]))
    total = named.pop("Total")
    lines = (
        f"{fmt_int(total)} places were hotspots in at least one of the {t} seasons from "
        f"{season_label_with_months(periods[0], months)} to "
        f"{season_label_with_months(periods[-1], months)}: "
        + ", ".join(f"{fmt_int(n)} {name}" for name, n in named.items())
        + ".",
        f"A place is a {cells.attrs['grid']['cell_m']:g} m square; it is hot in a season when it "
        "lies in that season's hotspots (the map's, season by season). "
        + " ".join(f"{name.capitalize()}: {words}." for name, words in pattern_rules(t).items()),
        "Right: the busiest places, neighbouring squares of one street, ward and pattern "
        "together (seasons hot: the most of any of its squares).",
    )
    count_table = frame_table(counts, ["Pattern", "Places"], ints=["places"],
                              first_width_in=1.35, width_in=0.8)  # fmt: skip
    best = top_places(cells, top)
    place_table = frame_table(
        best[["street", "ward", "pattern", "places", "periods_hot", "incidents"]],
        ["Street", "Ward", "Pattern", "Squares", "Seasons hot", "Incidents"],
        ints=["places", "periods_hot", "incidents"],
        total_row=False,
    )
    # Street names ("George Street / Worcester Road") take the widest column.
    place_table = replace(place_table, column_widths_in=(2.95, 2.5, 1.15, 0.9, 1.2, 0.95))
    return Slide("patterns", title, lines, (count_table, place_table), footer=footer)


# --------------------------------------------------------------------------- layout and writers
