"""Choosing DBSCAN's eps_m and min_samples on a training window (``hotspots tune``)."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from hotspots._errors import ConfigError, HotspotsError
from hotspots.analysis.backtest import OWN, backtest
from hotspots.analysis.cluster import ClusterParams, ClusterWarning
from hotspots.analysis.grid import study_grid
from hotspots.analysis.summaries import find_clusters

#: eps_m values (metres) searched by :func:`tune_params` by default.
EPS_GRID = (50.0, 75.0, 100.0, 125.0, 150.0, 200.0, 250.0, 300.0)


#: min_samples values searched by :func:`tune_params` by default.
MIN_SAMPLES_GRID = (3, 4, 5, 6, 8, 10, 12, 15)


TUNE_METRICS = ("pai", "pei")


def tune_params(
    train: gpd.GeoDataFrame,
    test: gpd.GeoDataFrame,
    study_area: gpd.GeoDataFrame,
    *,
    coverage: float | str = 0.03,
    metric: str = "pai",
    eps_grid: tuple[float, ...] = EPS_GRID,
    min_samples_grid: tuple[int, ...] = MIN_SAMPLES_GRID,
    hull_buffer_m: float = 25.0,
    cell_m: float | None = None,
    progress=None,
) -> pd.DataFrame:
    """Search DBSCAN's ``eps_m`` and ``min_samples`` for the best hotspots of the next window.

    Each pair clusters ``train`` and is scored on ``test`` (:func:`backtest`,
    DBSCAN only) at ``coverage``: a share of the study area (the hulls' cells,
    densest cluster first; a pair whose hulls cannot reach that area is not
    eligible) or ``"own"`` (the hulls themselves; small hulls then score
    high PAI on few incidents, so prefer ``metric="pei"`` there).

    Returns
    -------
    pandas.DataFrame
        One row per pair: ``eps_m``, ``min_samples``, ``clusters``,
        ``area_km2``, ``hit_rate``, ``pai``, ``pei``, ``rri``, ``eligible``,
        best first (eligible pairs by ``metric``, then hit rate; then smaller
        ``eps_m``). ``attrs`` holds ``metric`` and ``coverage``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> wards = gpd.GeoDataFrame(geometry=[box(0, 0, 1000, 1000)], crs=27700)
    >>> def pts(xy):
    ...     return gpd.GeoDataFrame(geometry=gpd.points_from_xy(*np.array(xy, float).T), crs=27700)
    >>> train = pts([[150, 150]] * 4 + [[850, 850]] * 2)
    >>> test = pts([[150, 150]] * 3 + [[850, 850]] * 3)
    >>> best = tune_params(train, test, wards, coverage="own", metric="pei", eps_grid=(50,),
    ...                    min_samples_grid=(2, 3), cell_m=100).iloc[0]
    >>> int(best["min_samples"]), int(best["clusters"]), float(best["hit_rate"])
    (2, 2, 1.0)
    """
    if metric not in TUNE_METRICS:
        raise HotspotsError(f"metric must be one of {list(TUNE_METRICS)!r}; got {metric!r}")
    own = coverage == OWN
    if not own and not (isinstance(coverage, int | float) and 0 < coverage < 1):
        raise HotspotsError(
            f"coverage is a share of the study area (0.03 = 3%) or 'own'; got {coverage!r}"
        )
    grid = study_grid(study_area, cell_m=cell_m)
    pairs = [(float(e), int(m)) for e in eps_grid for m in min_samples_grid]
    rows = []
    for eps_m, min_samples in progress(pairs) if progress else pairs:
        params = ClusterParams(eps_m=eps_m, min_samples=min_samples, hull_buffer_m=hull_buffer_m)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ClusterWarning)  # low min_samples are tried on purpose
            found = find_clusters(train, params=params, study_area_m2=grid.study_area_m2)
        r = backtest(
            train, test, study_area, params=params, grid=grid, clusters=found, methods=("dbscan",),
            coverages=() if own else (float(coverage),), own=own,
        )  # fmt: skip
        rec = r.iloc[0].to_dict() if len(r) else {"area_km2": 0.0, "reached": False}
        rows.append({
            "eps_m": eps_m, "min_samples": min_samples, "clusters": len(found),
            **{k: rec.get(k, float("nan")) for k in ("area_km2", "hit_rate", "pai", "pei", "rri")},
            "eligible": bool(len(found)) and bool(rec.get("reached", False)),
        })  # fmt: skip
    out = pd.DataFrame(rows)
    out = out.sort_values(
        ["eligible", metric, "hit_rate", "eps_m", "min_samples"],
        ascending=[False, False, False, True, True], na_position="last", ignore_index=True,
    )  # fmt: skip
    out.attrs.update(metric=metric, coverage=coverage)
    return out


def write_params(path, params: ClusterParams, *, notes: dict | None = None) -> Path:
    """Write DBSCAN parameters to a TOML file that ``--params`` / ``HOTSPOTS_PARAMS`` read.

    ``notes`` (how the parameters were chosen) go in a ``[tuned]`` table.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "params.toml"
    >>> _ = write_params(p, ClusterParams(eps_m=150, min_samples=4), notes={"metric": "pai"})
    >>> read_params(p)
    ClusterParams(eps_m=150.0, min_samples=4, hull_buffer_m=25.0)
    """

    def value(v) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int | float | np.integer | np.floating):
            return repr(float(v)) if isinstance(v, float | np.floating) else str(int(v))
        return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = [
        "# DBSCAN parameters for hotspots (read by --params FILE and HOTSPOTS_PARAMS).",
        "[dbscan]",
        f"eps_m = {value(float(params.eps_m))}",
    ]
    if params.min_samples is not None:
        lines.append(f"min_samples = {int(params.min_samples)}")
    lines.append(f"hull_buffer_m = {value(float(params.hull_buffer_m))}")
    if notes:
        lines += ["", "[tuned]"]
        lines += [f"{k} = {value(v)}" for k, v in notes.items() if v is not None and v == v]
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def read_params(path) -> ClusterParams:
    """Read DBSCAN parameters written by :func:`write_params` (``hotspots tune -o``).

    The file needs a ``[dbscan]`` table with ``eps_m`` and optionally
    ``min_samples`` and ``hull_buffer_m``.
    """
    import tomllib

    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: parameter file not found; write one with `hotspots tune -o {path.name}`"
        ) from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: not a readable TOML parameter file ({exc})") from None
    table = data.get("dbscan")
    allowed = {"eps_m", "min_samples", "hull_buffer_m"}
    if not isinstance(table, dict) or "eps_m" not in table or set(table) - allowed:
        raise ConfigError(
            f"{path}: expected a [dbscan] table with eps_m (and optionally min_samples, "
            f"hull_buffer_m); found {table!r}. Write one with `hotspots tune -o {path.name}`."
        )
    try:
        return ClusterParams(**{k: table[k] for k in allowed & set(table)}, source=path.name)
    except TypeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
