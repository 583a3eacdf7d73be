"""Offline-first: the map pages load nothing from outside the app, and a standalone map is one file."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import folium
import pytest
from folium.plugins import FastMarkerCluster, HeatMap

from hotspots._errors import HotspotsError
from hotspots.draw.assets import localized_html, standalone_html, vendor_file, vendor_files

LOOPBACK = {"127.0.0.1", "localhost", "::1", None}
# src="...", href="...", and CSS url(...): everything a browser would fetch by itself.
_FETCHED = re.compile(r"""(?:\bsrc|\bhref)\s*=\s*["']([^"']+)["']|url\(\s*["']?([^"')]+)""")


def outside_urls(html: str, *, allowed_hosts: frozenset[str] = frozenset()) -> list[str]:
    """Every fetched URL in ``html`` whose host is neither loopback nor allowed."""
    found = []
    for match in _FETCHED.finditer(html):
        url = match.group(1) or match.group(2)
        if url.startswith(("data:", "#", "about:", "blob:")):
            continue
        host = urlsplit(url.replace("{s}", "a")).hostname
        if host not in LOOPBACK and host not in allowed_hosts:
            found.append(url)
    return found


def test_outside_urls_finds_cdn_links():
    page = (
        '<script src="https://cdn.example/x.js"></script><link href="/static/a.css">'
        "<style>a{background:url(http://evil.example/i.png)}</style>"
    )
    assert outside_urls(page) == ["https://cdn.example/x.js", "http://evil.example/i.png"]


def test_folium_defaults_would_fetch_from_cdns():
    # The check below means something only because folium on its own does fetch from CDNs.
    assert outside_urls(folium.Map(tiles=None).get_root().render())


def test_localized_map_loads_only_local_files():
    m = folium.Map(tiles=None)
    HeatMap([[52.3, -1.9, 1]]).add_to(m)
    FastMarkerCluster([[52.3, -1.9]]).add_to(m)
    html = localized_html(m)
    assert outside_urls(html) == []
    assert "/static/vendor/leaflet/leaflet.js" in html
    assert "/static/vendor/leaflet.markercluster/leaflet.markercluster.js" in html
    assert "/static/vendor/leaflet-heat/leaflet_heat.min.js" in html
    # Leaflet comes before its plugins.
    assert html.index("leaflet/leaflet.js") < html.index("leaflet_heat.min.js")


def test_localizing_leaves_folium_class_defaults_alone():
    before = list(folium.Map.default_js)
    localized_html(folium.Map(tiles=None))
    assert folium.Map.default_js == before


def test_unknown_asset_is_an_error_naming_it():
    m = folium.Map(tiles=None)
    # An instance list: folium's add_js_link would change the class's list for every map.
    m.default_js = [*m.default_js, ("mystery", "https://cdn.example/mystery.js")]
    with pytest.raises(HotspotsError, match="mystery"):
        localized_html(m)


def test_standalone_html_inlines_everything():
    m = folium.Map(tiles=None)
    HeatMap([[52.3, -1.9, 1]]).add_to(m)
    html = standalone_html(m)
    assert "<script src=" not in html and '<link rel="stylesheet"' not in html
    # Leaflet's own code holds a link to its web site (text, not a fetch): look outside scripts.
    outside_scripts = re.sub(r"<script>.*?</script>", "", html, flags=re.DOTALL)
    assert outside_urls(outside_scripts) == []
    assert "L.heatLayer=" in html.replace(" ", "") or "heatLayer" in html
    # Leaflet's CSS images become data: URIs.
    assert "url(data:image/png;base64," in html


def test_vendor_files_are_installed_and_only_those_are_served():
    assert all(path.is_file() for path in vendor_files())
    assert vendor_file("leaflet", "images/layers.png") is not None
    assert vendor_file("leaflet", "leaflet-src.js") is None
    assert vendor_file("leaflet-heat", "pa7_hm.min.js") is None


@pytest.mark.parametrize("tiles", [None, "https://tiles.example.org/{z}/{x}/{y}.png"])
def test_map_pages_fetch_nothing_from_outside(make_app, tiles):
    app = make_app(HOTSPOTS_TILES_URL=tiles, HOTSPOTS_TILES_ATTRIBUTION="Tiles: test")
    client = app.test_client()
    allowed = frozenset({"tiles.example.org"}) if tiles else frozenset()
    for path in ("/map?season=autumn", "/map/frame?season=autumn", "/wards", "/clusters",
                 "/seasonal", "/login"):  # fmt: skip
        response = client.get(path)
        assert response.status_code == 200, (path, response.get_data(as_text=True)[-600:])
        html = response.get_data(as_text=True)
        assert outside_urls(html, allowed_hosts=allowed) == [], path
        css = [client.get(href).get_data(as_text=True)
               for href in re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)]  # fmt: skip
        assert all(outside_urls(text) == [] for text in css), path
    frame = client.get("/map/frame").get_data(as_text=True)
    if tiles:
        assert "tiles.example.org" in frame
        assert "tiles.example.org" in client.get("/map").headers["Content-Security-Policy"]
    else:
        assert "L.tileLayer" not in frame
