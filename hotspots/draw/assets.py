"""The browser files a folium map needs, served locally: no page loads anything from a CDN.

folium writes ``<script src="https://cdn...">`` links for Leaflet, jQuery,
Bootstrap, Font Awesome and its plugins. The maps made by
:mod:`hotspots.draw.webmap` need only Leaflet, Leaflet.markercluster and Leaflet.heat;
those come from packages installed from PyPI with the project
(XStatic-Leaflet, XStatic-Leaflet-MarkerCluster, and the Leaflet.heat copy
that folium itself ships), so nothing is committed and nothing is fetched at
run time. The rest (jQuery, Bootstrap, glyphicons, Font Awesome,
awesome-markers) is dropped: the maps use no icons or Bootstrap widgets.

Two ways out:

* :func:`localized_html` renders a map whose asset links point at the web app's
  ``/static/vendor/...`` URLs;
* :func:`standalone_html` renders one self-contained file with every script
  and stylesheet inlined (images in CSS as ``data:`` URIs), for
  ``hotspots map -o map.html``.

An element whose asset this module does not know raises an error naming it,
so a new plugin can never quietly bring back a CDN link.
"""

from __future__ import annotations

import base64
import functools
import mimetypes
import re
from pathlib import Path

import folium
from branca.element import Element, Figure

from hotspots._errors import HotspotsError

#: The URL the web app serves the vendor libraries under (``/static/vendor/<library>/<file>``).
VENDOR_URL = "/static/vendor"
#: The title of a rendered map page (a map built with a title keeps its own).
MAP_TITLE = "Hotspot map"

#: folium's asset names -> (library, file). Libraries are folders of packages installed
#: from PyPI: XStatic-Leaflet, XStatic-Leaflet-MarkerCluster and folium's own Leaflet.heat.
JS_FILES = {
    "leaflet": ("leaflet", "leaflet.js"),
    "markerclusterjs": ("leaflet.markercluster", "leaflet.markercluster.js"),
    "leaflet-heat.js": ("leaflet-heat", "leaflet_heat.min.js"),
}
CSS_FILES = {
    "leaflet_css": ("leaflet", "leaflet.css"),
    "markerclustercss": ("leaflet.markercluster", "MarkerCluster.css"),
    "markerclusterdefaultcss": ("leaflet.markercluster", "MarkerCluster.Default.css"),
}
#: folium assets the project's maps do not use; left out of every page.
DROPPED = frozenset(
    {
        "jquery",
        "bootstrap",
        "awesome_markers",
        "bootstrap_css",
        "glyphicons_css",
        "awesome_markers_font_css",
        "awesome_markers_css",
        "awesome_rotate_css",
    }
)

_CSS_URL_RE = re.compile(r"url\(\s*(['\"]?)(?!data:|#|['\"]?#)([^'\")]+)\1\s*\)")


@functools.cache
def vendor_dirs() -> dict[str, Path]:
    """Library name (as in the URL) -> the installed folder that holds its files.

    Examples
    --------
    >>> sorted(vendor_dirs())
    ['leaflet', 'leaflet-heat', 'leaflet.markercluster']
    """
    import xstatic.pkg.leaflet as leaflet
    import xstatic.pkg.leaflet_markercluster as markercluster

    return {
        "leaflet": Path(leaflet.BASE_DIR),
        "leaflet.markercluster": Path(markercluster.BASE_DIR),
        "leaflet-heat": Path(folium.__file__).parent / "templates",
    }


def vendor_file(library: str, filename: str) -> Path | None:
    """The installed file behind ``/static/vendor/<library>/<filename>``, or None.

    Only the files a map uses are served (and the images Leaflet's CSS names),
    never anything else from those folders.

    Examples
    --------
    >>> vendor_file("leaflet", "leaflet.js").name, vendor_file("leaflet", "../../secret")
    ('leaflet.js', None)
    """
    allowed = {(lib, name) for lib, name in (*JS_FILES.values(), *CSS_FILES.values())}
    folder = vendor_dirs().get(library)
    if folder is None:
        return None
    if (library, filename) not in allowed and not (
        library == "leaflet" and filename.startswith("images/") and filename.count("/") == 1
    ):
        return None
    path = folder / filename
    return path if path.is_file() else None


def vendor_files() -> list[Path]:
    """Every vendor file the maps load (all must exist once the project is installed).

    Examples
    --------
    >>> all(p.is_file() for p in vendor_files())
    True
    """
    return [vendor_dirs()[lib] / name for lib, name in (*JS_FILES.values(), *CSS_FILES.values())]


def _elements(m: folium.Map):
    """The map and every element below it, parents first."""
    stack = [m]
    while stack:
        element = stack.pop(0)
        yield element
        stack.extend(element._children.values())


def _mapped(
    element, kind: str, table: dict[str, tuple[str, str]]
) -> list[tuple[str, tuple[str, str]]]:
    out = []
    for name, url in getattr(element, kind):
        if name in DROPPED:
            continue
        if name not in table:
            raise HotspotsError(
                f"{type(element).__name__} needs the asset {name!r} ({url}), which "
                f"hotspots.draw.assets does not serve locally; install it from a package registry and "
                f"add it to JS_FILES/CSS_FILES in hotspots/assets.py"
            )
        out.append((name, table[name]))
    return out


def _asset_lists(m: folium.Map) -> tuple[list, list]:
    """Map each element's assets to vendor paths, and clear them from the elements.

    Returns the JS and CSS (name, (library, file)) pairs in load order (Leaflet first).
    """
    js: dict[str, tuple[str, str]] = {}
    css: dict[str, tuple[str, str]] = {}
    for element in _elements(m):
        if not hasattr(element, "default_js"):
            continue
        for name, rel in _mapped(element, "default_js", JS_FILES):
            js.setdefault(name, rel)
        for name, rel in _mapped(element, "default_css", CSS_FILES):
            css.setdefault(name, rel)
        # Instance attributes: the class lists (folium's defaults) are left alone.
        element.default_js = []
        element.default_css = []
    return list(js.items()), list(css.items())


def localized_html(m: folium.Map, *, base_url: str = VENDOR_URL) -> str:
    """Render a map as a full HTML page whose scripts and styles come from ``base_url``.

    Parameters
    ----------
    m : folium.Map
        The map (it is rendered, so it is changed; build a new one per page).
    base_url : str, default "/static/vendor"
        Where the web app serves the libraries (see :func:`vendor_file`).

    Returns
    -------
    str
        The page; no link in it points at a CDN.

    Examples
    --------
    >>> import folium
    >>> html = localized_html(folium.Map(tiles=None))
    >>> "/static/vendor/leaflet/leaflet.js" in html, "cdn.jsdelivr" in html
    (True, False)
    """
    js, css = _asset_lists(m)
    header = m.get_root().header
    for name, (lib, file) in css:
        header.add_child(
            Element(f'<link rel="stylesheet" href="{base_url}/{lib}/{file}"/>'), name=name
        )
    for name, (lib, file) in js:
        header.add_child(Element(f'<script src="{base_url}/{lib}/{file}"></script>'), name=name)
    return _render(m)


def _data_uri(path: Path) -> str:
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _inline_css(path: Path) -> str:
    def repl(match: re.Match[str]) -> str:
        target = (path.parent / match.group(2)).resolve()
        return f"url({_data_uri(target)})" if target.is_file() else match.group(0)

    return _CSS_URL_RE.sub(repl, path.read_text(encoding="utf-8"))


def _read_vendor(lib: str, file: str) -> Path:
    path = vendor_file(lib, file)
    if path is None:
        raise HotspotsError(
            f"the map asset {lib}/{file} is not installed; reinstall the project "
            f"(`make install`, or pip install -e .) to get XStatic-Leaflet and friends"
        )
    return path


def standalone_html(m: folium.Map) -> str:
    """Render a map as one self-contained HTML file: every script and style inlined.

    The file opens from a disk or an e-mail with no network at all (basemap
    tiles excepted, when the map has a tile layer).

    Examples
    --------
    >>> import folium
    >>> html = standalone_html(folium.Map(tiles=None))
    >>> "<script src=" in html, "L.Map" in html or "L.map" in html
    (False, True)
    """
    js, css = _asset_lists(m)
    header = m.get_root().header
    for name, (lib, file) in css:
        text = _inline_css(_read_vendor(lib, file))
        header.add_child(Element(f"<style>\n{text}\n</style>"), name=name)
    for name, (lib, file) in js:
        text = _read_vendor(lib, file).read_text(encoding="utf-8").replace("</script", "<\\/script")
        header.add_child(Element(f"<script>\n{text}\n</script>"), name=name)
    return _render(m)


def _render(m: folium.Map) -> str:
    """The page, in English and with a title (a screen reader names a page, and its frame, by it).

    Examples
    --------
    >>> import folium
    >>> page = _render(folium.Map(tiles=None))
    >>> '<html lang="en">' in page, "<title>Hotspot map</title>" in page
    (True, True)
    """
    root = m.get_root()
    if not isinstance(root, Figure):  # pragma: no cover - folium always gives a Figure
        raise HotspotsError("the map must sit in a branca Figure to be rendered")
    if not root.title:
        root.title = MAP_TITLE
    return root.render().replace("<html>", '<html lang="en">', 1)
