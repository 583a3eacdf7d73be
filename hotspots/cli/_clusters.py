"""What ``hotspots clusters`` writes and prints, for every engine: one function, one path.

The local engine and the Dask engine (:mod:`hotspots.cli.dask_engine`) both
answer the period with :func:`hotspots.results.analyse_period` and hand the
result here, so their files are the same, byte for byte.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from hotspots.cli._common import echo_table

if TYPE_CHECKING:  # pragma: no cover
    from hotspots.results import PeriodResult


def write_clusters(
    result: PeriodResult, output: Path, *, area: str | None, ward: str | None
) -> None:
    """Write the view's hotspots (one outline each) to ``output`` and say what was written.

    Parameters
    ----------
    result : hotspots.results.PeriodResult
        The period's answer (chance test included when it was run).
    output : pathlib.Path
        ``.geojson`` (EPSG:4326), ``.gpkg`` (EPSG:27700) or ``.csv``.
    area, ward : str or None
        The view (:meth:`hotspots.results.PeriodResult.view`).
    """
    from hotspots.io import write_layer

    where = area or ward
    # the whole study area's view is the result itself (its outline, a union of every
    # ward, is not drawn here)
    found, incidents = result.hotspots, result.incidents
    if where:
        view = result.view(area=area, ward=ward)
        found, incidents = view.hotspots, view.incidents
    write_layer(found, output)
    if where:
        click.echo(
            f"{len(found)} of the study area's {len(result.hotspots)} cluster(s) lie in {where} "
            f"({len(incidents):,} incidents there); written to {output}"
        )
    else:
        click.echo(f"{len(found)} cluster(s) from {len(incidents):,} incidents written to {output}")
    click.echo(result.parameters.text)
    columns = ["cluster_id", "incidents", "ward", "area", "label"]
    if result.chance is not None:
        columns[2:2] = ["p_value", "significant"]
        if len(found):
            click.echo(f"{int(found['significant'].sum())} significant: {result.chance.method}")
    if len(found):
        echo_table(found[columns].head(10))
