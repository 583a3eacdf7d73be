"""Fixtures for the browser tests: a live server, Debian's chromium, a network that stops at loopback.

The app runs under waitress in a background thread on 127.0.0.1 (a free port),
with login required and one viewer account. Chromium is driven through
Playwright (never ``playwright install``: Debian's ``/usr/bin/chromium`` is
used). Every request whose host is not loopback is aborted and recorded, so a
test can assert that a page asked for nothing from outside (offline-first).
Screenshots go to ``tests/artifacts/`` (git-ignored).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
USERNAME = "officer"
PASSWORD = "browser-test-pw-7361"  # a throwaway account in a temp users database
TIMEOUT_MS = 20_000


@dataclass
class LiveServer:
    """The app under waitress on a loopback port."""

    url: str
    app: object

    def __call__(self, path: str) -> str:
        """The absolute URL of ``path`` on this server."""
        return self.url + path


@dataclass
class Network:
    """Requests seen by a browser context: the ones allowed and the ones blocked."""

    allowed: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    #: Console errors in any frame (a Content-Security-Policy refusal is one: the app's own CSP
    #: stops an outside request before it reaches the route gate).
    console_errors: list[str] = field(default_factory=list)
    #: Uncaught JavaScript exceptions.
    page_errors: list[str] = field(default_factory=list)

    #: Responses with an error status, as ``"<status> <url>"``.
    failed: list[str] = field(default_factory=list)

    @property
    def refused(self) -> list[str]:
        """Console errors that say the browser refused to load something (CSP)."""
        return [m for m in self.console_errors if "Refused to" in m]


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is not installed (run `make browser`, as `make test` does)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


_CALL_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Note whether a test's body raised, so the page fixture can keep a screenshot of it."""
    yield
    if call.when == "call":
        item.stash[_CALL_FAILED] = call.excinfo is not None


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app with login required, served by waitress in a thread on 127.0.0.1."""
    from waitress.server import create_server

    from webapp import create_app
    from webapp.users import add_user

    db = tmp_path_factory.mktemp("users") / "users.sqlite"
    add_user(db, USERNAME, PASSWORD, role="viewer")
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "browser-tests-secret",
            "HOTSPOTS_REQUIRE_LOGIN": True,
            "HOTSPOTS_USERS_DB": str(db),
        }
    )
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.effective_port}", app=app)
    finally:
        server.task_dispatcher.shutdown(timeout=5)
        server.close()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def serve() -> Iterator[object]:
    """Start more apps (no login, the demo data) with settings of their own: ``serve(config)``.

    Each runs under waitress on its own loopback port until the session ends.
    """
    from waitress.server import create_server

    from webapp import create_app

    running = []

    def _serve(config: dict) -> LiveServer:
        app = create_app({"TESTING": True, "SECRET_KEY": "browser-tests-secret",
                          "HOTSPOTS_REQUIRE_LOGIN": False, **config})  # fmt: skip
        server = create_server(app, host="127.0.0.1", port=0, threads=4)
        thread = threading.Thread(target=server.run, name="live-server-extra", daemon=True)
        thread.start()
        running.append((server, thread))
        return LiveServer(url=f"http://127.0.0.1:{server.effective_port}", app=app)

    try:
        yield _serve
    finally:
        for server, thread in running:
            server.task_dispatcher.shutdown(timeout=5)
            server.close()
            thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's chromium, headless, launched once for the session."""
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def network() -> Network:
    """What the current test's browser context asked for."""
    return Network()


@pytest.fixture
def page(
    request: pytest.FixtureRequest, browser, network: Network, live_server: LiveServer
) -> Iterator[object]:
    """A page in a fresh context whose requests to any non-loopback host are aborted.

    When the test fails, the page as it was is saved as ``<test name>-failed.png``.
    """

    def gate(route, request) -> None:
        url = request.url
        host = urlsplit(url).hostname
        if url.startswith(("data:", "blob:", "about:")) or host in LOOPBACK:
            network.allowed.append(url)
            route.continue_()
        else:
            network.blocked.append(url)
            route.abort("blockedbyclient")

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    context.route("**/*", gate)
    page = context.new_page()
    page.on(
        "console",
        lambda msg: network.console_errors.append(msg.text) if msg.type == "error" else None,
    )
    page.on("pageerror", lambda error: network.page_errors.append(str(error)))
    page.on(
        "response",
        lambda r: network.failed.append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )
    try:
        yield page
        if request.node.stash.get(_CALL_FAILED, False):
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-failed.png"), full_page=True)
    finally:
        context.close()


@pytest.fixture
def login(page, live_server: LiveServer):
    """Log ``page`` in through the form; returns the function, called with the next path."""

    def _login(next_path: str = "/map") -> None:
        page.goto(live_server(next_path))
        assert "/login" in page.url, f"expected a redirect to the login form, at {page.url}"
        page.fill("input[name=username]", USERNAME)
        page.fill("input[name=password]", PASSWORD)
        with page.expect_navigation():
            page.click("button[type=submit]")
        assert "/login" not in urlsplit(page.url).path, f"login failed, still at {page.url}"

    return _login


@pytest.fixture(scope="session")
def screenshot():
    """Save a full-page screenshot as ``tests/artifacts/<name>.png``; returns its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def _shot(page, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return _shot
