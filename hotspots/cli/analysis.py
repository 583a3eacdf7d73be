"""Analysis commands: ``clusters``, ``wards``, ``tune`` and ``demo``."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import click

from hotspots.cli._common import (
    SEASON_CHOICE,
    Inputs,
    cluster_options,
    cluster_params,
    echo_table,
    input_options,
    load_prepared,
)


@click.command()
@input_options
@cluster_options
@click.option("-o", "--output", type=click.Path(path_type=Path), default=Path("clusters.geojson"),
              show_default=True, help="Output file: .geojson (EPSG:4326), .gpkg (EPSG:27700) or .csv.")  # fmt: skip
def clusters(output: Path, **kwargs) -> None:
    """Find ASB hotspots with DBSCAN and write one outline per cluster.

    INPUT is any mix of police.uk street-level CSVs, folders or zips, and council
    exports. DBSCAN runs once on the whole study area for the --season and --fy
    chosen; --area / --ward then keep the hotspots that lie there (the ward and
    focus area of a hotspot's busiest map point), with the same ids and counts
    as the whole-borough run. Clusters are sorted largest first; each has
    cluster_id (its rank), incidents, share (of the period's incidents in the
    whole study area; share_pct, a per cent, in CSV), ward, area (focus area),
    top_locations, top_categories, months and its busiest point (point_lon,
    point_lat).

    \b
    Example (Redditch, autumn 2018):
      hotspots clusters ../shared/data/police-uk/west-mercia/2018-1*.csv \\
        --wards ../shared/data/wards/redditch.geojson \\
        --areas boundaries/redditch_focus_areas.toml --season autumn -o autumn.geojson
    """
    from hotspots.io import write_layer
    from hotspots.pipeline import hotspots_for

    opts = Inputs.pop(kwargs)
    params = cluster_params(kwargs)
    prepared = load_prepared(opts, output=output)
    found = hotspots_for(
        prepared,
        season=kwargs["season"],
        financial_year=kwargs["financial_year"],
        area=kwargs["area"],
        ward=kwargs["ward"],
        params=params,
    )
    write_layer(found, output)
    where = kwargs["area"] or kwargs["ward"]
    if where:
        click.echo(
            f"{len(found)} of the study area's {found.attrs['hotspots_in_study_area']} "
            f"cluster(s) lie in {where} ({found.attrs['selected']:,} incidents there); "
            f"written to {output}"
        )
    else:
        click.echo(
            f"{len(found)} cluster(s) from {found.attrs['selected']:,} incidents written to {output}"
        )
    click.echo(found.attrs["parameters"])
    if len(found):
        echo_table(found[["cluster_id", "incidents", "ward", "area", "top_locations"]].head(10))


@click.command()
@input_options
@click.option("-o", "--output", type=click.Path(path_type=Path), default=Path("ward_table.csv"),
              show_default=True, help="The ward table as CSV.")  # fmt: skip
def wards(output: Path, **kwargs) -> None:
    """Count incidents per ward and financial year, in the council's table format.

    Columns: ward, one per financial year (April-March, e.g. 2017-18), then
    difference and percentage (last year against the one before) when there
    are two or more years; the last row is the Grand Total.
    """
    from hotspots.io import write_table
    from hotspots.wards import ward_table

    prepared = load_prepared(Inputs.pop(kwargs), output=output)
    table = ward_table(prepared.incidents, prepared.wards)
    write_table(table, output)
    echo_table(table)
    for note in table.attrs["notes"]:  # boundary vintage, part years
        click.echo(note)
    click.echo(f"written to {output}")


@click.command(short_help="Suggest DBSCAN settings (eps from the k-distance curve).")
@input_options
@click.option("--season", type=SEASON_CHOICE, default="all", show_default=True,
              help="Meteorological season to tune for (winter = Dec-Feb).")
@click.option("--fy", "financial_year", metavar="YYYY-YY",
              help="Financial year April-March, e.g. 2018-19 [default: all years].")
@click.option("--area", help="Tune for this focus area (a name from --areas): its incidents make "
                             "the k-distance curve.")
@click.option("--ward", help="Tune for this ward (its name in the boundary file).")
@click.option("--eps-m", type=float, default=100.0, show_default=True,
              help="DBSCAN radius in metres for the background count and the hotspot count.")
@click.option("--min-samples", type=int, default=None,
              help="min_samples for the k-distance curve [default: chosen from the season and "
                   "year's incidents in the whole study area, as clusters does].")
def tune(**kwargs) -> None:
    """Suggest DBSCAN settings: eps from the k-distance curve of a selection.

    Prints the incidents of the season and year (in the --area / --ward when
    given), the min_samples hotspots use (chosen from the whole study area's
    incidents of that season and year, unless --min-samples is given), the
    background count expected in an --eps-m circle, the hotspots found with
    --eps-m and with the suggestion, and the eps_m at the knee of the
    k-distance curve for that min_samples. Hotspots are always found on the
    whole study area: pass the suggestion to clusters, map or tasking with
    --eps-m, and every output states the settings used.

    \b
    Example (Redditch, autumn 2018, the town centre):
      hotspots tune ../shared/data/police-uk/west-mercia/2018-1*.csv \\
        --wards ../shared/data/wards/redditch.geojson \\
        --areas boundaries/redditch_focus_areas.toml --season autumn --area "Town centre"
    """
    from hotspots._errors import HotspotsError
    from hotspots.cluster import (
        ClusterParams,
        ClusterWarning,
        background_count,
        default_min_samples,
        suggest_eps,
    )
    from hotspots.pipeline import check_view, find_hotspots, select_incidents

    ClusterParams(eps_m=kwargs["eps_m"], min_samples=kwargs["min_samples"])  # check them first
    prepared = load_prepared(Inputs.pop(kwargs))
    check_view(prepared, area=kwargs["area"], ward=kwargs["ward"])
    period = {"season": kwargs["season"], "financial_year": kwargs["financial_year"]}
    whole = select_incidents(prepared.incidents, **period)
    chosen = select_incidents(whole, area=kwargs["area"], ward=kwargs["ward"])
    area_m2 = prepared.study_area_m2
    eps = kwargs["eps_m"]
    ms = kwargs["min_samples"] or default_min_samples(len(whole), area_m2, eps)
    where = kwargs["area"] or kwargs["ward"] or "the whole study area"
    whole_note = f"{len(whole):,} in " if len(whole) != len(chosen) else ""
    click.echo(f"incidents selected: {len(chosen):,} in {where} "
               f"({whole_note}the study area of {area_m2 / 1e6:.1f} km2)")  # fmt: skip
    click.echo(f"background in a {eps:g} m circle: {background_count(len(whole), area_m2, eps):.2f}")
    if len(chosen) <= ms:
        raise HotspotsError(
            f"{where} has {len(chosen)} incident(s) in this season and year, not more than "
            f"min_samples={ms}: too few for a k-distance curve; choose a longer period "
            "(--season all, no --fy) or a larger area"
        )
    suggested = suggest_eps(chosen, min_samples=ms)
    for label, value in ((f"--eps-m {eps:g}", eps), (f"suggested {suggested:g}", suggested)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ClusterWarning)
            found = find_hotspots(prepared, **period, area=kwargs["area"], ward=kwargs["ward"],
                                  params=ClusterParams(eps_m=value, min_samples=ms))  # fmt: skip
        click.echo(f"hotspots in {where} with {label} m: {len(found.clusters)} "
                   f"({int(found.clusters['incidents'].sum()):,} incidents)")  # fmt: skip
        for warning in caught:
            click.echo(f"  note: {warning.message}")
    click.echo(f"min_samples: {ms}; suggested eps_m: {suggested:g}")


@click.command(short_help="Run everything on the embedded demo borough (out/demo).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False),
              default=Path("out/demo"), show_default=True, help="Folder for the outputs.")  # fmt: skip
@click.option("--rebuild", is_flag=True, help="Rebuild data/demo/ from data/build_demo.py first.")
def demo(out_dir: Path, rebuild: bool) -> None:
    """Run the whole pipeline on the embedded demo borough and say where the outputs are.

    Writes into --out: an interactive map and a tasking sheet (PDF) of the
    latest autumn (Halloween and bonfire night), the report pack (static maps
    by season and year, index.html and report.pdf), the ward table, hotspot
    layers for each season (GeoJSON, GeoPackage) and the rejected rows. Each
    step is an ordinary hotspots command, printed so you can run it on your
    own data. The demo borough is modelled on Redditch's published ASB figures
    (12 wards, 2017-18 and 2018-19); its boundaries are approximate and its
    incidents made by the project (data/build_demo.py). No network is used.
    """
    import shlex

    from boundaries import get_path
    from hotspots.cli import main
    from hotspots.io import write_layer, write_table
    from hotspots.pipeline import hotspots_for
    from hotspots.seasons import SEASONS
    from hotspots.wards import ward_table

    if rebuild:
        sys.path.insert(0, str(get_path("demo-wards").parent.parent))
        from build_demo import build

        for path in build():
            click.echo(f"rebuilt {path}")
    out_dir.mkdir(parents=True, exist_ok=True)
    rejects = out_dir / "rejects.csv"
    prepared = load_prepared(Inputs(rejects_path=rejects))
    fy = max(prepared.incidents["financial_year"])
    layers = [write_table(ward_table(prepared.incidents, prepared.wards), out_dir / "ward_table.csv")]
    for season in SEASONS:
        found = hotspots_for(prepared, season=season, financial_year=fy)
        layers.append(write_layer(found, out_dir / f"clusters_{fy}_{season}.geojson"))
    found = hotspots_for(prepared, financial_year=fy)
    layers.append(write_layer(found, out_dir / f"clusters_{fy}_all.gpkg"))
    map_path = out_dir / f"map_{fy}_autumn.html"
    sheet_path = out_dir / f"tasking_{fy}_autumn.pdf"
    pack_dir = out_dir / "report"
    steps = [
        ["map", "--season", "autumn", "--fy", fy, "-o", str(map_path)],
        ["tasking", "--season", "autumn", "--fy", fy, "-o", str(sheet_path)],
        ["export", "--by", "season,fy", "-o", str(pack_dir)],
    ]
    for args in steps:
        click.echo(f"\n$ hotspots {shlex.join(args)}")
        main.main([*args, "--rejects", str(rejects)], standalone_mode=False)
    click.echo(f"\nThe demo's outputs are in {out_dir}:")
    for label, path in (
        ("map (opens offline in a browser)", map_path),
        ("tasking sheet", sheet_path),
        ("report pack", pack_dir / "report.pdf"),
        ("report maps, all on one page", pack_dir / "index.html"),
    ):
        click.echo(f"  {label + ':':36} {path}")
    click.echo("  tables and layers (open in QGIS or a spreadsheet):")
    for path in [*layers, rejects]:
        click.echo(f"    {path}")
