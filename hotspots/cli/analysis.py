"""Analysis commands: ``clusters``, ``wards``, ``tune`` and ``demo``."""

from __future__ import annotations

import sys
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
    exports. Clusters are sorted largest first; each has cluster_id, incidents,
    share (of the selection), ward, area (focus area), top_locations,
    top_categories and months.

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
    click.echo(
        f"{len(found)} cluster(s) from {found.attrs['selected']:,} incidents "
        f"(eps {params.eps_m:g} m, min_samples {found.attrs['min_samples']}) written to {output}"
    )
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
    click.echo(f"written to {output}")


@click.command()
@input_options
@click.option("--season", type=SEASON_CHOICE, default="all", show_default=True,
              help="Meteorological season to tune for.")
@click.option("--fy", "financial_year", metavar="YYYY-YY",
              help="Financial year April-March, e.g. 2018-19 [default: all years].")
@click.option("--eps-m", type=float, default=100.0, show_default=True,
              help="DBSCAN radius in metres for the background count.")
@click.option("--min-samples", type=int, default=None,
              help="min_samples for the k-distance curve [default: chosen from the data].")
def tune(**kwargs) -> None:
    """Suggest DBSCAN settings for a selection: eps from the k-distance curve.

    Prints the incidents selected, the default min_samples, the background
    count expected in an --eps-m circle, and the eps_m at the knee of the
    k-distance curve for that min_samples.
    """
    from hotspots.cluster import background_count, default_min_samples, suggest_eps
    from hotspots.pipeline import select_incidents

    prepared = load_prepared(Inputs.pop(kwargs))
    chosen = select_incidents(
        prepared.incidents, season=kwargs["season"], financial_year=kwargs["financial_year"]
    )
    area = prepared.study_area_m2
    ms = kwargs["min_samples"] or default_min_samples(len(chosen), area, kwargs["eps_m"])
    click.echo(f"incidents selected: {len(chosen):,}; study area {area / 1e6:.1f} km2")
    click.echo(
        f"background in a {kwargs['eps_m']:g} m circle: "
        f"{background_count(len(chosen), area, kwargs['eps_m']):.2f}"
    )
    click.echo(f"min_samples: {ms}; suggested eps_m: {suggest_eps(chosen, min_samples=ms):g}")


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
