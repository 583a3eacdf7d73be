"""Hotspots on Dask: many monthly files read, joined and clustered across workers.

For a national, multi-year archive (all forces, about 10^7 ASB incidents a
year) :func:`hotspots_dask` runs the single-machine pipeline
(:func:`hotspots.analysis.prepare.prepare` then :func:`hotspots.analysis.hotspots.hotspots_for`)
on a Dask cluster and returns the same clusters:

1. **Read, ward join, selection** — one task per file (a police.uk monthly
   force file, say): read, join each distinct map point to its ward, keep the
   study area, add the season columns and keep the selection. Each worker keeps
   its rows; only its distinct map points (coordinates, count, first row) come
   back.
2. **Per-force-area clustering** — the distinct points are partitioned by
   police force area (the force named in each police.uk file name, e.g.
   ``2018-10-west-mercia-street.csv``). Each force's task also gets a halo: the
   other forces' points within ``2 * eps_m`` of its bounding box. With the halo,
   every point within ``eps_m`` of the force's own points knows its true core
   status, so each core-to-core link is found by the force that owns one end.
3. **Merge** — the links are joined on the client (connected components), so
   a cluster that crosses a force boundary is one cluster, counted once. Cluster
   numbers and border points follow scikit-learn's DBSCAN exactly (clusters in
   order of their first core point; a border point goes to the earliest cluster
   that reaches it), so the labels equal the single-machine ones.
4. **Summaries** — each worker sends back only its clustered rows; the
   summary table is built once with :func:`hotspots.analysis.summaries.summarise_clusters`.

:func:`ingest_dask` loads many monthly files into the store (``hotspots ingest
--engine dask``): one task per file reads, validates and tags it on a worker
(:func:`hotspots.store.ingest.plan_source`, the single-machine ingest's own step);
once every file has been read, this process writes the batches, one
transaction per batch, in file order, so the store equals a single ingest's.

The cluster is a :class:`distributed.LocalCluster` unless a scheduler address
is given (``--scheduler tcp://host:8786`` or the ``HOTSPOTS_DASK_SCHEDULER``
environment variable). The workers need ``hotspots`` installed and must be able
to read the input paths (a shared file system).
"""

from hotspots.distributed.clusters import hotspots_dask, prepare_dask
from hotspots.distributed.engine import SCHEDULER_ENV, DaskPrepared, connect, force_of
from hotspots.distributed.ingest import ingest_dask
from hotspots.distributed.partition import dask_labeller, partitioned_labels

__all__ = [
    "SCHEDULER_ENV",
    "DaskPrepared",
    "connect",
    "dask_labeller",
    "force_of",
    "hotspots_dask",
    "ingest_dask",
    "partitioned_labels",
    "prepare_dask",
]
