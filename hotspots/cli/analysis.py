"""Analysis commands: ``clusters``, ``wards``, ``tune`` and ``demo``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from hotspots.cli._common import (
    Inputs,
    cluster_options,
    cluster_params,
    echo_table,
    input_options,
    load_prepared,
    scheduler_option,
)


@click.command()
@input_options
@cluster_options
@click.option("-o", "--output", type=click.Path(path_type=Path), default=Path("clusters.geojson"),
              show_default=True, help="Output file: .geojson (EPSG:4326), .gpkg (EPSG:27700) or .csv.")  # fmt: skip
@click.option("--simulations", type=click.IntRange(min=0), default=999, show_default=True,
              help="Monte Carlo simulations for each hotspot's p-value (0: no test). See "
                   "hotspots.analysis.significance. The map points' catchments it needs are "
                   "kept between runs in HOTSPOTS_CACHE (default ~/.cache/hotspots; 'off': "
                   "none).")  # fmt: skip
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="dask: read, join and cluster on a Dask cluster, partitioned by police force "
                   "area (the same answer and files; for national, multi-year archives).")  # fmt: skip
@scheduler_option
def clusters(output: Path, simulations: int, engine: str, scheduler: str | None, **kwargs) -> None:
    """Find ASB hotspots with DBSCAN and write one outline per cluster.

    INPUT is any mix of police.uk street-level CSVs, folders or zips, and council
    exports. DBSCAN runs once on the whole study area for the --season and --fy
    chosen; --area / --ward then keep the hotspots that lie there (the ward and
    focus area of a hotspot's busiest map point), with the same ids and counts
    as the whole-borough run. Clusters are sorted largest first; each has
    cluster_id (its rank), incidents, share (of the period's incidents in the
    whole study area; share_pct, a per cent, in CSV), ward, area (focus area),
    top_locations, top_categories, months, its busiest point (point_lon,
    point_lat), previous, change and trend (against the same season a year
    before), label (rank and main streets, as every output names it); and
    p_value, q_value and significant: whether a cluster that big could arise
    by chance among the borough's own map points (Monte Carlo,
    Benjamini-Hochberg false discovery rate 5%).

    \b
    Example (Redditch, autumn 2018):
      hotspots clusters ../shared/data/police-uk/west-mercia/2018-1*.csv \\
        --wards ../shared/data/wards/redditch.geojson \\
        --areas boundaries/redditch_focus_areas.toml --season autumn -o autumn.geojson
    """
    from hotspots.analysis.null_model import N_SIM
    from hotspots.analysis.prepare import check_view
    from hotspots.cli._clusters import write_clusters
    from hotspots.results import Period, analyse_period

    opts = Inputs.pop(kwargs)
    if engine == "dask":
        from hotspots.cli.dask_engine import clusters_on_dask

        return clusters_on_dask(
            opts, kwargs, output=output, scheduler=scheduler, simulations=simulations
        )
    params = cluster_params(kwargs)
    period = Period(kwargs["season"], kwargs["financial_year"])
    prepared = load_prepared(opts, output=output)
    check_view(prepared, area=kwargs["area"], ward=kwargs["ward"])
    result = analyse_period(prepared, period, params=params, chance=simulations > 0,
                            n_sim=simulations or N_SIM)  # fmt: skip
    write_clusters(result, output, area=kwargs["area"], ward=kwargs["ward"])


@click.command()
@input_options
@click.option("-o", "--output", type=click.Path(path_type=Path), default=Path("ward_table.csv"),
              show_default=True, help="The ward table as CSV.")  # fmt: skip
@click.option("--population", "population_path", type=click.Path(path_type=Path),
              help="Ward populations (ONS mid-year estimate CSV, detected, or ward,population): "
                   "adds population and rate per 1,000 residents for each year [default with no "
                   "INPUT: the demo's made-up figures].")  # fmt: skip
def wards(output: Path, population_path: Path | None, **kwargs) -> None:
    """Count incidents per ward and financial year, in the council's table format.

    Columns: ward, one per financial year (April-March, e.g. 2017-18), then
    difference and percentage (last year against the one before) when there
    are two or more years; with --population, population and "rate YYYY-YY"
    (incidents per 1,000 residents) per year. The last row is the Grand Total.
    """
    from hotspots.analysis.wards import ward_table
    from hotspots.io import write_table

    opts = Inputs.pop(kwargs)
    prepared = load_prepared(opts, output=output, shows_places=False)
    table = ward_table(prepared.incidents, prepared.wards)
    population_path = population_path or opts.spec().resolved().population
    if population_path:
        from hotspots.analysis.population import add_rates, read_population

        table = add_rates(table, read_population(population_path, prepared.wards))
    write_table(table, output)
    echo_table(table)
    for note in table.attrs["notes"]:  # boundary vintage, part years
        click.echo(note)
    click.echo(f"written to {output}")


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
    from hotspots.analysis.seasons import SEASONS
    from hotspots.analysis.wards import ward_table
    from hotspots.cli import main
    from hotspots.io import write_layer, write_table
    from hotspots.results import Period, analyse_period

    if rebuild:
        sys.path.insert(0, str(get_path("demo-wards").parent.parent))
        from build_demo import build

        for path in build():
            click.echo(f"rebuilt {path}")
    out_dir.mkdir(parents=True, exist_ok=True)
    rejects = out_dir / "rejects.csv"
    prepared = load_prepared(Inputs(rejects_path=rejects))
    fy = max(prepared.incidents["financial_year"])
    layers = [
        write_table(ward_table(prepared.incidents, prepared.wards), out_dir / "ward_table.csv")
    ]
    for season in (*SEASONS, None):  # each period's one answer (hotspots, trend, label)
        found = analyse_period(prepared, Period(season, fy), chance=False).hotspots
        name = f"clusters_{fy}_{season}.geojson" if season else f"clusters_{fy}_all.gpkg"
        layers.append(write_layer(found, out_dir / name))
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
