"""``hotspots clusters --engine dask``: the same clusters, computed on a Dask cluster.

Imported only when the option is used (click and the standard library at
module level, as every CLI module).
"""

from __future__ import annotations

from pathlib import Path

import click

from hotspots.cli._common import Inputs, cluster_params, echo_table


def _quiet_dask() -> None:
    """Keep Dask's own INFO logs (and the tracebacks it logs at INFO on shutdown) off the terminal.

    The CLI logs at WARNING unless -v is given; Dask's loggers then show errors only.
    """
    import logging

    import distributed  # noqa: F401  (it sets its loggers up when imported: after that)

    level = logging.getLogger().getEffectiveLevel()
    for name in ("distributed", "dask"):
        logging.getLogger(name).setLevel(logging.ERROR if level >= logging.WARNING else level)


def clusters_on_dask(
    opts: Inputs, kwargs: dict, *, output: Path, scheduler: str | None, simulations: int = 0
) -> None:
    """Run ``clusters`` with :func:`hotspots.distributed.hotspots_dask`; print and write as usual.

    The Monte Carlo significance test (``--simulations``) needs the whole
    prepared table in one place, so the Dask engine does not run it.
    """
    from boundaries import load_wards
    from hotspots._errors import ConfigError
    from hotspots.distributed import connect, hotspots_dask
    from hotspots.io import write_layer, write_table
    from hotspots.read.places import read_focus_areas

    spec = opts.spec().resolved()
    if spec.postcodes or spec.online_geocoder:
        raise ConfigError(
            "--engine dask reads police.uk files and council exports that have coordinates; "
            "postcode and address look-up runs on the default engine (drop --engine dask)"
        )
    params = cluster_params(kwargs)
    wards = load_wards(spec.wards)
    areas = read_focus_areas(spec.areas) if spec.areas else None
    council = {"columns": spec.columns}
    if spec.date_format:
        council["date_format"] = spec.date_format
    where = scheduler or "a local cluster"
    click.echo(f"engine: dask on {where}", err=True)
    _quiet_dask()
    with connect(scheduler) as client:
        found, info = hotspots_dask(
            spec.inputs, wards, client=client, areas=areas, crime_types=spec.crime_types,
            tolerance_m=spec.tolerance_m, season=kwargs["season"],
            financial_year=kwargs["financial_year"], area=kwargs["area"], ward=kwargs["ward"],
            params=params, council=council,
        )  # fmt: skip
    click.echo(
        f"read {info['rows_read']:,}; selected {info['selected']:,}; kept {info['kept']:,}; "
        f"rejected {info['rejected']:,}; outside the study area {info['outside']:,}; "
        f"{len(info['forces'])} force area(s), {info['points']:,} distinct map points"
    )
    if info["rejected"]:
        rejects_path = opts.rejects_path or output.with_name(output.stem + ".rejects.csv")
        write_table(info["rejects"], rejects_path)
        click.echo(f"rejected rows written to {rejects_path}")
    write_layer(found, output)
    source = f" from {params.source}" if params.source else ""
    click.echo(
        f"{len(found)} cluster(s) from {found.attrs['selected']:,} incidents "
        f"(eps {params.eps_m:g} m, min_samples {found.attrs['min_samples']}{source}) "
        f"written to {output}"
    )
    if simulations:
        click.echo("no p-values: the significance test runs on the default engine only "
                   "(--simulations 0 silences this note)", err=True)  # fmt: skip
    if len(found):
        echo_table(found[["cluster_id", "incidents", "ward", "area", "top_locations"]].head(10))


def ingest_on_dask(opened, scheduler: str | None):
    """``ingest --engine dask``: a function taking :meth:`Store.ingest`'s arguments.

    It connects to the scheduler (or starts a local cluster), runs
    :func:`hotspots.distributed.ingest_dask` and closes the connection.
    """
    from hotspots.distributed import connect, ingest_dask

    def run(inputs, *, progress=None, **kwargs):
        click.echo(f"engine: dask on {scheduler or 'a local cluster'}", err=True)
        _quiet_dask()
        with connect(scheduler) as client:
            return ingest_dask(opened, inputs, client=client, progress=progress, **kwargs)

    return run
