"""Security headers on every response, and no caching of data pages.

The Content-Security-Policy allows scripts, styles and images from this app
only (plus the basemap's tile host when one is configured), so a page cannot
load anything from elsewhere even by mistake.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, request
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


def content_security_policy(tiles_url: str | None) -> str:
    """The Content-Security-Policy header value."""
    tiles = tile_source(tiles_url)
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self' 'unsafe-inline'",
            "style-src 'self' 'unsafe-inline'",
            f"img-src 'self' data:{' ' + tiles if tiles else ''}",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'self'",
        ]
    )


def init_app(app: Flask) -> None:
    """Add the headers to every response of ``app``."""
    basemap = app.extensions.get("hotspots_basemap")  # webapp.tiles; a local file is 'self'
    tiles_url = basemap.url if basemap is not None else app.config.get("HOTSPOTS_TILES_URL")
    policy = content_security_policy(tiles_url)

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
        if request.endpoint not in ("static", "vendor.asset"):
            headers.setdefault("Cache-Control", "no-store")
        return response
