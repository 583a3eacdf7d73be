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
)


@click.command()
@input_options
@cluster_options
@click.option("-o", "--output", type=click.Path(path_type=Path), default=Path("clusters.geojson"),
              show_default=True, help="Output file: .geojson (EPSG:4326), .gpkg (EPSG:27700) or .csv.")  # fmt: skip
@click.option("--simulations", type=click.IntRange(min=0), default=999, show_default=True,
              help="Monte Carlo simulations for each hotspot's p-value (0: no test). See "
                   "hotspots.significance.")  # fmt: skip
def clusters(output: Path, simulations: int, **kwargs) -> None:
    """Find ASB hotspots with DBSCAN and write one outline per cluster.

    INPUT is any mix of police.uk street-level CSVs, folders or zips, and council
    exports. Clusters are sorted largest first; each has cluster_id, incidents,
    share (of the selection), ward, area (focus area), top_locations,
    top_categories and months; and p_value, q_value and significant: whether a
    cluster that big could arise by chance among the borough's own map points
    (Monte Carlo, Benjamini-Hochberg false discovery rate 5%).

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
    columns = ["cluster_id", "incidents", "ward", "area", "top_locations"]
    if simulations:
        from hotspots.significance import significance_for

        found = significance_for(prepared, found, area=kwargs["area"], ward=kwargs["ward"],
                                 n_sim=simulations)  # fmt: skip
        columns[2:2] = ["p_value", "significant"]
    write_layer(found, output)
    source = f" from {params.source}" if params.source else ""
    click.echo(
        f"{len(found)} cluster(s) from {found.attrs['selected']:,} incidents "
        f"(eps {params.eps_m:g} m, min_samples {found.attrs['min_samples']}{source}) "
        f"written to {output}"
    )
    if simulations and len(found):
        click.echo(f"{int(found['significant'].sum())} significant: {found.attrs['significance']}")
    if len(found):
        echo_table(found[columns].head(10))


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
    from hotspots.io import write_table
    from hotspots.wards import ward_table

    opts = Inputs.pop(kwargs)
    prepared = load_prepared(opts, output=output)
    table = ward_table(prepared.incidents, prepared.wards)
    population_path = population_path or opts.spec().resolved().population
    if population_path:
        from hotspots.population import add_rates, read_population

        table = add_rates(table, read_population(population_path, prepared.wards))
    write_table(table, output)
    echo_table(table)
    for note in table.attrs["notes"]:  # boundary vintage, part years
        click.echo(note)
    click.echo(f"written to {output}")


@click.command()
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("out/demo"),
              show_default=True, help="Folder for the outputs.")  # fmt: skip
@click.option("--rebuild", is_flag=True, help="Rebuild data/demo/ from data/build_demo.py first.")
def demo(out_dir: Path, rebuild: bool) -> None:
    """Run the whole pipeline on the embedded demo borough and say where outputs went.

    The demo borough is modelled on Redditch's published ASB figures (12 wards,
    2017-18 and 2018-19); its boundaries are approximate and its incidents made
    by the project (data/build_demo.py). No network is used.
    """
    from boundaries import get_path
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
    opts = Inputs(rejects_path=out_dir / "rejects.csv")
    prepared = load_prepared(opts)
    written = [write_table(ward_table(prepared.incidents, prepared.wards), out_dir / "ward_table.csv")]
    for season in SEASONS:
        found = hotspots_for(prepared, season=season, financial_year="2018-19")
        written.append(write_layer(found, out_dir / f"clusters_2018-19_{season}.geojson"))
    found = hotspots_for(prepared, financial_year="2018-19")
    written.append(write_layer(found, out_dir / "clusters_2018-19_all.gpkg"))
    written.append(out_dir / "rejects.csv")
    click.echo("outputs:")
    for path in written:
        click.echo(f"  {path}")
