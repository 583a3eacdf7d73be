"""Static maps, tasking sheets and batch exports for reports and patrol planning.

Maps are drawn with matplotlib only (no pyplot state, one figure per map): ward
outlines and names, town and district centres (labelled), streets from a roads
layer (with names), hotspot hulls in the colour classes of
:mod:`hotspots.draw.cartography` (the web map's), each labelled with its rank and
main street ("1 Unicorn Hill"), title, legend, scale bar, north arrow, and the
data source, date range and licence attribution (the basemap's too). They are
written as PNG (print resolution), SVG or PDF. Basemap tiles
(:mod:`hotspots.draw.basemap`: a local .mbtiles / .pmtiles file read directly, or
a tile server) are optional and off by default.

Every file is written through :func:`hotspots.io.atomic_path`, so a failure
leaves finished files and no partial one. :func:`run_batch` writes every
combination asked for, an ``index.html``, a report pack PDF and a manifest
(``manifest.json``) of what each output was made from, so that re-running
skips what is up to date.
"""

from __future__ import annotations

import hashlib
import html
import itertools
import json
import logging
import os
import textwrap
from collections.abc import Callable, Iterable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
from matplotlib import rc_context
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from hotspots import __version__
from hotspots._errors import HotspotsError
from hotspots._validate import to_analysis_crs
from hotspots.analysis.cluster import ClusterParams
from hotspots.analysis.notes import DEMO_NOTE, data_note, is_demo, selection_title, slug
from hotspots.analysis.prepare import Prepared
from hotspots.analysis.seasons import monthly_profile, months_without_data
from hotspots.analysis.wards import ward_table
from hotspots.draw import cartography as carto
from hotspots.draw.charts import plot_monthly_profile
from hotspots.draw.static import (
    _A4_LANDSCAPE,
    _RC,
    _SAVE_META,
    MAP_FORMATS,
    MapStyle,
    WardLayer,
    _extent,
    map_figure,
    save_figure,
)
from hotspots.io import ATTRIBUTION, atomic_path
from hotspots.outputs.tasking import view_sheet
from hotspots.results import Period, PeriodResult, analyse_period

log = logging.getLogger(__name__)

BY_CHOICES = ("season", "fy", "area", "ward")
#: Seasons in financial-year order (April to March).
FY_SEASONS = ("spring", "summer", "autumn", "winter")
MANIFEST = "manifest.json"
INDEX = "index.html"
PACK = "report.pdf"


# --------------------------------------------------------------------------- styles and notes


# --------------------------------------------------------------------------- map drawing


# --------------------------------------------------------------------------- tasking sheets


# --------------------------------------------------------------------------- batch export


@dataclass(frozen=True)
class Combo:
    """One map of a batch: a season, financial year, focus area and/or ward (None = all)."""

    season: str | None = None
    financial_year: str | None = None
    area: str | None = None
    ward: str | None = None

    @property
    def stem(self) -> str:
        """The deterministic file name without suffix, e.g. ``autumn_2018-19_town-centre``."""
        parts = [self.season, self.financial_year,
                 self.area and slug(self.area), self.ward and slug(self.ward)]  # fmt: skip
        return "_".join(p for p in parts if p) or "all"

    @property
    def title(self) -> str:
        """The map title."""
        return selection_title(season=self.season, financial_year=self.financial_year,
                               area=self.area, ward=self.ward)  # fmt: skip


def parse_list(
    text: str | Sequence[str], *, choices: Sequence[str], option: str
) -> tuple[str, ...]:
    """Split a comma list (``"season,fy"``) and check every item.

    Examples
    --------
    >>> parse_list("season, fy", choices=BY_CHOICES, option="--by")
    ('season', 'fy')
    """
    items = text.split(",") if isinstance(text, str) else list(text)
    out = tuple(dict.fromkeys(i.strip().lower() for i in items if i.strip()))
    bad = [i for i in out if i not in choices]
    if bad or not out:
        raise HotspotsError(
            f"{option} takes a comma-separated list of {list(choices)!r}; got {text!r}"
        )
    return out


def plan_batch(
    prepared: Prepared,
    *,
    by: Sequence[str],
    seasons: Sequence[str] | None = None,
    financial_years: Sequence[str] | None = None,
) -> list[Combo]:
    """List the maps of a batch, in a fixed order.

    Seasons and financial years with no incidents at all in the data are left
    out (the data does not cover them); every focus area and ward is kept for
    the periods that are covered (a zero there is an answer).

    Parameters
    ----------
    prepared : Prepared
    by : sequence of {"season", "fy", "area", "ward"}
        What to split by; anything not named is taken whole.
    seasons, financial_years : sequence of str, optional
        Only these (default: all in the data).

    Returns
    -------
    list of Combo
    """
    by = parse_list(by, choices=BY_CHOICES, option="--by")
    inc = prepared.incidents
    years = sorted(inc["financial_year"].unique()) if len(inc) else []
    if financial_years:
        missing = sorted(set(financial_years) - set(years))
        if missing:
            raise HotspotsError(
                f"no incidents in financial year(s) {missing!r}; the data has {years!r}"
            )
        years = [y for y in years if y in set(financial_years)]
    season_list = [s for s in FY_SEASONS if not seasons or s in seasons]
    if "area" in by and (prepared.areas is None or prepared.areas.empty):
        raise HotspotsError(
            "--by area needs focus areas: give --areas FILE (see boundaries/redditch_focus_areas.toml)"
        )
    area_list = list(prepared.areas["name"]) if "area" in by else [None]
    ward_list = list(prepared.wards["ward_name"]) if "ward" in by else [None]
    fy_list = years if "fy" in by else [None]
    se_list = season_list if "season" in by else [None]
    covered = set(zip(inc["season"], inc["financial_year"]))
    combos = []
    for fy, season, area, ward in itertools.product(fy_list, se_list, area_list, ward_list):
        if fy and season and (season, fy) not in covered:
            continue
        if fy and not season and fy not in years:
            continue
        if season and not fy and season not in {s for s, _ in covered}:
            continue
        combos.append(Combo(season, fy, area, ward))
    return combos


def fingerprint_files(paths: Iterable[str | Path | None]) -> str:
    """A short hash of files' names, sizes and modification times (for the manifest)."""
    digest = hashlib.sha256()
    for p in paths:
        if p is None:
            continue
        st = os.stat(p)
        digest.update(f"{Path(p).resolve()}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def _key(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


@dataclass
class BatchResult:
    """What :func:`run_batch` did."""

    written: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    combos: list[Combo] = field(default_factory=list)


def _combo_extent(prepared: Prepared, combo: Combo, layer: WardLayer) -> tuple:
    if combo.area:
        geom = prepared.areas.loc[prepared.areas["name"] == combo.area].geometry
        return _extent(to_analysis_crs(gpd.GeoDataFrame(geometry=geom)).total_bounds, pad=0.3)
    if combo.ward:
        geom = prepared.wards.loc[prepared.wards["ward_name"] == combo.ward].geometry
        return _extent(geom.total_bounds, pad=0.08)
    return _extent(layer.bounds)


def _combo_hotspots(
    prepared: Prepared,
    combo: Combo,
    params: ClusterParams,
    results: dict[Period, PeriodResult],
    *,
    chance: bool = True,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame | None, gpd.GeoDataFrame]:
    """Clusters, tasking sheet (when a financial year is set) and selection of one combination.

    The view of its period's one answer (:func:`hotspots.results.analyse_period`,
    kept in ``results``): a period is clustered and tested once, whichever
    focus areas and wards are mapped.
    """
    period = Period(combo.season, combo.financial_year)
    if period not in results:
        results[period] = analyse_period(prepared, period, params=params, chance=chance)
    view = results[period].view(area=combo.area, ward=combo.ward)
    # the pack's top-hotspot table has no Pattern column
    sheet = view_sheet(view) if combo.financial_year else None
    return view.hotspots, sheet, view.incidents


def _read_manifest(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _write_manifest(path: Path, manifest: dict) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")


def _table_pages(pdf: PdfPages, frame: pd.DataFrame, *, title: str, footer: str,
                 rows_per_page: int = 28, col_widths: list[float] | None = None,
                 empty: str = "Nothing to show.") -> None:  # fmt: skip
    """A table over as many A4 landscape pages as it needs; long cells wrap, never clip."""
    cells = frame.astype(object).where(frame.notna(), "").astype(str).values.tolist()
    header = [str(c) for c in frame.columns]
    widths = col_widths or [1.0 / max(len(header), 1)] * len(header)
    start = 0
    while True:
        fig = Figure(figsize=_A4_LANDSCAPE)
        fig.text(0.04, 0.95, title + (" (continued)" if start else ""), fontsize=13,
                 fontweight="bold", va="center")  # fmt: skip
        ax = fig.add_axes((0.04, 0.1, 0.92, 0.8))
        ax.set_axis_off()
        if cells:
            start += wrapped_table(ax, header, cells[start : start + rows_per_page], widths,
                                   fontsize=8)  # fmt: skip
        else:
            ax.text(0.5, 0.9, empty, ha="center", wrap=True)
        fig.text(0.04, 0.04, textwrap.fill(footer, 180), fontsize=6.5, va="center")
        pdf.savefig(fig)
        if start >= len(cells):
            return


def wrapped_table(ax, header: list[str], rows: list[list[str]], widths: list[float], *,
                  fontsize: float = 8, line_h: float = 0.026) -> int:  # fmt: skip
    """Draw a table whose cells wrap to their column's width; return how many rows fitted.

    Widths are fractions of the Axes' width; a row is as tall as its longest cell. Rows
    that would run below the Axes are left for the next page (at least one row is drawn).
    """
    from matplotlib.table import Table

    fig = ax.figure
    width_pt = ax.get_position().width * fig.get_figwidth() * 72

    def wrap(text: str, frac: float) -> str:
        chars = max(4, int(frac * width_pt / (fontsize * 0.56)))
        return "\n".join(textwrap.fill(part, chars, break_long_words=True) or ""
                         for part in str(text).split("\n"))  # fmt: skip

    table = Table(ax, loc="upper center")
    y, drawn = 1.0, 0
    lines = [wrap(h, w) for h, w in zip(header, widths)]
    height = line_h * (max(t.count("\n") for t in lines) + 1.4)
    for j, (text, w) in enumerate(zip(lines, widths)):
        cell = table.add_cell(0, j, w, height, text=text, loc="left", facecolor="#eeeeee")
        cell.get_text().set_fontweight("bold")
    y -= height
    for i, row in enumerate(rows, start=1):
        texts = [wrap(v, w) for v, w in zip(row, widths)]
        height = line_h * (max(t.count("\n") for t in texts) + 1.4)
        if y - height < 0 and drawn:
            break
        for j, (text, w) in enumerate(zip(texts, widths)):
            table.add_cell(i, j, w, height, text=text, loc="left")
        y -= height
        drawn += 1
    table.auto_set_font_size(False)
    table.set_fontsize(fontsize)
    for cell in table.get_celld().values():
        cell.get_text().set_va("center")
    ax.add_table(table)
    return drawn


def _profile_page(pdf: PdfPages, incidents: pd.DataFrame, *, months: list[str],
                  footer: str) -> None:  # fmt: skip
    """The pack's seasonal profile: a line per year; the months not in ``months`` "no data"."""
    profile = monthly_profile(incidents, months_covered=months)
    fig = Figure(figsize=_A4_LANDSCAPE)
    fig.text(0.04, 0.95, "Seasonal profile: ASB incidents by month (April to March)",
             fontsize=13, fontweight="bold", va="center")  # fmt: skip
    gaps = months_without_data(profile)
    if gaps:
        said = "; ".join(f"{fy}: {held}" for fy, held in gaps.items())
        fig.text(0.04, 0.91, f"No data for {said} (not in the data: left blank, not 0).",
                 fontsize=9, va="center")  # fmt: skip
    ax = fig.add_axes((0.08, 0.15, 0.86, 0.72))
    handles = plot_monthly_profile(ax, profile, label=lambda fy: f"FY {fy}", linewidth=1.8)
    ax.set_xlabel("Month")
    ax.grid(alpha=0.3)
    ax.legend(handles=handles, facecolor="white", edgecolor="#cccccc", framealpha=1)
    fig.text(0.04, 0.04, textwrap.fill(footer, 180), fontsize=6.5, va="center")
    pdf.savefig(fig)


def _top_table(sheets: list[tuple[Combo, gpd.GeoDataFrame]], top: int) -> pd.DataFrame:
    rows = []
    for combo, sheet in sheets:
        for r in sheet.head(top).itertuples(index=False):
            rows.append({
                "map": combo.stem, "#": r.rank, "place": r.place, "ward": r.ward,
                "area": r.area, "incidents": r.incidents, "share": f"{100 * r.share:.1f}%",
                "trend": r.trend, "peak months": r.peak_months,
                "chance test": carto.chance_word(getattr(r, "significant", None)) or "-",
            })  # fmt: skip
    return pd.DataFrame(rows, columns=["map", "#", "place", "ward", "area", "incidents", "share",
                                       "trend", "peak months", "chance test"])  # fmt: skip


def _index_html(combos_done: list[tuple[Combo, int, int]], formats: Sequence[str], *,
                note: str, demo: bool) -> str:  # fmt: skip
    esc = html.escape
    show = next((f for f in ("png", "svg") if f in formats), None)
    cards = []
    for combo, n_hot, n_sel in combos_done:
        links = " ".join(f"<a href='{esc(combo.stem)}.{f}'>{f.upper()}</a>" for f in formats)
        img = (f"<a href='{esc(combo.stem)}.{show}'><img src='{esc(combo.stem)}.{show}' "
               f"alt='{esc(combo.title)}' loading='lazy'></a>") if show else ""  # fmt: skip
        cards.append(
            f"<figure>{img}<figcaption><b>{esc(combo.title)}</b><br>{n_hot} hotspot(s) from "
            f"{n_sel:,} incidents. {links}</figcaption></figure>"
        )
    footer = " ".join(p for p in (note, DEMO_NOTE if demo else "", ATTRIBUTION) if p)
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>ASB hotspot maps"
        "</title><style>body{font-family:sans-serif;margin:1.5em}main{display:grid;"
        "grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:1em}figure{margin:0;"
        "border:1px solid #ccc;padding:.5em}img{width:100%}footer{margin-top:2em;font-size:.8em}"
        "</style></head><body><h1>ASB hotspot maps</h1>"
        f"<p>{len(combos_done)} map(s). <a href='{PACK}'>Report pack (PDF)</a></p><main>"
        + "".join(cards)
        + f"</main><footer>{esc(footer)}</footer></body></html>"
    )


def run_batch(
    prepared: Prepared,
    out_dir: str | Path,
    *,
    by: Sequence[str] = ("season", "fy"),
    formats: Sequence[str] = ("png",),
    params: ClusterParams | None = None,
    style: MapStyle | None = None,
    seasons: Sequence[str] | None = None,
    financial_years: Sequence[str] | None = None,
    inputs_key: str = "",
    force: bool = False,
    pack: bool = True,
    top: int = 5,
    progress: Callable[[list], Iterable] | None = None,
    chance: bool = True,
) -> BatchResult:
    """Write a map for every combination asked for, an index.html and a report pack PDF.

    Parameters
    ----------
    prepared : Prepared
        From :func:`hotspots.analysis.prepare.prepare`.
    out_dir : str or Path
        The output folder (created if missing).
    by : sequence of {"season", "fy", "area", "ward"}, default ("season", "fy")
        See :func:`plan_batch`.
    formats : sequence of {"png", "svg", "pdf"}, default ("png",)
    params : ClusterParams, optional
        DBSCAN settings.
    style : MapStyle, optional
        Map look (DPI, colormap, basemap).
    seasons, financial_years : sequence of str, optional
        Only these.
    inputs_key : str
        A fingerprint of the input files (:func:`fingerprint_files`); part of
        each output's manifest entry, so changed inputs redo everything.
    force : bool, default False
        Redo every file even when the manifest says it is up to date.
    pack : bool, default True
        Write ``report.pdf``: the ward table, the seasonal profile, the
        top-hotspot table and the maps.
    top : int, default 5
        Hotspots per map in the pack's top-hotspot table.
    progress : callable, optional
        Wraps the list of maps to draw (e.g. ``tqdm``).
    chance : bool, default True
        Run the chance test once per period: maps and the top-hotspot table
        mark the hotspots that are not more than chance.

    Returns
    -------
    BatchResult
        Files written and skipped.

    Notes
    -----
    Files are written one by one through :func:`hotspots.io.atomic_path` and
    recorded in ``manifest.json`` as soon as each is finished, so a failure
    mid-batch leaves every finished file, no partial one, and a manifest that
    lets the next run skip them.
    """
    out_dir = Path(out_dir)
    formats = parse_list(formats, choices=MAP_FORMATS, option="--format")
    style = style or MapStyle()
    params = params or ClusterParams()
    combos = plan_batch(prepared, by=by, seasons=seasons, financial_years=financial_years)
    if not combos:
        raise HotspotsError("nothing to export: no season or financial year in the data matches")
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest_path = out_dir / MANIFEST
    manifest = {} if force else _read_manifest(manifest_path)
    demo = is_demo(prepared)
    settings = (__version__, inputs_key, params.eps_m, params.min_samples, params.hull_buffer_m,
                style.key, demo, chance)  # fmt: skip
    pack_key = _key(settings, [c.stem for c in combos], list(formats), top, "pack")
    pack_path = out_dir / PACK
    do_pack = pack and (force or manifest.get(PACK) != pack_key or not pack_path.exists())
    layer = WardLayer.of(prepared.wards)
    result = BatchResult(combos=combos)
    results: dict[Period, PeriodResult] = {}  # each period's one answer, for all its maps
    jobs = []
    for combo in combos:
        paths = [out_dir / f"{combo.stem}.{f}" for f in formats]
        keys = {p.name: _key(settings, combo.stem, p.suffix) for p in paths}
        todo = [p for p in paths if force or manifest.get(p.name) != keys[p.name]
                or not p.exists()]  # fmt: skip
        result.skipped += [p for p in paths if p not in todo]
        if todo or do_pack:
            jobs.append(
                (
                    combo,
                    todo,
                    keys,
                    _combo_hotspots(prepared, combo, params, results, chance=chance),
                )
            )
    counts = {combo.stem: manifest.get(f"{combo.stem}#counts", [0, 0]) for combo in combos}
    footer = f"{data_note(prepared.incidents, demo=demo)} {style.attribution()}"
    with rc_context(_RC), ExitStack() as stack:
        pdf = None
        if do_pack:
            pack_tmp = stack.enter_context(atomic_path(pack_path))
            pdf = stack.enter_context(PdfPages(pack_tmp, metadata=_SAVE_META["pdf"]))
            table = ward_table(prepared.incidents, prepared.wards)
            _table_pages(pdf, table, title="ASB incidents by ward and financial year",
                         footer=". ".join([*table.attrs["notes"], footer]))  # fmt: skip
            _profile_page(pdf, prepared.incidents, months=prepared.months_covered,
                          footer=footer)  # fmt: skip
            sheets = [(job[0], job[3][1]) for job in jobs if job[3][1] is not None]
            _table_pages(pdf, _top_table(sheets, top),
                         title=f"Top hotspots (up to {top} per map)", footer=footer,
                         empty="No map of this batch is of one financial year, and the top-hotspot "
                               "table lists a year's hotspots with their trend: add fy to --by "
                               "(for example --by season,fy).",
                         col_widths=[0.18, 0.025, 0.205, 0.11, 0.09, 0.055, 0.045, 0.065, 0.08,
                                     0.13])  # fmt: skip
        for combo, todo, keys, (clusters, _, chosen) in progress(jobs) if progress else jobs:
            fig = map_figure(
                clusters,
                layer,
                title=combo.title,
                note=f"{data_note(chosen, demo=demo)} {clusters.attrs.get('parameters', '')}.",
                extent=_combo_extent(prepared, combo, layer),
                areas=prepared.areas,
                style=style,
                demo=demo,
            )
            for p in todo:
                save_figure(fig, p)
                manifest[p.name] = keys[p.name]
                result.written.append(p)
            counts[combo.stem] = manifest[f"{combo.stem}#counts"] = [len(clusters), len(chosen)]
            if todo:
                _write_manifest(manifest_path, manifest)
            if pdf is not None:  # one page size in the pack: the maps on A4 too
                fig.set_size_inches(_A4_LANDSCAPE)
                pdf.savefig(fig)
        if pdf is not None:
            result.written.append(pack_path)
    done = [(combo, *counts[combo.stem]) for combo in combos]
    if pack and not do_pack:
        result.skipped.append(pack_path)
    if do_pack:
        manifest[PACK] = pack_key
    index_path = out_dir / INDEX
    with atomic_path(index_path) as tmp:
        tmp.write_text(_index_html(done, formats, note=data_note(prepared.incidents, demo=demo),
                                   demo=demo), encoding="utf-8")  # fmt: skip
    result.written.append(index_path)
    _write_manifest(manifest_path, manifest)
    log.info("batch: %d written, %d up to date", len(result.written), len(result.skipped))
    return result
