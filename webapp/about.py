"""``/about``: what data the app shows: the store's batches (months, sources, counts, last load).

With a store (``HOTSPOTS_STORE``) the page lists every batch loaded and the
boundaries used with their vintage; with files, the files read. The page is
computed once per data version, like every other answer.

Addresses: a database URL is shown through
:func:`hotspots._secrets.redact_address` (its password never reaches a page).
Where the data lives on the server (a store's address, file paths) is for
analysts; viewers, and the no-login demo, see the kind of store and file names.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, render_template

from hotspots._secrets import redact_address
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
    from hotspots.store.store import open_store

    with open_store(spec.store, create=False) as opened:
        batches = opened.batches()
        status.update(
            store=f"{redact_address(spec.store)} ({opened.backend.name})",
            backend=opened.backend.name,
            version=opened.version(),
            boundaries=opened.boundaries().astype(object).fillna("").to_dict("records"),
        )
    batches["file"] = [Path(f).name for f in batches["file_name"]]
    batches["month"] = batches["month"].fillna(
        batches["first_date"].dt.strftime("%Y-%m")
        + " to "
        + batches["last_date"].dt.strftime("%Y-%m")
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


def for_viewers(status: dict) -> dict:
    """``status`` without where the data lives on the server: file names, not paths.

    Examples
    --------
    >>> for_viewers({"store": "/srv/asb.gpkg (GeoPackage)", "backend": "GeoPackage",
    ...              "files": ["/srv/data/2018-10-x-street.csv"], "boundaries": []})
    {'store': 'a GeoPackage store', 'backend': 'GeoPackage', 'files': ['2018-10-x-street.csv'], 'boundaries': []}
    """
    shown = dict(status)
    if shown.get("store"):
        shown["store"] = f"a {status['backend']} store"
    shown["files"] = [Path(f).name for f in status.get("files", [])]
    if "boundaries" in status:
        shown["boundaries"] = [{**b, "file_name": Path(str(b.get("file_name") or "")).name}
                               for b in status["boundaries"]]  # fmt: skip
    return shown


@bp.route("/about")
def about():
    """The batches loaded (months, sources, counts, last load) or the files read."""
    from webapp.auth import may_see_addresses

    data = store()
    status = data.cached("about", None, lambda loaded: data_status(data.spec, loaded.prepared))
    shown = status if may_see_addresses() else for_viewers(status)
    return render_template("about.html", status=shown)
