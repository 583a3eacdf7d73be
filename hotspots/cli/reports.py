"""Report commands: ``tasking`` (sheets), ``export`` (static map batches) and ``map`` (one HTML map)."""

from __future__ import annotations

from pathlib import Path

import click

from hotspots.cli._common import (
    SEASON_NAMES,
    Inputs,
    cluster_options,
    cluster_params,
    dbscan_options,
    echo_table,
    input_options,
    load_prepared,
)
from hotspots.cli._maps import map_options


@click.command()
@input_options
@cluster_options
@map_options
@click.option("-o", "--output", type=click.Path(path_type=Path), default=Path("tasking.pdf"),
              show_default=True,
              help="The sheet: .pdf (one page per focus area, map beside the list), .html, .csv "
                   "or .geojson (one point per hotspot, for patrol devices).")  # fmt: skip
def tasking(output: Path, **kwargs) -> None:
    """Write a tasking sheet: one selection's hotspots ranked by incidents.

    Each hotspot has rank, place (the most common police.uk Location), ward,
    focus area, incidents, share, trend against the same season a year before
    (new / growing / steady / shrinking; "no earlier data" when the data
    does not reach back), peak months, and peak weekday and hour where the data
    has times. --fy is required. The PDF map labels each hotspot with its rank
    and main street ("1 Unicorn Hill"), draws --roads streets with their names
    (the demo's own by default) and has a colour legend.

    \b
    Example (Redditch, autumn 2018):
      hotspots tasking ../shared/data/police-uk/west-mercia/2018-1*.csv \\
        --wards ../shared/data/wards/redditch.geojson \\
        --areas boundaries/redditch_focus_areas.toml --season autumn --fy 2018-19 -o sheet.pdf
    """
    from hotspots._errors import HotspotsError
    from hotspots.analysis.notes import is_demo
    from hotspots.cli._maps import map_style
    from hotspots.outputs.tasking import SHEET_FORMATS, view_sheet, write_sheet
    from hotspots.results import Period, analyse_period

    if output.suffix.lower() not in SHEET_FORMATS:
        raise HotspotsError(
            f"-o {str(output)!r}: the tasking sheet is written as one of {SHEET_FORMATS!r}"
        )
    if not kwargs["financial_year"]:
        raise HotspotsError(
            "--fy YYYY-YY is required for a tasking sheet (e.g. --fy 2018-19): the trend "
            "compares each hotspot with the same season a year before"
        )
    opts = Inputs.pop(kwargs)
    prepared = load_prepared(opts, output=output)
    sel = {"season": kwargs["season"], "area": kwargs["area"], "ward": kwargs["ward"]}
    fy = kwargs["financial_year"]
    # The period's one answer (DBSCAN once, the chance test once, the place patterns), viewed.
    result = analyse_period(prepared, Period(kwargs["season"], fy), params=cluster_params(kwargs),
                            chance=True, patterns=True)  # fmt: skip
    view = result.view(area=kwargs["area"], ward=kwargs["ward"])
    sheet, clusters, chosen = view_sheet(view), view.hotspots, view.incidents
    from hotspots.analysis.backtest import previous_window_accuracy

    accuracy = previous_window_accuracy(prepared, financial_year=fy, params=cluster_params(kwargs),
                                        previous_hotspots=result.previous, **sel)  # fmt: skip
    accuracy_note = f" {accuracy['sentence']}." if accuracy else ""
    demo = is_demo(prepared)
    style = map_style(kwargs, spec=opts.spec(), dpi=150)
    write_sheet(
        sheet,
        output,
        clusters=clusters,
        wards=prepared.wards,
        title=view.title,
        note=f"{view.data_note} {result.parameters.text}.{accuracy_note}",
        area=kwargs["area"],
        areas=prepared.areas,
        demo=demo,
        style=style,
    )
    where = kwargs["area"] or kwargs["ward"]
    of_all = f" of the study area's {sheet.attrs['hotspots_in_study_area']}" if where else ""
    click.echo(
        f"{len(sheet)}{of_all} hotspot(s) from {len(chosen):,} incidents"
        f"{' in ' + where if where else ''} written to {output}"
    )
    click.echo(sheet.attrs["parameters"])
    if accuracy:
        click.echo(accuracy["sentence"] + ".")
    if len(sheet):
        echo_table(
            sheet[
                [
                    "rank",
                    "place",
                    "ward",
                    "area",
                    "incidents",
                    "trend",
                    "significant",
                    "peak_months",
                ]
            ]
        )


def _sources(opts: Inputs) -> list[Path | None]:
    from boundaries import get_path

    if not opts.inputs and not opts.store:
        paths = [get_path("demo-incidents"), opts.wards_path or get_path("demo-wards"),
                 opts.areas_path or get_path("demo-focus-areas")]  # fmt: skip
    else:
        paths = [*opts.inputs, opts.wards_path, opts.areas_path]
    files: list[Path | None] = []
    for p in [*paths, opts.postcodes_path]:
        if p is not None and Path(p).is_dir():
            files += sorted(q for q in Path(p).rglob("*") if q.is_file())
        else:
            files.append(p)
    return files


@click.command()
@input_options
@click.option(
    "--by",
    default="season,fy",
    show_default=True,
    help="Split into one map per combination of these: season, fy, area, ward.",
)
@click.option(
    "--format",
    "formats",
    default="png",
    show_default=True,
    help="Map formats, comma-separated: png, svg, pdf.",
)
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("out/export"),
    show_default=True,
    help="Output folder.",
)
@click.option(
    "--season",
    "seasons",
    multiple=True,
    type=click.Choice([*SEASON_NAMES, "all"], case_sensitive=False),
    help="Only this season (repeat for several) [default: every season in the data]; "
    "'all' makes whole-year maps (all seasons together, as --season all elsewhere).",
)
@click.option(
    "--fy",
    "financial_years",
    multiple=True,
    metavar="YYYY-YY",
    help="Only this financial year (repeat for several) [default: all in the data].",
)
@dbscan_options(min_samples_from="each selection", params=False)
@click.option("--dpi", type=int, default=300, show_default=True, help="PNG resolution.")
@map_options
@click.option("--no-pack", is_flag=True, help="Do not write the report pack (report.pdf).")
@click.option("--force", is_flag=True, help="Redo every file, even those that are up to date.")  # fmt: skip
def export(out_dir: Path, **kwargs) -> None:
    """Write static maps for every combination asked for, an index.html and a report pack.

    File names are fixed by the combination (e.g. autumn_2018-19_town-centre.png).
    The report pack (report.pdf) holds the ward table in the council's format,
    the seasonal profile chart, the maps and a top-hotspot table. A manifest
    (manifest.json) records what each file was made from: re-running skips
    files that are up to date; --force redoes them.

    \b
    Example (the demo borough, each ward by season and year, PNG and PDF):
      hotspots export --by season,fy,ward --format png,pdf -o out/maps
    """
    from tqdm import tqdm

    from hotspots._errors import HotspotsError
    from hotspots.cli._maps import map_style
    from hotspots.draw.static import MAP_FORMATS
    from hotspots.outputs.export import BY_CHOICES, fingerprint_files, parse_list, run_batch

    opts = Inputs.pop(kwargs)
    by = parse_list(kwargs["by"], choices=BY_CHOICES, option="--by")
    seasons = tuple(s.lower() for s in kwargs["seasons"])
    if "all" in seasons:
        if len(seasons) > 1:
            raise HotspotsError(
                f"--season all (whole-year maps) cannot be mixed with seasons; got "
                f"{list(seasons)!r}: run export once with --season all and once with the seasons"
            )
        by = [b for b in by if b != "season"]  # whole years: not split by season
        seasons = ()
    formats = parse_list(kwargs["formats"], choices=MAP_FORMATS, option="--format")
    prepared = load_prepared(opts, output=out_dir / "export")
    style = map_style(kwargs, spec=opts.spec(), dpi=kwargs["dpi"])
    result = run_batch(
        prepared,
        out_dir,
        by=by,
        formats=formats,
        params=cluster_params(kwargs),
        style=style,
        seasons=seasons or None,
        financial_years=kwargs["financial_years"] or None,
        inputs_key=fingerprint_files(_sources(opts))
        + (f":{opts.spec().version()}" if opts.store else ""),  # a store: its version counter
        force=kwargs["force"],
        pack=not kwargs["no_pack"],
        progress=lambda items: tqdm(items, desc="maps", unit="map", disable=None),
    )
    click.echo(
        f"{len(result.combos)} map(s): {len(result.written)} file(s) written, "
        f"{len(result.skipped)} up to date, in {out_dir}"
    )
    click.echo(f"open {out_dir / 'index.html'}")


@click.command("map")
@input_options
@cluster_options
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    default=Path("map.html"),
    show_default=True,
    help="The map: one HTML file.",
)
@map_options
@click.option("--tiles-url", metavar="URL", hidden=True, help="Older name of --basemap URL.")
@click.option("--tiles-attribution", metavar="TEXT", hidden=True,
              help="Older name of --basemap-attribution.")  # fmt: skip
@click.option("--max-points", type=int, default=2000, show_default=True,
              help="Cap on the incident markers (a fixed sample beyond it).")  # fmt: skip
def map_command(output: Path, **kwargs) -> None:
    """Write a standalone interactive map: one HTML file that opens from disk, offline.

    Every script and style is inlined (no CDN), so the file can be e-mailed or
    opened on a machine with no network. Layers: hotspot outlines (with the
    change against the same season a year before when --fy is given) labelled
    with rank and main street, ward counts, town and district centres, streets
    (--roads; the demo's own by default), heat and incident points. A local
    .mbtiles/.pmtiles basemap is embedded (up to a few hundred tiles).

    \b
    Example:
      hotspots map --season autumn --fy 2018-19 -o autumn.html   # the demo borough
    """
    from hotspots._errors import HotspotsError
    from hotspots.draw.assets import standalone_html
    from hotspots.draw.basemap import embedded_tiles, resolve_basemap
    from hotspots.draw.webmap import hotspot_map, ward_summary
    from hotspots.io import atomic_path
    from hotspots.loader import load_streets
    from hotspots.results import Period, analyse_period

    if output.suffix.lower() not in (".html", ".htm"):
        raise HotspotsError(f"-o {str(output)!r}: the map is written as one .html file")
    basemap = resolve_basemap(kwargs["basemap"] or kwargs["tiles_url"],
                              attribution=kwargs["basemap_attribution"] or kwargs["tiles_attribution"],
                              os_api_key=kwargs["os_api_key"])  # fmt: skip
    opts = Inputs.pop(kwargs)
    prepared = load_prepared(opts, output=output)
    fy = kwargs["financial_year"]
    # The period's one answer (DBSCAN once, the chance test once), viewed: nothing recomputed.
    result = analyse_period(prepared, Period(kwargs["season"], fy), params=cluster_params(kwargs),
                            chance=True)  # fmt: skip
    view = result.view(area=kwargs["area"], ward=kwargs["ward"])
    clusters, chosen = view.hotspots, view.incidents
    focus = view.outline if (kwargs["area"] or kwargs["ward"]) else None
    title = view.title
    tile_url = embedded_tiles(basemap, prepared.wards.total_bounds) if basemap.is_local else None
    # The ward layer shows ward totals for the period, whatever area or ward is mapped.
    m = hotspot_map(
        ward_summary(result.incidents, prepared.wards).to_crs("EPSG:4326"),
        clusters,
        chosen,
        areas=prepared.areas,
        focus=focus,
        basemap=basemap,
        tile_url=tile_url,
        roads=load_streets(opts.spec(), kwargs["roads"]),
        max_points=kwargs["max_points"],
        caption=f"{title}. {view.data_note} {result.parameters.text}.",
    )
    page = standalone_html(m)
    with atomic_path(output) as tmp:
        tmp.write_text(page, encoding="utf-8")
    click.echo(
        f"{len(clusters)} hotspot(s) from {len(chosen):,} incidents; map written to {output} "
        f"({len(page.encode()) / 1e6:.1f} MB, opens offline)"
    )
    click.echo(result.parameters.text)
