"""Each dataset's map-point catchments, kept on disk between runs.

The chance test's null model needs every map point's catchment (its Voronoi
cell clipped to the wards, :func:`hotspots.analysis.catchments.catchment_shares`).
They depend only on the data's distinct locations and the wards, cost most of
the test on a large dataset (0.5 s of CPU for 115,614 map points over England
and Wales) and are the same for every command, period and setting. So they are
computed once per dataset and kept in a folder, one ``.npy`` file per
dataset named by a hash of the map points and the study area:

* ``HOTSPOTS_CACHE`` names the folder; unset, ``$XDG_CACHE_HOME/hotspots``
  (``~/.cache/hotspots``); ``HOTSPOTS_CACHE=off`` keeps nothing.
* Each file is written to a temporary name and renamed into place
  (:func:`hotspots.io.write_text`), so a crash never leaves a torn one; a
  file that cannot be read is computed again. Only the newest
  :data:`KEEP_FILES` are kept.
* Nothing in them identifies an incident: shares of the study area per map
  point, in the map points' order.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from hotspots.io import write_text

log = logging.getLogger(__name__)

#: Catchment files kept (the least recently used go first).
KEEP_FILES = 16


def cache_folder(environ: dict | None = None) -> Path | None:
    """The folder catchments are kept in, or None when ``HOTSPOTS_CACHE=off``.

    Examples
    --------
    >>> cache_folder({"HOTSPOTS_CACHE": "/srv/cache"})
    PosixPath('/srv/cache/catchments')
    >>> cache_folder({"HOTSPOTS_CACHE": "off"}) is None
    True
    >>> cache_folder({"XDG_CACHE_HOME": "/x"})
    PosixPath('/x/hotspots/catchments')
    """
    env = os.environ if environ is None else environ
    named = env.get("HOTSPOTS_CACHE", "").strip()
    if named.lower() in ("off", "0", "no", "false"):
        return None
    if named:
        return Path(named) / "catchments"
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hotspots" / "catchments"


class CatchmentFiles:
    """Catchments kept in a folder, one ``<key>.npy`` per dataset (see the module docstring).

    Examples
    --------
    >>> import tempfile
    >>> kept = CatchmentFiles(Path(tempfile.mkdtemp()) / "catchments")
    >>> kept.get("ab12") is None
    True
    >>> kept.put("ab12", np.array([0.25, 0.75]))
    >>> kept.get("ab12").tolist()
    [0.25, 0.75]
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def __repr__(self) -> str:
        return f"CatchmentFiles({str(self.folder)!r})"

    def _path(self, key: str) -> Path:
        if not key.isalnum():
            raise ValueError(f"a catchment key is letters and digits; got {key!r}")
        return self.folder / f"{key}.npy"

    def get(self, key: str) -> np.ndarray | None:
        """The kept catchments of ``key``, or None (never kept, or unreadable)."""
        path = self._path(key)
        try:
            shares = np.load(path, allow_pickle=False)
            os.utime(path)  # recently used: kept longest
        except (OSError, ValueError, EOFError) as exc:
            if path.exists():
                log.warning("catchments %s could not be read (%s): computing them again", path, exc)
            return None
        return shares

    def put(self, key: str, shares: np.ndarray) -> None:
        """Keep ``shares`` under ``key`` (written whole or not at all); a folder that cannot be
        written is logged, not raised: the answer does not depend on it."""
        path = self._path(key)
        try:
            write_text(path, lambda tmp: np.save(tmp, np.asarray(shares, dtype=float),
                                                 allow_pickle=False))  # fmt: skip
            self._trim()
        except OSError as exc:
            log.warning("catchments not kept in %s (%s)", self.folder, exc)

    def _trim(self) -> None:
        files = sorted(self.folder.glob("*.npy"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in files[KEEP_FILES:]:
            old.unlink(missing_ok=True)


def catchment_files(environ: dict | None = None) -> CatchmentFiles | None:
    """The catchment cache this environment asks for (:func:`cache_folder`), or None."""
    folder = cache_folder(environ)
    return CatchmentFiles(folder) if folder is not None else None
