"""Turn coordinates, grid references and postcodes into points on British National Grid.

Coordinates pass through (longitude/latitude are reprojected with pyproj);
postcodes are looked up in a postcode directory file (OS Code-Point Open or the
ONS Postcode Directory); free-text addresses can go to an online geocoder
through geopy, which is off unless the user asks for it.

A geocoder is any object with a ``geocode(queries)`` method returning, for each
query, an ``(easting, northing)`` pair in EPSG:27700 or ``None``. It is passed
in, so tests use a local one.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

from hotspots._errors import GeocodingError, InputFileError
from hotspots._validate import ANALYSIS_CRS, WEB_CRS, in_bng, transformer

log = logging.getLogger(__name__)


# The UK postcode shape: outward code (A9, A99, AA9, AA99, A9A, AA9A) + inward code (9AA).
_POSTCODE_RE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$")


class Geocoder(Protocol):
    """What the pipeline needs of a geocoder."""

    name: str

    def geocode(self, queries: Sequence[str]) -> list[tuple[float, float] | None]:
        """Return an (easting, northing) in EPSG:27700, or None, for each query."""
        ...


def lonlat_to_bng(lon: Sequence[float], lat: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """Project WGS84 longitude/latitude to British National Grid eastings/northings.

    Parameters
    ----------
    lon, lat : sequence of float
        Degrees (EPSG:4326).

    Returns
    -------
    tuple of numpy.ndarray
        Eastings and northings in metres (EPSG:27700).

    Examples
    --------
    >>> x, y = lonlat_to_bng([-1.940], [52.306])  # Redditch town centre
    >>> round(float(x[0]), -2), round(float(y[0]), -2)
    (404200.0, 267500.0)
    """
    to_bng = transformer(WEB_CRS, ANALYSIS_CRS)
    x, y = to_bng.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.asarray(x), np.asarray(y)


def bng_to_lonlat(x: Sequence[float], y: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """Project British National Grid eastings/northings to WGS84 longitude/latitude.

    Examples
    --------
    >>> lon, lat = bng_to_lonlat([404188], [267544])
    >>> round(float(lon[0]), 2), round(float(lat[0]), 2)
    (-1.94, 52.31)
    """
    to_wgs84 = transformer(ANALYSIS_CRS, WEB_CRS)
    lon, lat = to_wgs84.transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    return np.asarray(lon), np.asarray(lat)


def normalise_postcode(text: object) -> str:
    """Return a postcode in the canonical form ``"B97 4AB"``, or ``""`` if it is not one.

    Spacing, case and one ``-`` or ``.`` between the outward and inward codes
    are ignored: ``"b974ab"``, ``"B97  4AB"``, ``" B97 4ab "`` and ``"B97-4AB"``
    all become ``"B97 4AB"``.

    Examples
    --------
    >>> normalise_postcode("b974ab"), normalise_postcode("B97-4AB"), normalise_postcode("nope")
    ('B97 4AB', 'B97 4AB', '')
    """
    if not isinstance(text, str):
        return ""
    compact = re.sub(r"\s+", "", text).upper()
    if len(compact) > 4 and compact[-4] in "-.":  # "B97-4AB": one separator before the inward code
        compact = compact[:-4] + compact[-3:]
    if not _POSTCODE_RE.match(compact):
        return ""
    return f"{compact[:-3]} {compact[-3:]}"


# Column names of the postcode directories we read: (postcode, easting, northing).
_DIRECTORY_LAYOUTS = (
    ("Postcode", "Eastings", "Northings"),  # OS Code-Point Open with headers
    ("pcds", "oseast1m", "osnrth1m"),  # ONS Postcode Directory
    ("pcd", "oseast1m", "osnrth1m"),
    ("postcode", "easting", "northing"),
)


@dataclass(frozen=True)
class PostcodeDirectory:
    """A postcode look-up built from a Code-Point Open or ONSPD CSV file.

    Use :meth:`from_csv` to build one. Postcodes without a grid reference in the
    directory (Code-Point quality 90, or 0/0 eastings) are left out.
    """

    points: dict[str, tuple[float, float]]
    source: str = "postcode directory"
    name: str = "postcode directory"

    @classmethod
    def from_csv(cls, path: str | Path) -> PostcodeDirectory:
        """Read a postcode directory CSV.

        The header may be Code-Point Open's (``Postcode, Eastings, Northings``), the
        ONS Postcode Directory's (``pcds``/``pcd``, ``oseast1m``, ``osnrth1m``), or
        absent (Code-Point Open's headerless release: postcode, quality, easting,
        northing, ...).

        Examples
        --------
        >>> import io, tempfile, os
        >>> p = os.path.join(tempfile.mkdtemp(), "pc.csv")
        >>> _ = Path(p).write_text("Postcode,Eastings,Northings\\nB97 4AB,404000,267000\\n")
        >>> PostcodeDirectory.from_csv(p).geocode(["b974ab", "ZZ1 1ZZ"])
        [(404000.0, 267000.0), None]
        """
        path = Path(path)
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise InputFileError(
                path, f"cannot be read as a postcode directory ({exc})", "a CSV file"
            ) from None
        cols = {c.strip().lower(): c for c in frame.columns}
        for pc, ea, no in _DIRECTORY_LAYOUTS:
            if pc.lower() in cols and ea.lower() in cols and no.lower() in cols:
                pcs = frame[cols[pc.lower()]]
                xs = frame[cols[ea.lower()]]
                ys = frame[cols[no.lower()]]
                break
        else:
            if frame.shape[1] >= 4 and normalise_postcode(str(frame.columns[0])):
                # Headerless Code-Point Open: the first row was read as a header.
                frame = pd.read_csv(path, dtype=str, keep_default_na=False, header=None)
                pcs, xs, ys = frame[0], frame[2], frame[3]
            else:
                raise InputFileError(
                    path,
                    f"has columns {list(frame.columns)[:10]!r}",
                    "a postcode directory with Postcode/Eastings/Northings (OS Code-Point "
                    "Open) or pcds/oseast1m/osnrth1m (ONS Postcode Directory) columns",
                )
        x = pd.to_numeric(xs, errors="coerce").to_numpy(dtype=float)
        y = pd.to_numeric(ys, errors="coerce").to_numpy(dtype=float)
        keys = [normalise_postcode(p) for p in pcs]
        ok = in_bng(x, y)
        points = {k: (float(a), float(b)) for k, a, b, good in zip(keys, x, y, ok) if k and good}
        if not points:
            raise InputFileError(path, "holds no usable postcodes", "postcodes with eastings")
        log.info("postcode directory %s: %d postcodes", path, len(points))
        return cls(points=points, source=str(path))

    def geocode(self, queries: Sequence[str]) -> list[tuple[float, float] | None]:
        """Look up each postcode; spacing and case do not matter."""
        return [self.points.get(normalise_postcode(q)) for q in queries]


class OnlineGeocoder:
    """Geocode addresses with a geopy geocoder, with a persistent cache and a rate limit.

    Off by default: the pipeline only uses it when the user passes one in. Each
    distinct query is sent once; answers (including "not found") are kept in a
    SQLite cache file, so a re-run sends nothing already asked.

    Parameters
    ----------
    geocoder : object
        A geopy geocoder (for example ``geopy.geocoders.Nominatim(user_agent=...)``),
        or anything with ``geocode(query)`` returning an object with ``latitude``
        and ``longitude`` attributes, or None.
    cache_path : str or Path
        The SQLite cache file; created when missing.
    min_delay_seconds : float, default 1.0
        The least time between two requests (Nominatim's usage policy asks for 1 s),
        kept by geopy's ``RateLimiter``, which also retries a request that failed
        with a geocoder service error (twice, 5 s apart).
    suffix : str, default ", UK"
        Appended to each query to keep answers in the UK.
    """

    name = "online geocoder"

    def __init__(
        self,
        geocoder: object,
        *,
        cache_path: str | Path,
        min_delay_seconds: float = 1.0,
        suffix: str = ", UK",
    ) -> None:
        from geopy.extra.rate_limiter import RateLimiter

        delay = float(min_delay_seconds)
        self._ask_online = RateLimiter(
            geocoder.geocode,  # type: ignore[attr-defined]
            min_delay_seconds=delay,
            max_retries=2,
            error_wait_seconds=max(5.0, delay),
            swallow_exceptions=True,
            return_value_on_exception=None,
        )
        self._suffix = suffix
        self._db = sqlite3.connect(str(cache_path))
        with self._db:
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS geocode (query TEXT PRIMARY KEY, lon REAL, lat REAL)"
            )

    def _ask(self, query: str) -> tuple[float, float] | None:
        row = self._db.execute("SELECT lon, lat FROM geocode WHERE query = ?", (query,)).fetchone()
        if row is not None:
            return None if row[0] is None else (row[0], row[1])
        try:
            found = self._ask_online(query + self._suffix)
        except Exception as exc:  # not a geopy service error: none must lose the batch
            log.warning("online geocoder failed for %r: %s", query, exc)
            return None
        lonlat = None if found is None else (float(found.longitude), float(found.latitude))
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO geocode VALUES (?, ?, ?)",
                (query, *(lonlat if lonlat else (None, None))),
            )
        return lonlat

    def geocode(self, queries: Sequence[str]) -> list[tuple[float, float] | None]:
        """Geocode each address (cached), returning BNG eastings/northings or None."""
        out: list[tuple[float, float] | None] = []
        for q in queries:
            lonlat = self._ask(q.strip()) if isinstance(q, str) and q.strip() else None
            if lonlat is None:
                out.append(None)
                continue
            x, y = lonlat_to_bng([lonlat[0]], [lonlat[1]])
            out.append((float(x[0]), float(y[0])) if in_bng(x, y)[0] else None)
        return out

    def close(self) -> None:
        """Close the cache file."""
        self._db.close()


def geocode_queries(
    queries: pd.Series, geocoder: Geocoder | None, *, what: str = "postcode"
) -> pd.DataFrame:
    """Geocode a column of postcodes or addresses.

    Parameters
    ----------
    queries : pandas.Series of str
        Postcodes or addresses; empty strings are not sent.
    geocoder : Geocoder
        The look-up to use (a :class:`PostcodeDirectory`, an :class:`OnlineGeocoder`,
        or a test's fake).
    what : str
        What the queries are, for messages ("postcode" or "address").

    Returns
    -------
    pandas.DataFrame
        Index-aligned with ``queries``: ``x``, ``y`` (EPSG:27700, NaN when not
        found) and ``matched`` (bool).

    Raises
    ------
    GeocodingError
        If there are queries but no geocoder.

    Examples
    --------
    >>> d = PostcodeDirectory(points={"B97 4AB": (404000.0, 267000.0)})
    >>> geocode_queries(pd.Series(["b97 4ab", "B1 1AA"]), d)["matched"].tolist()
    [True, False]
    """
    texts = queries.fillna("").astype(str)
    wanted = texts.str.strip() != ""
    if wanted.any() and geocoder is None:
        raise GeocodingError(
            f"{int(wanted.sum())} row(s) have a {what} but no coordinates, and no geocoder "
            "was given. Pass a postcode directory (CLI: --postcodes FILE, an OS Code-Point "
            "Open or ONS Postcode Directory CSV) or enable the online geocoder."
        )
    x = np.full(len(texts), np.nan)
    y = np.full(len(texts), np.nan)
    if wanted.any():
        unique = pd.unique(texts[wanted])
        found = dict(zip(unique, geocoder.geocode(list(unique))))  # type: ignore[union-attr]
        for i, (text, want) in enumerate(zip(texts, wanted)):
            hit = found.get(text) if want else None
            if hit is not None:
                x[i], y[i] = hit
    result = pd.DataFrame({"x": x, "y": y}, index=queries.index)
    result["matched"] = result["x"].notna()
    n, hits = int(wanted.sum()), int(result["matched"].sum())
    if n:
        log.info("geocoded %d of %d %ss (%.1f%%)", hits, n, what, 100.0 * hits / n)
    return result
