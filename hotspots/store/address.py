"""Where a store is: its address (a GeoPackage path or a PostGIS URL), shown to people with secrets hidden."""

from __future__ import annotations

import os
from pathlib import Path

from hotspots._errors import HotspotsError
from hotspots._secrets import redact_address

STORE_ENV = "HOTSPOTS_STORE"


DATABASE_ENV = "HOTSPOTS_DATABASE_URL"


class StoreError(HotspotsError):
    """The store cannot be opened or used as asked."""


class StoreEmpty(StoreError):
    """The store holds no incidents yet (nothing has been ingested): not a fault, a fresh start."""


def default_store() -> str:
    """The store used when none is named.

    ``HOTSPOTS_STORE`` (a path or URL), else ``HOTSPOTS_DATABASE_URL`` (PostGIS),
    else ``store.gpkg`` in the user data folder (``~/.local/share/hotspots`` on Linux).

    Examples
    --------
    >>> import os
    >>> os.environ[STORE_ENV] = "/tmp/x.gpkg"; default_store()
    '/tmp/x.gpkg'
    >>> del os.environ[STORE_ENV]
    """
    for name in (STORE_ENV, DATABASE_ENV):
        if os.environ.get(name):
            return os.environ[name]
    from platformdirs import user_data_path

    return str(user_data_path("hotspots") / "store.gpkg")


def is_database_url(target: str | Path) -> bool:
    """True for a ``postgresql://`` (or ``postgres://``) URL."""
    return str(target).startswith(("postgresql://", "postgres://", "postgresql+psycopg://"))


def describe(target: str | Path) -> str:
    """The target for messages, with every password hidden (:func:`hotspots._secrets.redact_address`).

    Examples
    --------
    >>> describe("postgresql://me:secret@localhost/db")
    'postgresql://me:***@localhost/db'
    >>> describe("postgresql://me:p@ss@localhost/db?password=secret")
    'postgresql://me:***@localhost/db?password=***'
    """
    return redact_address(target)
