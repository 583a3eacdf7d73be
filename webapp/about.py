"""``/about``: what data the app shows: the store's batches (months, sources, counts, last load).

With a store (``HOTSPOTS_STORE``) the page lists every batch loaded and the
boundaries used with their vintage; with files, the files read. The page is
computed once per data version, like every other answer.
"""

from __future__ import annotations

from flask import Blueprint, render_template

from webapp.params import store

bp = Blueprint("about", __name__)

BATCH_COLUMNS = {
    "batch_key": "batch", "source": "source", "month": "month", "file": "file",
    "rows_read": "read", "rows_stored": "stored", "rows_rejected": "rejected",
    "rows_outside": "outside the study area", "loaded_at": "loaded (UTC)",
}  # fmt: skip


def data_status(spec, prepared) -> dict:
    """What ``/about`` shows, for a :class:`~hotspots.loader.DataSpec` and its loaded data.

    Examples
    --------
    >>> from hotspots.loader import DataSpec, load
    >>> status = data_status(DataSpec(), load(DataSpec()))
    >>> status["store"], status["files"][0].endswith("incidents.csv")
    (None, True)
    """
    status = {"store": None, "summary": prepared.summary(), "files": list(prepared.load.files)}
    if not spec.store:
        return status
    from pathlib import Path

    from hotspots.store.address import describe
    from hotspots.store.store import open_store

    with open_store(spec.store, create=False) as opened:
        batches = opened.batches()
        status.update(
            store=f"{describe(spec.store)} ({opened.backend.name})",
            version=opened.version(),
            boundaries=opened.boundaries().fillna("").to_dict("records"),
        )
    batches["file"] = [Path(f).name for f in batches["file_name"]]
    batches["month"] = batches["month"].fillna(
        batches["first_date"].dt.strftime("%Y-%m") + " to " + batches["last_date"].dt.strftime("%Y-%m")
    )
    batches["loaded_at"] = batches["loaded_at"].dt.strftime("%Y-%m-%d %H:%M")
    table = batches[list(BATCH_COLUMNS)].rename(columns=BATCH_COLUMNS)
    status.update(
        batches=table.to_dict("records"),
        columns=list(table.columns),
        last_load=table["loaded (UTC)"].max() if len(table) else None,
        months=sorted(m for m in batches["month"].dropna() if len(m) == 7),
    )
    return status


@bp.route("/about")
def about():
    """The batches loaded (months, sources, counts, last load) or the files read."""
    data = store()
    status = data.cached("about", None, lambda loaded: data_status(data.spec, loaded.prepared))
    return render_template("about.html", status=status)
