"""What the worker processes work out for the pages.

:func:`selection_answer` answers a cold selection's period together with what
its page shows next (the map frame, the accuracy sentence, the place patterns,
the tasking sheet: :class:`Along`), as ONE task, so that none of them queues
behind the others as a second one. The rest are the tables, charts and
documents that cost more than about 50 ms of CPU at 10^6 incidents (README,
"Answers ready before anyone asks"): the ward table, the monthly profile with
its chart, the summary's counts, the tasking sheet and its PDF, the panel deck.

:meth:`webapp.data.DataStore.worked` runs each as ``fn(context, ...)`` in a
worker process, on the worker's own copy of the data
(:class:`hotspots.precompute.Context`), and the page says "computing…" (202)
until it is ready; without workers, in the request's thread. A period's answer
comes as it travels (:class:`hotspots.precompute.Answer`) and is decoded here,
in the worker.
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd

from hotspots import precompute
from hotspots.analysis.cluster import ClusterParams
from hotspots.results import Period, decode_result
from webapp import mapframe, results
from webapp.charts import profile_charts
from webapp.selection import Selection

#: What the workers' tasks import (drawing a map, scoring the window before, place
#: patterns, the tasking sheet): imported once before the workers start
#: (:class:`hotspots.precompute.Workers`'s ``preload``), not by each worker's first cold
#: selection (about 0.7 s of CPU each at the bench's data).
WORKER_MODULES = ("webapp.tasks", "hotspots.draw.webmap", "hotspots.draw.assets",
                  "hotspots.analysis.backtest", "hotspots.analysis.patterns",
                  "hotspots.outputs.tasking", "scipy.spatial")  # fmt: skip


@dataclasses.dataclass(frozen=True)
class Along:
    """What a cold selection's one worker task makes along with its period's answer.

    What the page asking for it shows next, so that it is not a second task
    queued behind the others (:func:`selection_answer`).

    Attributes
    ----------
    accuracy : bool
        The accuracy sentence of the selection's view (the map and tasking pages).
    frame : bool or None
        The map frame of the selection: True with the place text in full
        (analysts), False at street level; None: no frame.
    patterns : bool
        The place patterns (an analyst's own settings; the app's hold them).
    sheet : bool
        The tasking sheet (:func:`tasking_sheet`; needs a financial year).
    """

    accuracy: bool = False
    frame: bool | None = None
    patterns: bool = False
    sheet: bool = False


def selection_answer(ctx: precompute.Context, period: Period,
                     settings: precompute.ResultSettings, *, selection: Selection, along: Along,
                     kept: bool, options, population: pd.Series | None,
                     ) -> tuple[precompute.Answer, dict]:  # fmt: skip
    """In a worker: a cold selection's period answered, with what its page shows next, as one task.

    The period's answer: with the app's settings (``kept``)
    :func:`hotspots.precompute.period_answer` (the store's, else made and kept);
    with an analyst's :func:`hotspots.precompute.compute_period` (its borough
    accuracy sentence only when the page shows it). Then, on the same
    answer, what ``along`` asks for, by name: ``"accuracy"`` (a focus area's or
    ward's sentence: :func:`hotspots.precompute.view_accuracy`), ``"frame"``
    (:func:`webapp.mapframe.draw_frame`), ``"patterns"``
    (:func:`hotspots.precompute.place_patterns`), ``"sheet"`` (:func:`tasking_sheet`).
    """
    sel = selection
    view = bool(sel.focus_area or sel.ward_name)
    if kept:
        answer = precompute.period_answer(ctx, period, settings, keep=True)
    else:
        answer = precompute.compute_period(ctx, period, settings,
                                           accuracy=along.accuracy and not view)  # fmt: skip
    result = decode_result(answer.result, ctx.prepared)
    params = settings.cluster_params()
    made: dict = {}
    if along.accuracy and view:
        made["accuracy"] = precompute.view_accuracy(ctx, period, area=sel.focus_area,
                                                    ward=sel.ward_name, params=params,
                                                    previous=result.previous)  # fmt: skip
    if along.patterns and not kept:
        known = {period.label: result.hotspots} if period.season else {}
        made["patterns"] = precompute.place_patterns(ctx, period, params=params, known=known)
    if along.sheet:
        made["sheet"] = tasking_sheet(ctx, result, sel, patterns=made.get("patterns"))
    if along.frame is not None:
        made["frame"] = mapframe.draw_frame(ctx, result, sel, full_places=along.frame,
                                            options=options, population=population)  # fmt: skip
    return answer, made


def ward_table(ctx: precompute.Context, sel: Selection, *,
               population: pd.Series | None) -> pd.DataFrame:  # fmt: skip
    """The council's ward table of a selection: :func:`webapp.results.ward_table_for`."""
    return results.ward_table_for(ctx.prepared, sel, population=population)


def seasonal(ctx: precompute.Context, sel: Selection, *, title: str) -> tuple[pd.DataFrame, str]:
    """Incidents by month of a selection's area and their chart.

    :func:`webapp.results.monthly_for` and :func:`webapp.charts.profile_charts` (a desktop's
    and a phone's).
    """
    profile = results.monthly_for(ctx.prepared, sel)
    return profile, profile_charts(profile, title=title)


def summary(ctx: precompute.Context, answer: precompute.Answer, sel: Selection) -> dict:
    """The counts of ``/api/incidents/summary`` (:func:`webapp.results.summary_for`)."""
    result = decode_result(answer.result, ctx.prepared)
    view = result.view(area=sel.focus_area, ward=sel.ward_name)
    return results.summary_for(ctx.prepared, sel, view)


#: The tasking sheet's columns shown and downloaded (``locations`` is left out: see
#: :mod:`webapp.tasking`).
TASKING_COLUMNS = ["rank", "cluster_id", "label", "place", "ward", "area", "incidents", "share",
                   "previous", "trend", "pattern", "hot_periods", "hot_in", "peak_months",
                   "peak_weekday", "peak_hour", "chance_test", "p_value", "q_value",
                   "significant", "lon", "lat"]  # fmt: skip


def tasking_sheet(ctx: precompute.Context, period, sel: Selection, *,
                  patterns: gpd.GeoDataFrame | None = None,
                  ) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:  # fmt: skip
    """A selection's tasking sheet (:func:`hotspots.outputs.tasking.sheet_from_clusters`) and
    the hotspots it lists, place text in full.

    ``period``: the period's result with its chance test, as a
    :class:`~hotspots.results.PeriodResult` or as it travels
    (:class:`hotspots.precompute.Answer`, decoded here); ``patterns``: the place
    patterns (None: the result's own).
    """
    from hotspots.outputs.tasking import sheet_from_clusters

    if isinstance(period, precompute.Answer):
        period = decode_result(period.result, ctx.prepared)
    view = period.view(area=sel.focus_area, ward=sel.ward_name)
    patterns = patterns if patterns is not None else period.patterns
    sheet = sheet_from_clusters(view.hotspots, period.incidents, members=period.members,
                                patterns=patterns)  # fmt: skip
    verdicts = view.hotspots.set_index("cluster_id")
    for col in ("label", "p_value", "q_value", "significant"):
        sheet[col] = verdicts[col].reindex(sheet["cluster_id"]).to_numpy()
    sheet["chance_test"] = results.chance_words(sheet["significant"])
    out = sheet[[*TASKING_COLUMNS, "geometry"]].copy()
    out.attrs.update(view.hotspots.attrs)
    kept = ("pattern_periods", "pattern_by", "pattern_cell_m")
    out.attrs.update({k: sheet.attrs[k] for k in kept if k in sheet.attrs})
    return out, view.hotspots


def map_style(ctx: precompute.Context, options, *, dpi: int = 150):
    """The static maps' style in a worker: the web map's basemap and streets
    (as :func:`webapp.tiles.static_style`)."""
    from hotspots.draw.static import MapStyle

    return MapStyle(dpi=dpi, basemap=options.basemap, roads=mapframe.worker_streets(ctx, options))


def tasking_pdf(ctx: precompute.Context, sheet: gpd.GeoDataFrame, clusters: gpd.GeoDataFrame,
                *, title: str, note: str, area: str | None, demo: bool, style=None,
                options=None) -> bytes:  # fmt: skip
    """The printable tasking sheet (:func:`hotspots.outputs.tasking.write_sheet`) as PDF bytes.

    ``style``: the maps' :class:`hotspots.draw.static.MapStyle`; None: :func:`map_style`
    of ``options`` (in a worker).
    """
    from hotspots.outputs.tasking import write_sheet

    style = style if style is not None else map_style(ctx, options)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sheet.pdf"
        write_sheet(sheet, path, clusters=clusters, wards=ctx.prepared.wards, title=title,
                    note=note, area=area, areas=ctx.prepared.areas, demo=demo,
                    style=style)  # fmt: skip
        return path.read_bytes()


def districts(spec):
    """Ward -> district when the ward file names several districts, and the area's name.

    (None, None) when the wards come from a store (no ward file to read them from).
    """
    from hotspots.read.districts import read_district_wards

    wards = spec.resolved().wards
    if wards is None:
        return None, None
    table = read_district_wards([wards])
    if table["district"].nunique() > 1:
        return table.set_index("ward_name")["district"], None
    return None, str(table["district"].iloc[0])


def deck(ctx: precompute.Context, year, *, financial_year: str, params: ClusterParams,
         dpi: int, streets=None, options=None) -> bytes:  # fmt: skip
    """The panel deck (PowerPoint bytes) of a financial year.

    :func:`hotspots.outputs.deck.build_deck`.

    ``year``: the year's result (all seasons) with its chance test and place
    patterns, as a :class:`~hotspots.results.PeriodResult` or as it travels
    (:class:`hotspots.precompute.Answer`, decoded here). ``streets``: the maps'
    streets; None with ``options``: the worker's (:func:`webapp.mapframe.worker_streets`).
    """
    from hotspots.analysis.notes import is_demo
    from hotspots.outputs._slides import pptx_bytes
    from hotspots.outputs.deck import build_deck
    from hotspots.read.qualifiers import read_qualifiers

    if isinstance(year, precompute.Answer):
        year = decode_result(year.result, ctx.prepared)
    if streets is None and options is not None:
        streets = mapframe.worker_streets(ctx, options)
    demo = is_demo(ctx.prepared)
    by_district, area_name = districts(ctx.spec)
    built = build_deck(
        ctx.prepared,
        financial_year=financial_year,
        districts=by_district,
        qualifiers=read_qualifiers(ctx.prepared.load.files),
        title="the demo borough" if demo else area_name,
        params=params,
        demo=demo,
        dpi=dpi,
        streets=streets,
        result=year,
    )
    return pptx_bytes(built)
