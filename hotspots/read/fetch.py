"""Downloads from police.uk and the ONS Open Geography Portal (the network, at the edge).

* :func:`fetch_police_uk`: street-level anti-social behaviour for an area and a
  range of months from the police.uk API (``crimes-street`` for a polygon),
  written as one CSV per month in the layout of the police.uk downloads
  (``2024-01-west-mercia-street.csv``), ready for ``hotspots ingest``.
* :func:`fetch_ward_boundaries`: the wards of a local authority district for a
  year from the ONS feature service (``Wards_December_<year>_Boundaries_UK_BGC``),
  written as a GeoPackage with the vintage recorded.
* :func:`fetch_streets`: the named streets of the study area (plus a margin)
  from OpenStreetMap's Overpass API through osmnx, with the attribution
  "© OpenStreetMap contributors" kept in every row.

Every request goes through a :class:`Fetcher`: a polite pause between requests,
retries with exponential back-off on 429 / 5xx / network errors (honouring
``Retry-After``), an on-disk cache of answers, and a :class:`FetchError` naming
the service and what to do when it cannot be reached. The base URLs can be
changed (``--base-url``), which is how the tests point these functions at a
local server: they were tested against that server, not the live services.
Streets go through osmnx (its own polite pause, read from Overpass's
``/status``, and its own cache); ``--overpass-url`` (or ``HOTSPOTS_OVERPASS_URL``)
points it elsewhere.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from hotspots._errors import HotspotsError

log = logging.getLogger(__name__)

POLICE_API = "https://data.police.uk/api"
ONS_API = "https://services1.arcgis.com/ESMARspQHYMw9BZ9/arcgis/rest/services"
OVERPASS_API = "https://overpass-api.de/api"
#: The licence text every map that draws OpenStreetMap streets must show (ODbL).
OSM_ATTRIBUTION = "© OpenStreetMap contributors"
#: OpenStreetMap ``highway`` values fetched as streets: roads, their links, and the
#: pedestrian streets and paths that town centres are made of (named ones are kept).
STREET_HIGHWAYS = ("motorway", "trunk", "primary", "secondary", "tertiary", "unclassified",
                   "residential", "living_street", "pedestrian", "service", "road",
                   "motorway_link", "trunk_link", "primary_link", "secondary_link",
                   "tertiary_link", "footway", "path", "cycleway", "steps", "track")  # fmt: skip
#: police.uk API category slug -> the Crime type of the CSV downloads.
CATEGORY_NAMES = {"anti-social-behaviour": "Anti-social behaviour"}
POLICE_CSV_COLUMNS = ("Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude",
                      "Location", "LSOA code", "LSOA name", "Crime type",
                      "Last outcome category", "Context")  # fmt: skip
_RETRY_STATUS = {429, 500, 502, 503, 504}


class FetchError(HotspotsError):
    """A download failed; the message names the service and the fix."""


@dataclass
class Fetcher:
    """HTTP GET with a pause between requests, retries with back-off, and a cache.

    Parameters
    ----------
    cache_dir : Path, optional
        Where answers are kept (None: no cache). A month's crimes do not change
        once published, so cached answers are used until ``refresh``.
    min_interval_s : float
        At least this long between two requests (police.uk allows 15 a second;
        we ask far less).
    retries : int
        Further tries after a 429, a 5xx or a network error.
    backoff_s : float
        The first wait before a retry; doubled each time (or ``Retry-After``).
    timeout_s : float
        Per request.
    refresh : bool
        Ask again even when an answer is cached.
    """

    cache_dir: Path | None = None
    min_interval_s: float = 0.5
    retries: int = 4
    backoff_s: float = 1.0
    timeout_s: float = 60.0
    refresh: bool = False
    requests_made: int = field(default=0, init=False)
    _last: float = field(default=0.0, init=False, repr=False)

    def _cache_path(self, url: str) -> Path | None:
        if self.cache_dir is None:
            return None
        return Path(self.cache_dir) / (hashlib.sha256(url.encode()).hexdigest()[:32] + ".body")

    def get(self, url: str, *, service: str) -> bytes:
        """The body of ``url`` (from the cache when there).

        Raises
        ------
        FetchError
            When the service cannot be reached or keeps failing after the retries.
        """
        cached = self._cache_path(url)
        if cached is not None and cached.exists() and not self.refresh:
            log.debug("cache hit %s", url)
            return cached.read_bytes()
        from hotspots import __version__

        request = urllib.request.Request(
            url, headers={"User-Agent": f"hotspots/{__version__} (community safety hotspot maps)"}
        )
        problem = ""
        for attempt in range(self.retries + 1):
            wait = self.min_interval_s - (time.monotonic() - self._last)
            if wait > 0:
                time.sleep(wait)
            self._last = time.monotonic()
            self.requests_made += 1
            retry_after = None
            try:
                with urllib.request.urlopen(request, timeout=self.timeout_s) as answer:
                    body = answer.read()
                break
            except urllib.error.HTTPError as exc:
                problem = f"HTTP {exc.code} {exc.reason}"
                if exc.code not in _RETRY_STATUS:
                    raise FetchError(
                        f"{service} answered {problem} for {url}; check the options (force, "
                        "dates, area code and year)"
                    ) from None
                header = exc.headers.get("Retry-After") if exc.headers else None
                retry_after = float(header) if header and header.isdigit() else None
            except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
                reason = getattr(exc, "reason", exc)
                problem = f"cannot connect ({reason})"
            if attempt < self.retries:
                delay = retry_after if retry_after is not None else self.backoff_s * 2**attempt
                log.warning("%s: %s; retrying in %.1f s", service, problem, delay)
                time.sleep(delay)
        else:
            raise FetchError(
                f"{service} could not be reached after {self.retries + 1} tries ({problem}) at "
                f"{urllib.parse.urlsplit(url).netloc}. Check the network connection (are you "
                "offline?) and try again later; answers fetched before are kept in the cache"
            )
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            tmp = cached.with_suffix(".tmp")
            tmp.write_bytes(body)
            tmp.replace(cached)
        return body

    def get_json(self, url: str, *, service: str):
        """:meth:`get`, decoded as JSON (a FetchError when it is not JSON)."""
        body = self.get(url, service=service)
        try:
            return json.loads(body)
        except ValueError:
            cached = self._cache_path(url)
            if cached is not None:
                cached.unlink(missing_ok=True)
            raise FetchError(f"{service} did not answer JSON for {url}: {body[:80]!r}") from None


def default_cache_dir() -> Path:
    """``~/.cache/hotspots/fetch`` (the user cache folder)."""
    from platformdirs import user_cache_path

    return user_cache_path("hotspots") / "fetch"


def months_between(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last`` (``YYYY-MM``), inclusive.

    Examples
    --------
    >>> months_between("2023-11", "2024-02")
    ['2023-11', '2023-12', '2024-01', '2024-02']
    """
    import pandas as pd

    try:
        start, end = pd.Period(first, "M"), pd.Period(last, "M")
    except ValueError:
        raise FetchError(f"months must look like 2024-01; got {first!r} and {last!r}") from None
    if end < start:
        raise FetchError(f"--to {last} is before --from {first}")
    return [str(p) for p in pd.period_range(start, end, freq="M")]


def area_polygon(wards, *, max_points: int = 60) -> list[tuple[float, float]]:
    """The outline of ward boundaries as (latitude, longitude) points for the police.uk API.

    ``wards`` is a boundary file or a GeoDataFrame in EPSG:27700. The convex hull
    of the wards, a little widened, so incidents just outside a ward boundary
    are fetched too (the study area is taken at ingest).

    Examples
    --------
    >>> from boundaries import get_path
    >>> poly = area_polygon(get_path("demo-wards"))
    >>> 3 <= len(poly) <= 60, all(52 < lat < 53 and -2.2 < lon < -1.7 for lat, lon in poly)
    (True, True)
    """
    import geopandas as gpd

    from boundaries import load_wards

    frame = wards if isinstance(wards, gpd.GeoDataFrame) else load_wards(wards)
    hull = frame.to_crs(27700).union_all().convex_hull.buffer(150)

    ring = gpd.GeoSeries([hull.simplify(50)], crs=27700).to_crs(4326).iloc[0].exterior
    coords = list(ring.coords)[:-1]
    if len(coords) > max_points:
        coords = coords[:: -(-len(coords) // max_points)]
    return [(round(lat, 5), round(lon, 5)) for lon, lat in coords]


def _poly_param(polygon: Sequence[tuple[float, float]]) -> str:
    return ":".join(f"{lat},{lon}" for lat, lon in polygon)


def force_name(force: str, *, fetcher: Fetcher, base_url: str = POLICE_API) -> str:
    """The force's name from ``forces/<id>`` ("West Mercia Police"), for the CSV columns."""
    answer = fetcher.get_json(f"{base_url}/forces/{urllib.parse.quote(force)}", service="police.uk")
    if not isinstance(answer, dict) or "name" not in answer:
        raise FetchError(f"police.uk does not know the force {force!r} (e.g. west-mercia)")
    return str(answer["name"])


def police_rows(crimes: list[dict], *, force: str) -> list[dict]:
    """police.uk API crimes as rows of the street-level CSV layout.

    Examples
    --------
    >>> crime = {"category": "anti-social-behaviour", "persistent_id": "", "month": "2024-01",
    ...          "location": {"latitude": "52.306", "longitude": "-1.940",
    ...                       "street": {"id": 1, "name": "On or near Unicorn Hill"}},
    ...          "context": "", "outcome_status": None}
    >>> row = police_rows([crime], force="West Mercia Police")[0]
    >>> row["Crime type"], row["Location"], row["Longitude"], row["Falls within"]
    ('Anti-social behaviour', 'On or near Unicorn Hill', '-1.940', 'West Mercia Police')
    """
    rows = []
    for crime in crimes:
        location = crime.get("location") or {}
        outcome = crime.get("outcome_status") or {}
        rows.append({
            "Crime ID": crime.get("persistent_id") or "",
            "Month": crime.get("month") or "",
            "Reported by": force,
            "Falls within": force,
            "Longitude": location.get("longitude") or "",
            "Latitude": location.get("latitude") or "",
            "Location": (location.get("street") or {}).get("name") or "No Location",
            "LSOA code": "",
            "LSOA name": "",
            "Crime type": CATEGORY_NAMES.get(crime.get("category"), crime.get("category") or ""),
            "Last outcome category": outcome.get("category") or "",
            "Context": crime.get("context") or "",
        })  # fmt: skip
    return rows


def fetch_police_uk(
    *,
    force: str,
    months: Sequence[str],
    polygon: Sequence[tuple[float, float]],
    out_dir: str | Path,
    fetcher: Fetcher,
    base_url: str = POLICE_API,
    category: str = "anti-social-behaviour",
) -> list[Path]:
    """Street-level crimes of one category for an area, one police.uk-layout CSV per month.

    Parameters
    ----------
    force : str
        The police.uk force id (``west-mercia``): names the files and fills
        ``Reported by`` / ``Falls within``.
    months : sequence of str
        ``YYYY-MM`` months.
    polygon : sequence of (lat, lon)
        The area (see :func:`area_polygon`).
    out_dir : path
        Where the CSVs go (``<month>-<force>-street.csv``).
    fetcher : Fetcher
    base_url : str
        The API root (the tests give a local server's).
    category : str
        The API's category slug.

    Returns
    -------
    list of Path
        The files written (each written whole, then renamed into place).
    """
    import csv

    name = force_name(force, fetcher=fetcher, base_url=base_url)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for month in months:
        query = urllib.parse.urlencode({"date": month, "poly": _poly_param(polygon)})
        url = f"{base_url}/crimes-street/{category}?{query}"
        crimes = fetcher.get_json(url, service="police.uk")
        if not isinstance(crimes, list):
            raise FetchError(f"police.uk answered {str(crimes)[:80]!r} for {month}, not a list")
        rows = police_rows(crimes, force=name)
        path = out_dir / f"{month}-{force}-street.csv"
        tmp = path.with_suffix(".csv.tmp")
        with tmp.open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=POLICE_CSV_COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
        tmp.replace(path)
        log.info("%s: %d crimes", path, len(rows))
        written.append(path)
    return written


def ward_service(year: int) -> str:
    """The ONS feature service of the December ward boundaries of ``year`` (generalised, clipped).

    Examples
    --------
    >>> ward_service(2023)
    'Wards_December_2023_Boundaries_UK_BGC'
    """
    return f"Wards_December_{year}_Boundaries_UK_BGC"


def fetch_ward_boundaries(
    *,
    lad: str,
    year: int,
    out_path: str | Path,
    fetcher: Fetcher,
    base_url: str = ONS_API,
    page_size: int = 1000,
) -> Path:
    """The wards of a local authority district, as a GeoPackage (EPSG:27700) with the vintage.

    Asks the feature service's ``query`` for ``LADyyCD = lad`` as GeoJSON, page by
    page (``resultOffset``) while the service says more remain.

    Returns
    -------
    Path
        ``out_path``: layer ``wards`` with the service's columns (``WDyyCD``,
        ``WDyyNM``, ...), ``vintage`` (the year) and ``source`` (the service).
    """
    import geopandas as gpd

    from hotspots.io import write_layer

    yy = f"{year % 100:02d}"
    service = ward_service(year)
    features: list[dict] = []
    offset = 0
    while True:
        query = urllib.parse.urlencode({
            "where": f"LAD{yy}CD='{lad}'", "outFields": "*", "outSR": "4326", "f": "geojson",
            "resultOffset": offset, "resultRecordCount": page_size,
        })  # fmt: skip
        url = f"{base_url}/{service}/FeatureServer/0/query?{query}"
        answer = fetcher.get_json(url, service="the ONS Open Geography Portal")
        if "error" in answer:
            raise FetchError(
                f"the ONS Open Geography Portal answered {answer['error']!r} for {service}: check "
                "--year (December boundaries exist for 2015 onwards)"
            )
        page = answer.get("features") or []
        features += page
        more = answer.get("exceededTransferLimit") or (answer.get("properties") or {}).get(
            "exceededTransferLimit"
        )
        if not page or not more:
            break
        offset += len(page)
    if not features:
        raise FetchError(
            f"no wards of {lad!r} in {service}: check --lad (e.g. E07000236) and --year"
        )
    frame = gpd.GeoDataFrame.from_features(features, crs="EPSG:4326").to_crs(27700)
    frame["vintage"] = str(year)
    frame["source"] = f"ONS Open Geography Portal: {service}"
    frame = frame.drop_duplicates(
        subset=[c for c in frame.columns if c.upper() == f"WD{yy}CD"] or None
    )
    write_layer(frame, Path(out_path), layer_name="wards")
    return Path(out_path)


def study_area_outline(wards, *, margin_m: float = 300.0):
    """The wards' outline widened by ``margin_m``, simplified, in EPSG:4326 (a shapely polygon).

    Examples
    --------
    >>> from boundaries import get_path
    >>> outline = study_area_outline(get_path("demo-wards"))
    >>> outline.geom_type, -2.2 < outline.bounds[0] < outline.bounds[2] < -1.7
    ('Polygon', True)
    """
    import geopandas as gpd

    from boundaries import load_wards

    frame = wards if isinstance(wards, gpd.GeoDataFrame) else load_wards(wards)
    area = frame.to_crs(27700).union_all().buffer(margin_m).simplify(25)
    if area.geom_type != "Polygon":  # wards in pieces: one outline around them all
        area = area.convex_hull
    return gpd.GeoSeries([area], crs=27700).to_crs(4326).iloc[0]


def _overpass_pause(overpass_url: str, *, timeout_s: float = 15.0) -> float | None:
    """Seconds to wait before asking Overpass (its ``/status``), or None when it cannot be reached.

    0 when a slot is free (or the server has no ``/status``); the wait it
    announces otherwise, at most two minutes.
    """
    import re

    from hotspots import __version__

    request = urllib.request.Request(
        overpass_url.rstrip("/") + "/status",
        headers={"User-Agent": f"hotspots/{__version__} (community safety hotspot maps)"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as answer:
            text = answer.read(4096).decode("utf-8", "replace")
    except urllib.error.HTTPError:
        return 0.0  # a mirror without /status
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError):
        return None
    if re.search(r"^\d+ slots? available now", text, re.MULTILINE):
        return 0.0
    waits = [int(s) for s in re.findall(r"in (-?\d+) seconds", text)]
    return float(min(max(min(waits), 1), 120)) if waits else 0.0


@contextmanager
def _osmnx_settings(*, overpass_url: str, cache_dir: Path | None, refresh: bool) -> Iterator:
    """osmnx's module settings for one fetch, put back afterwards (the web app shares the process)."""
    import socket

    import osmnx as ox

    from hotspots import __version__

    names = ("overpass_url", "use_cache", "cache_folder", "doh_url_template", "http_user_agent",
             "log_console", "requests_timeout", "overpass_rate_limit")  # fmt: skip
    before = {name: getattr(ox.settings, name) for name in names}
    getaddrinfo = socket.getaddrinfo  # osmnx pins the host's address by patching this
    ox.settings.overpass_url = overpass_url
    ox.settings.use_cache = cache_dir is not None and not refresh
    ox.settings.cache_folder = str(cache_dir) if cache_dir is not None else before["cache_folder"]
    ox.settings.doh_url_template = None  # never ask a public DNS-over-HTTPS service
    ox.settings.http_user_agent = f"hotspots/{__version__} (community safety hotspot maps)"
    ox.settings.log_console = False
    ox.settings.requests_timeout = 180
    ox.settings.overpass_rate_limit = False  # the pause is read here first (_overpass_pause)
    try:
        yield ox
    finally:
        for name, value in before.items():
            setattr(ox.settings, name, value)
        socket.getaddrinfo = getaddrinfo


def fetch_streets(
    wards,
    *,
    overpass_url: str = OVERPASS_API,
    cache_dir: str | Path | None = None,
    refresh: bool = False,
    margin_m: float = 300.0,
):
    """The named streets of the study area plus a margin, from OpenStreetMap (Overpass, osmnx).

    Parameters
    ----------
    wards : path or GeoDataFrame
        Ward boundaries: their outline, widened by ``margin_m``, is the area asked for.
    overpass_url : str
        The Overpass API root (osmnx posts to ``<root>/interpreter`` after reading
        ``<root>/status``); the tests give a local server's.
    cache_dir : path, optional
        Where answers are kept (osmnx's cache: the same question is not asked
        twice). None: no cache.
    refresh : bool
        Ask again even when an answer is cached (the new answer is cached).
    margin_m : float
        Streets this far outside the wards are fetched too (labels near the edge).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per OpenStreetMap way with a name or a road number: ``osm_id``,
        ``name``, ``ref``, ``highway``, ``attribution`` ("© OpenStreetMap
        contributors"), line geometry in EPSG:27700. :func:`hotspots.read.roads.read_roads`
        reads it back.

    Raises
    ------
    FetchError
        Overpass cannot be reached (offline: the message names ``--roads``, the
        way to give streets from a file), answers an error, or has no streets there.
    """
    import geopandas as gpd
    import pandas as pd

    area = study_area_outline(wards, margin_m=margin_m)
    host = urllib.parse.urlsplit(overpass_url).netloc or overpass_url
    pause = _overpass_pause(overpass_url)  # None offline: a cached answer may still do
    with _osmnx_settings(overpass_url=overpass_url, cache_dir=Path(cache_dir) if cache_dir else None,
                         refresh=refresh) as ox:  # fmt: skip
        import requests
        from osmnx._errors import InsufficientResponseError, ResponseStatusCodeError

        if pause:
            log.info("Overpass asks for a pause of %.0f s", pause)
            time.sleep(pause)
        try:
            # One query for every highway way (three parts: a value list would be one a value).
            found = ox.features_from_polygon(area, tags={"highway": True})
        except requests.exceptions.RequestException as exc:
            reason = type(exc).__name__ if isinstance(exc, requests.ConnectionError) else exc
            raise FetchError(
                f"OpenStreetMap's Overpass API at {host} cannot be reached ({reason}): check "
                "the network, or give the streets from a file with --roads FILE (an "
                "OpenStreetMap extract .osm.pbf, or OS Open Roads)"
            ) from None
        except InsufficientResponseError as exc:
            if "No matching features" in str(exc):
                raise FetchError(
                    f"OpenStreetMap has no streets in the study area (Overpass at {host}): "
                    "check --wards"
                ) from None
            raise FetchError(
                f"OpenStreetMap's Overpass API at {host} gave no usable answer ({exc}); try "
                "again later, or give the streets with --roads FILE"
            ) from None
        except ResponseStatusCodeError as exc:
            raise FetchError(
                f"OpenStreetMap's Overpass API at {host} answered an error "
                f"({str(exc)[:120]}); try again later, or give the streets with --roads FILE"
            ) from None
    found = found[found.geom_type.isin(["LineString", "MultiLineString"])]
    if "highway" in found:
        found = found[found["highway"].isin(STREET_HIGHWAYS)]
    columns = {c: found[c] if c in found else pd.Series(None, index=found.index, dtype=object)
               for c in ("name", "ref", "highway")}  # fmt: skip
    named = columns["name"].notna() | columns["ref"].notna()
    ids = [f"{kind}/{osm_id}" for kind, osm_id in found.index] if found.index.nlevels == 2 else (
        found.index.astype(str))  # fmt: skip
    streets = gpd.GeoDataFrame(
        {
            "osm_id": ids,
            "name": columns["name"].fillna("").astype(str).to_numpy(),
            "ref": columns["ref"].fillna("").astype(str).to_numpy(),
            "highway": columns["highway"].fillna("").astype(str).to_numpy(),
            "attribution": OSM_ATTRIBUTION,
        },
        geometry=found.geometry.to_numpy(),
        crs=found.crs or "EPSG:4326",
    )[named.to_numpy()]
    if streets.empty:
        raise FetchError(
            f"OpenStreetMap has no named streets in the study area (Overpass at {host})"
        )
    streets = streets.to_crs(27700).sort_values(["name", "osm_id"], ignore_index=True)
    log.info("streets: %d named ways from Overpass at %s", len(streets), host)
    return streets
