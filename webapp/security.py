"""Security headers on every response, no caching of data pages, secure cookies, login limits.

The Content-Security-Policy allows scripts, styles, images, frames and
connections from this app's own origin only (plus the basemap's tile host for
images when one is configured), so a page cannot load anything from elsewhere
even by mistake. No inline script runs (no ``'unsafe-inline'`` for scripts):
the app's templates have none, and the folium map frame's own inline scripts
are allowed by their SHA-256 hashes (:func:`generated_page_policy`). Inline
styles stay allowed: Leaflet positions map panes and markers with them.
``frame-ancestors 'self'`` and ``X-Frame-Options: SAMEORIGIN`` let the map
page frame ``/map/frame`` while no other site can frame the app.

``HOTSPOTS_SECURE_COOKIES`` (``hotspots serve --secure-cookies``; on by default
when not serving on loopback) marks the session cookie ``Secure``: the browser
then sends it over HTTPS only, and every response carries
``Strict-Transport-Security`` (a year), so the browser uses HTTPS from then on.

:class:`LoginLimiter` counts failed logins per key: :mod:`webapp.auth` uses an
account at a client address, and a client address
(``HOTSPOTS_LOGIN_MAX_FAILURES`` in ``HOTSPOTS_LOGIN_WINDOW_S`` seconds; 5 a
minute by default); beyond that the login answers 429 with ``Retry-After``.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
import threading
import time
from collections import deque
from collections.abc import Sequence
from urllib.parse import urlsplit

from flask import Flask, current_app, request
from flask.wrappers import Response


def tile_source(url: str | None) -> str:
    """The CSP source of a tile URL template (``{s}`` subdomains become ``*``).

    Examples
    --------
    >>> tile_source("https://{s}.tile.example.org/{z}/{x}/{y}.png")
    'https://*.tile.example.org'
    >>> tile_source(None)
    ''
    """
    if not url:
        return ""
    parts = urlsplit(url.replace("{s}", "SUBDOMAIN"))
    if not parts.scheme or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc.replace('SUBDOMAIN', '*')}"


#: An inline ``<script>`` element (one without ``src``) and its text.
_INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script\s*>", re.S | re.I)
#: One year: how long a browser keeps to HTTPS once told (``Strict-Transport-Security``).
HSTS_MAX_AGE_S = 365 * 24 * 3600


@functools.lru_cache(maxsize=16)
def inline_script_hashes(html: str) -> tuple[str, ...]:
    """The CSP hash sources (``'sha256-...'``) of the inline scripts of ``html``, in order.

    For a page the app itself generates (the folium map frame): its own
    inline scripts run, nothing else inline does. Cached per page (a cached
    frame is the same string object each time).

    Examples
    --------
    >>> inline_script_hashes('<script src="/a.js"></script><script>var a = 1;</script>')
    ("'sha256-+dZ6udsWxNVoGfScAq7t5IIF5UJb4F6RhjbN6oe1p4w='",)
    """
    found = []
    for match in _INLINE_SCRIPT.finditer(html):
        digest = base64.b64encode(hashlib.sha256(match.group(1).encode("utf-8")).digest())
        source = f"'sha256-{digest.decode('ascii')}'"
        if source not in found:
            found.append(source)
    return tuple(found)


def content_security_policy(tiles_url: str | None, script_hashes: Sequence[str] = ()) -> str:
    """The Content-Security-Policy header value.

    Scripts come from this origin only; ``script_hashes`` (see
    :func:`inline_script_hashes`) allow a generated page's own inline scripts.
    No ``'unsafe-inline'`` for scripts: an injected inline script does not run.
    """
    tiles = tile_source(tiles_url)
    return "; ".join(
        [
            "default-src 'self'",
            " ".join(["script-src 'self'", *script_hashes]),
            "style-src 'self' 'unsafe-inline'",
            f"img-src 'self' data:{' ' + tiles if tiles else ''}",
            "font-src 'self'",
            "connect-src 'self'",
            "frame-src 'self'",
            "worker-src 'self'",
            "manifest-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'self'",
        ]
    )


class LoginLimiter:
    """Failed logins per key (an account, a client address) in a sliding window.

    Thread-safe; memory is bounded (old entries are dropped, at most
    ``max_keys`` keys are tracked).

    Examples
    --------
    >>> limiter = LoginLimiter(max_failures=2, window_s=60)
    >>> limiter.failed("user:ann", now=0); limiter.failed("user:ann", now=1)
    >>> limiter.retry_after(["user:ann", "addr:10.0.0.1"], now=2)
    58
    >>> limiter.retry_after(["user:ann"], now=61), limiter.retry_after(["user:bob"], now=2)
    (0, 0)
    """

    def __init__(self, *, max_failures: int = 5, window_s: float = 60.0, max_keys: int = 100_000):
        self.max_failures = int(max_failures)
        self.window_s = float(window_s)
        self.max_keys = int(max_keys)
        self._failures: dict[str, deque] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque:
        times = self._failures.get(key)
        if times is None:
            return deque()
        while times and now - times[0] >= self.window_s:
            times.popleft()
        if not times:
            del self._failures[key]
        return times

    def retry_after(self, keys: list[str], *, now: float | None = None) -> int:
        """Seconds until a login may be tried again for all ``keys`` (0: now)."""
        now = time.monotonic() if now is None else now
        wait = 0.0
        with self._lock:
            for key in keys:
                times = self._recent(key, now)
                if len(times) >= self.max_failures:
                    wait = max(wait, times[-self.max_failures] + self.window_s - now)
        return int(wait + 0.999) if wait > 0 else 0

    def failed(self, *keys: str, now: float | None = None) -> None:
        """Count a failed login against each key."""
        now = time.monotonic() if now is None else now
        with self._lock:
            if len(self._failures) >= self.max_keys:  # drop the stalest keys first
                for key in list(self._failures):
                    self._recent(key, now)
                while len(self._failures) >= self.max_keys:
                    del self._failures[next(iter(self._failures))]
            for key in keys:
                times = self._failures.setdefault(key, deque())
                times.append(now)
                while len(times) > self.max_failures:
                    times.popleft()

    def succeeded(self, key: str) -> None:
        """Forget the failures of ``key`` (the account, after a right password)."""
        with self._lock:
            self._failures.pop(key, None)


def login_limiter(app: Flask) -> LoginLimiter:
    """The app's :class:`LoginLimiter`."""
    return app.extensions["hotspots_login_limiter"]


def _tiles_url(app: Flask) -> str | None:
    basemap = app.extensions.get("hotspots_basemap")  # webapp.tiles; a local file is 'self'
    return basemap.url if basemap is not None else app.config.get("HOTSPOTS_TILES_URL")


def generated_page_policy(html: str) -> str:
    """The CSP of a page the app generated whole (the map frame): its inline scripts by hash."""
    return content_security_policy(_tiles_url(current_app), inline_script_hashes(html))


def init_app(app: Flask) -> None:
    """Add the headers to every response of ``app``; set up cookies and the login limiter."""
    policy = content_security_policy(_tiles_url(app))
    secure = bool(app.config.get("HOTSPOTS_SECURE_COOKIES"))
    if secure:
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
    app.extensions["hotspots_login_limiter"] = LoginLimiter(
        max_failures=int(app.config.get("HOTSPOTS_LOGIN_MAX_FAILURES") or 5),
        window_s=float(app.config.get("HOTSPOTS_LOGIN_WINDOW_S") or 60.0),
    )

    @app.after_request
    def _headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", policy)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "geolocation=(), camera=(), microphone=()")
        if secure:  # cookies for HTTPS only: so is the site, for a year (browsers remember)
            headers.setdefault("Strict-Transport-Security", f"max-age={HSTS_MAX_AGE_S}")
        if request.endpoint not in ("static", "vendor.asset"):
            headers.setdefault("Cache-Control", "no-store")
        return response
