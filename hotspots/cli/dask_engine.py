"""``hotspots clusters --engine dask``: the same clusters, computed on a Dask cluster.

Imported only when the option is used (click and the standard library at
module level, as every CLI module).
"""

from __future__ import annotations

from pathlib import Path

import click

from hotspots.cli._common import Inputs, cluster_params


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
    """Run ``clusters`` on Dask: files read and DBSCAN run on the cluster, the same answer.

    The files are read and prepared on the workers (:func:`hotspots.distributed.prepare_dask`,
    place text cut to street level there unless ``--keep-addresses``), and the
    period is answered by :func:`hotspots.results.analyse_period` with DBSCAN on
    Dask (:func:`hotspots.distributed.dask_labeller`): trend, label and chance
    test as on one machine, written by the same function
    (:func:`hotspots.cli._clusters.write_clusters`).
    """
    from boundaries import load_wards
    from hotspots._errors import ConfigError
    from hotspots.analysis.null_model import N_SIM
    from hotspots.analysis.prepare import check_view
    from hotspots.cli._clusters import write_clusters
    from hotspots.distributed import connect, dask_labeller, prepare_dask
    from hotspots.io import write_table
    from hotspots.read.places import read_focus_areas
    from hotspots.results import Period, analyse_period

    spec = opts.spec().resolved()
    if spec.postcodes or spec.online_geocoder:
        raise ConfigError(
            "--engine dask reads police.uk files and council exports that have coordinates; "
            "postcode and address look-up runs on the default engine (drop --engine dask)"
        )
    params = cluster_params(kwargs)
    period = Period(kwargs["season"], kwargs["financial_year"])
    wards = load_wards(spec.wards)
    areas = read_focus_areas(spec.areas) if spec.areas else None
    council = {"columns": spec.columns}
    if spec.date_format:
        council["date_format"] = spec.date_format
    where = scheduler or "a local cluster"
    click.echo(f"engine: dask on {where}", err=True)
    _quiet_dask()
    with connect(scheduler) as client:
        rows = prepare_dask(
            spec.inputs, wards, client=client, areas=areas, crime_types=spec.crime_types,
            tolerance_m=spec.tolerance_m, council=council, keep_addresses=opts.keep_addresses,
        )  # fmt: skip
        check_view(rows.prepared, area=kwargs["area"], ward=kwargs["ward"])
        result = analyse_period(rows.prepared, period, params=params, chance=simulations > 0,
                                n_sim=simulations or N_SIM,
                                labeller=dask_labeller(client, rows))  # fmt: skip
    info = rows.info
    click.echo(
        f"read {info['rows_read']:,}; selected {info['selected']:,}; kept {info['kept']:,}; "
        f"rejected {info['rejected']:,}; outside the study area {info['outside']:,}; "
        f"{len(info['forces'])} force area(s), {info['points']:,} distinct map points"
    )
    if info["rejected"]:
        rejects_path = opts.rejects_path or output.with_name(output.stem + ".rejects.csv")
        write_table(info["rejects"], rejects_path)
        click.echo(f"rejected rows written to {rejects_path}")
    write_clusters(result, output, area=kwargs["area"], ward=kwargs["ward"])


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
