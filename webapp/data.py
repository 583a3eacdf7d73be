"""The web app's answers: the data loaded once per dataset version, answers cached per selection.

:func:`webapp.dataset.spec_from_config` describes the data as the library's
:class:`~hotspots.loader.DataSpec` (the embedded demo by default), and
:func:`hotspots.loader.load` reads it, as for the CLI. :class:`DataStore`
(``app.extensions["hotspots_store"]``) loads it the first time it is needed,
and again only when the *dataset version* changes (a hash of the files' paths,
sizes and modification times, checked at most every ``check_every_s`` seconds).
The hotspots of a period are worked out once per (dataset version, period,
DBSCAN settings) by :func:`hotspots.results.analyse_period` and kept as one
:class:`~hotspots.results.PeriodResult` (with the chance test added to it the
first time a view shows it); every view of the period (borough, focus area,
ward) is a filter of it (:meth:`DataStore.view`). The other answers (ward
layer, the rendered map, tables, profiles, summaries) are computed once per
(dataset version, kind, selection) from those, by :mod:`webapp.results` and
:mod:`hotspots.draw.webmap`, and kept in a bounded LRU cache. Views only call
these methods and render.

Concurrency (:meth:`DataStore.cached`): identical requests for an answer not
yet cached share one computation (single flight: the first computes, the others
wait for its result); the store's lock is never held while computing, so a
cached answer is served while a slow selection is computed; and at most
``compute_workers`` computations run at once (the CPU is not split between
many slow selections; a thread waiting for another's result gives its slot
up), so the server's other threads stay free for ``/healthz`` and cached pages.

Worker processes (``workers``, :class:`hotspots.precompute.Workers`; the app's
default): the heavy answers (each period's result with its trend, chance test and
place patterns, the accuracy sentence, an analyst's own settings) are computed in
worker processes, never in the server's threads (NumPy and pandas hold Python's
GIL: ``/healthz`` would wait). When a version of the data is loaded, every
period's default result is read from the store (kept there by ``hotspots
ingest``, :mod:`hotspots.precompute`) or else computed in the workers (and kept in
the store) before anyone asks. A selection whose period is not ready is asked of
the workers as one task with what its page shows next (its map frame, accuracy
sentence, place patterns, tasking sheet: :func:`webapp.tasks.selection_answer`),
not as one task each; the ward table, the monthly chart, the summary,
the tasking PDF and the panel deck are worked out there too
(:mod:`webapp.tasks`). An answer not ready yet raises :class:`NotReady`
(the page says "computing…" and refreshes itself); a worker that failed or died
raises :class:`ComputeFailed` once (an error page), and the next request tries again.
Without ``workers`` (tests, ``HOTSPOTS_COMPUTE=inline``) the same functions run
in the calling thread.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import os
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator
from concurrent import futures
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager, suppress
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

import hotspots.results as period_results
from hotspots import precompute
from hotspots._errors import HotspotsError
from hotspots.analysis.prepare import Prepared
from hotspots.loader import DataSpec
from hotspots.results import PeriodResult, View
from webapp import mapframe, results, tasks
from webapp.dataset import (
    ComputeFailed,
    DataLoadError,
    Loaded,
    MapOptions,
    NotReady,
    Ready,
    StoreBusy,
    load_roads,
    load_version,
    ready,
)
from webapp.selection import ALL_YEARS, Choices, Selection

log = logging.getLogger(__name__)


def _period_selection(sel: Selection) -> Selection:
    """The selection's period and DBSCAN settings only: the key of its :class:`PeriodResult`."""
    return Selection(sel.fy, sel.season, eps=sel.eps, min_samples=sel.min_samples)


def _default_sel(period: period_results.Period) -> Selection:
    """The whole study area's selection of a period (as the map's selectors make it)."""
    return Selection(period.financial_year or ALL_YEARS, period.season or "all")


def _whole_area(sel: Selection) -> Selection:
    """The selection's period (and settings) over the whole study area, no hotspot in focus."""
    return Selection(sel.fy, sel.season, eps=sel.eps, min_samples=sel.min_samples)


def _frame_kind(sel: Selection, full_places: bool) -> str:
    """The cache kind of a selection's map frame (:meth:`DataStore.map_html`)."""
    kind = "map_html_full" if full_places else "map_html"
    return kind + (f":focus={sel.focus}" if sel.focus is not None else "")


def _previous_hotspots(prepared: Prepared, sel: Selection, params):
    """The hotspots of the window before the selection's period (views' accuracy sentence)."""
    from hotspots.analysis.backtest import previous_window_hotspots

    return previous_window_hotspots(prepared, season=sel.season_filter,
                                    financial_year=sel.financial_year, params=params)  # fmt: skip


class _Flight:
    """One computation in progress; other requests for the same answer wait for it."""

    __slots__ = ("done", "error", "value")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: object = None
        self.error: BaseException | None = None


@dataclass(frozen=True)
class _Job:
    """An answer asked of the workers: its future, since when, and set once it has landed."""

    future: futures.Future
    since: float
    background: bool = False
    landed: threading.Event = dataclasses.field(default_factory=threading.Event)


class DataStore:
    """Loaded data and cached answers for one app.

    Parameters
    ----------
    spec : DataSpec
        The data (from :func:`webapp.dataset.spec_from_config`).
    max_entries : int
        Answers kept in the LRU cache.
    check_every_s : float
        How often (at most) the files are checked for changes.
    eps_m, min_samples
        The app's DBSCAN settings (an analyst's selection may override them).
    map_options : MapOptions
        Basemap and marker cap.
    compute_workers : int, optional
        Computations of uncached answers run at once (default: the CPU count, at most 4).
    max_waiting : int, optional
        Computations that may wait for a slot; one more raises :class:`StoreBusy`
        (so that waiting requests cannot take every server thread). None: no limit.
    workers : hotspots.precompute.Workers, optional
        Worker processes for the heavy answers (see the module notes); None
        computes them in the calling thread.
    wait_s : float
        How long a request waits for an answer being computed in a worker before
        :class:`NotReady` ("computing…") is raised.
    warm : bool
        With workers: make every period's default result and map when a version
        of the data is loaded (:meth:`warm`); False waits until one is asked for.
    """

    def __init__(
        self,
        spec: DataSpec,
        *,
        max_entries: int = 512,
        check_every_s: float = 10.0,
        eps_m: float = 100.0,
        min_samples: int | None = None,
        map_options: MapOptions | None = None,
        compute_workers: int | None = None,
        max_waiting: int | None = None,
        workers: precompute.Workers | None = None,
        wait_s: float = 0.0,
        warm: bool = True,
    ) -> None:
        self.spec = spec
        self.workers = workers
        self.warm_at_load = bool(warm)
        self.wait_s = float(wait_s)
        #: Worker tasks: key -> future; failures not yet shown: key -> message.
        self._jobs: dict[tuple, _Job] = {}
        self._failed: dict[tuple, str | HotspotsError] = {}
        #: Kept answers read from the store at load: (version, period label) -> Answer.
        self._stored: dict[tuple[str, str], precompute.Answer] = {}
        #: Counts: "submitted" worker tasks (by kind too), "stored" answers read at load.
        self.stats: Counter[str] = Counter()
        self.max_entries = max_entries
        self.check_every_s = check_every_s
        self.eps_m = float(eps_m)
        self.min_samples = int(min_samples) if min_samples else None
        self.map_options = map_options or MapOptions()
        self._cache: OrderedDict[tuple, object] = OrderedDict()
        self._lock = threading.RLock()
        self._flights: dict[tuple, _Flight] = {}
        workers = compute_workers or min(4, os.cpu_count() or 1)
        self._slots = threading.BoundedSemaphore(max(1, int(workers)))
        self._local = threading.local()
        self.max_waiting = max_waiting
        self._waiting = 0
        self._version: str | None = None
        self._checked = 0.0
        self._current: Loaded | None = None

    # ------------------------------------------------------------------ loading and caching

    def version(self) -> str:
        """The dataset version (files re-checked at most every ``check_every_s`` seconds)."""
        now = time.monotonic()
        if self._version is None or now - self._checked >= self.check_every_s:
            try:
                self._version = self.spec.version()  # with a store: its version counter
            except HotspotsError as exc:  # a store that cannot be opened: 503 with the reason
                raise DataLoadError(str(exc)) from exc
            self._checked = now
        return self._version

    def loaded(self) -> Loaded:
        """The data of the current version (read again after a file changed; once at a time)."""
        version = self.version()
        current = self._current
        if current is not None and current.version == version:
            return current  # no lock: the common case, while slow answers are computed
        data = self._single_flight(("loaded", version), lambda: self._load_and_warm(version))
        self._current = data
        return data

    def _load_and_warm(self, version: str) -> Loaded:
        """Load a version; with workers, make every period's default result ready (see below)."""
        data = load_version(self.spec, version)
        if self.workers is not None and self.warm_at_load:
            self.warm(data)
        return data

    def warm(self, data: Loaded) -> None:
        """Every period's default result: the store's kept answers, the rest asked of the workers.

        Returns at once: the answers are read (not decoded) from the store, and
        the workers compute (and keep in the store) the others meanwhile.
        """
        settings = self.default_settings()
        frame = mapframe.frame_kind(self.map_options, data.population)
        periods = precompute.default_periods(data.prepared)
        rows: dict[tuple[str, str], bytes] = {}
        with self._lock:  # answers of older versions: never asked for again
            for key in [k for k in self._stored if k[0] != data.version]:
                del self._stored[key]
        if data.store_version is not None:
            try:
                rows = precompute.stored_rows(self.spec, data.store_version,
                                              precompute.settings_key(self.spec, settings))  # fmt: skip
            except HotspotsError as exc:
                log.warning("kept results not read: %s", exc)
            kept = precompute.answers_of(rows)
            with self._lock:
                for label, answer in kept.items():
                    self._stored[(data.version, label)] = answer
                for period in periods:  # the viewers' maps drawn and kept already
                    html = rows.get((period.label, frame))
                    if html is not None and period.label in kept:
                        key = (data.version, "map_html", _default_sel(period).key)
                        self._cache[key] = html.decode()
                        self.stats["stored_frames"] += 1
            self.stats["stored"] += len(kept)
            log.info("%d period result(s) read from the store", len(kept))
        for period in periods:
            sel = _default_sel(period)
            if (data.version, "map_html", sel.key) in self._cache:
                continue
            with suppress(NotReady, ComputeFailed):  # the answer and the viewers' map, made
                self.worked("map_html", sel, mapframe.warm_period, period, settings,
                            options=self.map_options, population=data.population,
                            finish=functools.partial(self._warmed, period.label), data=data,
                            wait=False, background=True)  # fmt: skip

        # Each worker loads the data before it is asked, and draws a map (its first one costs
        # more): the analysts' maps of the latest kept periods, not kept in the store.
        kept = [(p, self._stored.get((data.version, p.label))) for p in periods]
        kept = [(p, answer) for p, answer in kept if answer is not None][: self.workers.processes]
        for period, answer in kept:
            sel = _default_sel(period)
            with suppress(NotReady, ComputeFailed):
                self.worked(_frame_kind(sel, True), sel, mapframe.frame_html, answer, sel,
                            full_places=True, options=self.map_options,
                            population=data.population, data=data, wait=False,
                            background=True)  # fmt: skip
        for _ in range(self.workers.processes - len(kept)):
            self.workers.submit(self.spec, data.version, precompute.periods_of, background=True)

    def _warmed(self, label: str, value: tuple, data: Loaded) -> str:
        """A warm-up task's (answer, map frame): the answer kept as if read from the store."""
        answer, html = value
        with self._lock:
            self._stored[(data.version, label)] = answer
        return html

    def default_settings(self) -> precompute.ResultSettings:
        """How every period's default result is made (the app's DBSCAN settings)."""
        return precompute.ResultSettings(eps_m=self.eps_m, min_samples=self.min_samples)

    # ------------------------------------------------------------------ worker processes

    def worked(self, kind: str, sel: Selection | None, fn: Callable, *args,
               finish: Callable | None = None, data: Loaded | None = None, wait: bool = True,
               background: bool = False, called: str = "the hotspots", **kwargs):  # fmt: skip
        """``fn(context, *args, **kwargs)`` once per (dataset version, ``kind``, selection).

        In a worker process (``finish(value, loaded)``, when given, runs here on
        the answer once it arrives, e.g. decoding it), then kept in the LRU cache;
        without workers, in the calling thread. ``fn`` is looked up by name in the
        worker (a module-level function).

        Raises
        ------
        NotReady
            Being computed (after waiting up to ``wait_s``); ``called`` names it
            on the "computing…" page ("the ward table" of the selection).
        ComputeFailed
            The worker failed or stopped (once; the next call asks again).
        """
        data = data or self.loaded()
        key = (data.version, kind, sel.key if sel is not None else None)
        if self.workers is None:

            def compute() -> object:
                value = fn(self._context(data), *args, **kwargs)
                return finish(value, data) if finish else value

            return self._single_flight(key, compute, keep=True)
        for _ in range(2):
            with self._lock:
                if key in self._cache:
                    self._cache.move_to_end(key)
                    return self._cache[key]
                error = self._failed.pop(key, None)
                job = self._jobs.get(key) if error is None else None
                if error is None and job is None:
                    future = self.workers.submit(self.spec, data.version, fn, *args,
                                                 background=background, **kwargs)  # fmt: skip
                    job = self._jobs[key] = _Job(future, time.monotonic(), background)
                    self.stats["submitted"] += 1
                    self.stats[f"submitted:{kind}"] += 1
                    future.add_done_callback(functools.partial(self._arrived, key, finish, data,
                                                               job))  # fmt: skip
            if isinstance(error, HotspotsError):  # the settings cannot work: 400 with the reason
                raise error
            if error is not None:
                raise ComputeFailed(error)
            if not background:  # a request waits for it: no longer behind the others
                self.workers.hurry(job.future)
            if not (wait and self.wait_s > 0 and job.landed.wait(self.wait_s)):
                break
        label = sel.label if sel is not None else kind
        raise NotReady(label, job.since, called)

    def _arrived(self, key: tuple, finish, data: Loaded, job: _Job, _: futures.Future) -> None:
        """A worker's answer arrived: kept (``finish`` applied), or its failure noted."""
        try:
            self._land(key, finish, data, job)
        finally:
            job.landed.set()

    def _land(self, key: tuple, finish, data: Loaded, job: _Job) -> None:
        try:
            value = job.future.result()
            if finish is not None:
                value = finish(value, data)
        except (precompute.DataMovedOn, futures.CancelledError):  # the next request asks anew
            with self._lock:
                self._jobs.pop(key, None)
            return
        except HotspotsError as exc:
            with self._lock:
                self._jobs.pop(key, None)
                self._failed[key] = exc
            return
        except BaseException as exc:
            if isinstance(exc, BrokenProcessPool) and job.background:
                with self._lock:  # maybe another task's worker died: asked again when wanted
                    self._jobs.pop(key, None)
                return
            if isinstance(exc, BrokenProcessPool):
                message = ("the worker process computing it stopped (killed, or out of "
                           "memory?)")  # fmt: skip
            else:
                message = f"{type(exc).__name__}: {exc}"
            log.error("computing %s failed: %s", key[1], message)
            with self._lock:
                self._jobs.pop(key, None)
                self._failed[key] = message
            return
        with self._lock:
            self._jobs.pop(key, None)
            self._cache[key] = value
            while len(self._cache) > self.max_entries:
                self._cache.popitem(last=False)

    def _context(self, data: Loaded) -> precompute.Context:
        """The loaded data as a worker's :class:`hotspots.precompute.Context` (no workers)."""
        return precompute.Context(self.spec, data.version, data.prepared, data.store_version)

    def computing(self) -> int:
        """Answers being computed in the workers now."""
        with self._lock:
            return len(self._jobs)

    def streets(self, data: Loaded | None = None) -> gpd.GeoDataFrame | None:
        """The streets every map draws: ``HOTSPOTS_ROADS``'s file, else the store's, else None."""
        opts = self.map_options
        if opts.streets_off:
            return None
        if opts.roads is not None:
            st = opts.roads.stat() if opts.roads.exists() else None
            return load_roads(
                self.spec, opts.roads, f"{st.st_size}|{st.st_mtime_ns}" if st else "missing"
            )
        return (data or self.loaded()).streets

    def choices(self) -> Choices:
        """The allowed selection values."""
        return self.loaded().choices

    def cached(self, kind: str, sel: Selection | None, compute: Callable[[Loaded], object]):
        """``compute(loaded)`` once per (dataset version, ``kind``, selection); then the kept answer.

        For views that render something costly from the store's answers (a chart),
        and for other blueprints (the tasking page): pick a ``kind`` of your own.
        Concurrent requests for the same uncached answer share one computation;
        an error is raised to every waiting request and not kept (the next
        request tries again).

        Examples
        --------
        >>> from webapp.dataset import spec_from_config
        >>> store = DataStore(spec_from_config({}))
        >>> calls = []
        >>> [store.cached("demo", None, lambda d: calls.append(1) or len(calls)) for _ in "ab"]
        [1, 1]
        """
        data = self.loaded()
        key = (data.version, kind, sel.key if sel is not None else None)
        return self._single_flight(key, lambda: compute(data), keep=True)

    def _single_flight(self, key: tuple, compute: Callable[[], object], *, keep: bool = False):
        """``compute()``, or the result of the same ``key`` being computed by another thread.

        With ``keep`` the result is kept in the LRU cache (and returned from it).
        """
        with self._lock:
            if keep and key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
            flight = self._flights.get(key)
            leader = flight is None
            if leader:
                flight = self._flights[key] = _Flight()
        if not leader:
            with self._slot_given_up():
                flight.done.wait()
            if flight.error is not None:
                raise flight.error
            return flight.value
        try:
            with self._compute_slot():
                value = compute()
        except BaseException as exc:
            flight.error = exc
            raise
        else:
            flight.value = value
            if keep:
                with self._lock:
                    self._cache[key] = value
                    while len(self._cache) > self.max_entries:
                        self._cache.popitem(last=False)
        finally:
            with self._lock:
                self._flights.pop(key, None)
            flight.done.set()
        return value

    @contextmanager
    def _compute_slot(self) -> Iterator[None]:
        """Hold one of the ``compute_workers`` slots (re-entrant: nested answers share it)."""
        if getattr(self._local, "slot", False):
            yield
            return
        if not self._slots.acquire(blocking=False):
            with self._lock:
                if self.max_waiting is not None and self._waiting >= self.max_waiting:
                    raise StoreBusy(
                        f"{self._waiting} selections are waiting to be computed; try again soon"
                    )
                self._waiting += 1
            try:
                self._slots.acquire()
            finally:
                with self._lock:
                    self._waiting -= 1
        self._local.slot = True
        try:
            yield
        finally:
            self._local.slot = False
            self._slots.release()

    @contextmanager
    def _slot_given_up(self) -> Iterator[None]:
        """Give this thread's slot up while it waits for another's computation."""
        if not getattr(self._local, "slot", False):
            yield
            return
        self._local.slot = False
        self._slots.release()
        try:
            yield
        finally:
            self._slots.acquire()
            self._local.slot = True

    # ------------------------------------------------------------------ answers

    def result(self, sel: Selection, *, tested: bool = False) -> PeriodResult:
        """The selection's period answered once: one :class:`~hotspots.results.PeriodResult`.

        Kept per (dataset version, season, year, DBSCAN settings): every view
        of the period (borough, focus areas, wards) filters this one answer, so
        DBSCAN runs once per period. ``tested`` adds the chance test to the
        same clustering (:func:`hotspots.results.with_chance`), at most once
        per period, the first time a view needs it (the map frame, the hotspot
        table, the API); pages that do not show it never wait for it.
        """
        if self.workers is not None:
            return self.answer(sel).result
        period = _period_selection(sel)
        if tested:
            return self.cached("result_tested", period,
                               lambda d: period_results.with_chance(self.result(period), d.prepared))  # fmt: skip

        def compute(data: Loaded) -> PeriodResult:
            params = results.cluster_params(sel, eps_m=self.eps_m, min_samples=self.min_samples)
            return period_results.analyse_period(data.prepared, results.period_of(sel),
                                                 params=params, chance=False)  # fmt: skip

        return self.cached("result", period, compute)

    def answer_raw(self, sel: Selection, *, data: Loaded | None = None, wait: bool = True,
                   along: tasks.Along | None = None) -> precompute.Answer:  # fmt: skip
        """The selection's period worked out in a worker, as it travels (not decoded).

        The app's settings: the store's kept answer (read at load) or the one the
        load's warm-up made, else asked of the workers (which keep it in the
        store); an analyst's own ``eps`` / ``min_samples``: computed in a worker
        on demand, kept in memory only. Raises :class:`NotReady` until it is ready.

        A period asked of the workers is one task with what ``along`` says the
        page shows next (its map frame, accuracy sentence, place patterns; see
        :func:`webapp.tasks.selection_answer`): those are then ready with it.
        """
        period = _period_selection(sel)
        data = data or self.loaded()
        label = results.period_of(sel).label
        if period.eps is not None or period.min_samples is not None:
            settings = precompute.ResultSettings(
                eps_m=sel.eps if sel.eps is not None else self.eps_m,
                min_samples=sel.min_samples if sel.min_samples is not None else self.min_samples,
                patterns=False,
            )
            return self._cold(sel, settings, kept=False, along=along, data=data, wait=wait)
        kept = self._stored.get((data.version, label))
        if kept is not None:
            return kept
        warming = self._jobs.get((data.version, "map_html", _whole_area(period).key))
        if warming is not None:  # the load's warm-up makes it (with its map): first, and wait
            self.workers.hurry(warming.future)
            if wait and self.wait_s > 0:
                warming.landed.wait(self.wait_s)
            kept = self._stored.get((data.version, label))
            if kept is not None:
                return kept
            if warming.landed.is_set():  # it failed: the period's own task says why
                return self.answer_raw(sel, data=data, wait=wait, along=along)
            raise NotReady(sel.label, warming.since)
        return self._cold(sel, self.default_settings(), kept=True, along=along, data=data,
                          wait=wait)  # fmt: skip

    def _cold(self, sel: Selection, settings: precompute.ResultSettings, *, kept: bool,
              along: tasks.Along | None, data: Loaded, wait: bool) -> precompute.Answer:  # fmt: skip
        """The period's answer asked of the workers as ONE task, with what ``along`` asks for.

        What it made along lands in the cache under the keys its own methods
        look up (:meth:`map_html`, :meth:`accuracy`, :meth:`patterns`, the
        tasking sheet of :mod:`webapp.tasking`), so that none of them is a
        second task queued behind the others.
        """
        along = along or tasks.Along()
        period = _period_selection(sel)
        also = {}
        if along.frame is not None and sel.focus is None:  # a bad focus is the page's 400
            also["frame"] = (data.version, _frame_kind(sel, along.frame), sel.key)
        if along.accuracy and (sel.focus_area or sel.ward_name):
            also["accuracy"] = (data.version, "accuracy", sel.key)
        if along.patterns and not kept:
            also["patterns"] = (data.version, "patterns", period.key)
        if along.sheet and sel.financial_year is not None:
            also["sheet"] = (data.version, "tasking", sel.key)
        along = tasks.Along(accuracy=along.accuracy, frame=along.frame if "frame" in also else None,
                            patterns="patterns" in also, sheet="sheet" in also)  # fmt: skip
        return self.worked("answer", period, tasks.selection_answer, results.period_of(sel),
                           settings, selection=sel, along=along, kept=kept,
                           options=self.map_options, population=data.population,
                           finish=functools.partial(self._answered, also), data=data,
                           wait=wait)  # fmt: skip

    def _answered(self, also: dict[str, tuple], value: tuple, data: Loaded) -> precompute.Answer:
        """A cold selection's task landed: what it made along kept under its own keys."""
        answer, made = value
        with self._lock:
            for name, key in also.items():
                if name in made:
                    self._cache[key] = made[name]
        return answer

    def ask(self, sel: Selection, along: tasks.Along) -> None:
        """Ask for the selection's answer with what a page shows of it (see :meth:`answer_raw`).

        Raises :class:`NotReady` until the answer is ready (then what came
        along with it is too). Without workers, nothing is asked ahead.
        """
        if self.workers is not None:
            self.answer_raw(sel, along=along)

    def answer(self, sel: Selection, *, data: Loaded | None = None, wait: bool = True) -> Ready:
        """:meth:`answer_raw` decoded (once per period, in the first thread that asks for it)."""
        data = data or self.loaded()
        raw = self.answer_raw(sel, data=data, wait=wait)
        key = (data.version, "ready", _period_selection(sel).key)
        return self._single_flight(key, lambda: ready(raw, data), keep=True)

    def view(self, sel: Selection, *, tested: bool = False) -> View:
        """The selection's view (focus area / ward) of its period's result: a filter, kept."""
        return self.cached("view_tested" if tested else "view", sel,
                           lambda d: self.result(sel, tested=tested).view(
                               area=sel.focus_area, ward=sel.ward_name))  # fmt: skip

    def clusters(self, sel: Selection) -> gpd.GeoDataFrame:
        """Hotspots of the view (EPSG:27700) with trend and label (:meth:`view`'s hotspots)."""
        return self.view(sel).hotspots

    def chance(self, sel: Selection) -> pd.DataFrame:
        """The chance test of the selection's period, by ``cluster_id`` (:func:`webapp.results.chance_table`).

        One per (dataset version, season, year, DBSCAN settings), shared by every
        view of the period: the tested result's verdicts.
        """
        period = _period_selection(sel)
        return self.cached("chance", period,
                           lambda d: results.chance_table(self.result(period, tested=True).hotspots))  # fmt: skip

    def tested_clusters(self, sel: Selection) -> gpd.GeoDataFrame:
        """:meth:`clusters` with ``p_value``, ``q_value`` and ``significant`` (the chance test)."""
        return self.view(sel, tested=True).hotspots

    def accuracy(self, sel: Selection) -> dict:
        """How well the previous window's hotspots held this selection's incidents.

        See :func:`hotspots.analysis.backtest.previous_window_accuracy`; an empty dict where
        the data hold no previous window (or either window has no hotspot).
        """

        if self.workers is not None:
            ready = self.answer(sel)
            if not (sel.focus_area or sel.ward_name) and ready.accuracy is not None:
                return ready.accuracy  # None: an analyst's answer made for its map alone
            params = results.cluster_params(sel, eps_m=self.eps_m, min_samples=self.min_samples)
            return self.worked("accuracy", sel, precompute.view_accuracy,
                               results.period_of(sel), area=sel.focus_area, ward=sel.ward_name,
                               params=params, previous=ready.result.previous)  # fmt: skip

        def compute(data: Loaded) -> dict:
            from hotspots.analysis.backtest import previous_window_accuracy

            params = results.cluster_params(sel, eps_m=self.eps_m, min_samples=self.min_samples)
            found = None
            if sel.focus_area or sel.ward_name:  # the previous window clustered once per period
                found = self.cached("previous_window", _period_selection(sel),
                                    lambda d: _previous_hotspots(d.prepared, sel, params))  # fmt: skip
            return previous_window_accuracy(
                data.prepared, season=sel.season_filter, financial_year=sel.financial_year,
                area=sel.focus_area, ward=sel.ward_name, params=params, previous_hotspots=found,
            ) or {}  # fmt: skip

        return self.cached("accuracy", sel, compute)

    def patterns(self, sel: Selection) -> gpd.GeoDataFrame | None:
        """Place patterns over the seasons up to the selection's last (None: fewer than two).

        Cached per dataset version and selection *period* (year, season and the
        DBSCAN settings): every area and ward view of it shares one answer. See
        :func:`hotspots.results.place_patterns_of`.
        """
        period = _period_selection(sel)
        if self.workers is not None:
            result = self.answer(sel).result
            if result.patterns is not None or (sel.eps is None and sel.min_samples is None):
                return result.patterns  # the default results hold them (None: under two seasons)
            params = results.cluster_params(sel, eps_m=self.eps_m, min_samples=self.min_samples)
            known = {result.period.label: result.hotspots} if sel.season_filter else {}
            return self.worked("patterns", period, precompute.place_patterns,
                               results.period_of(sel), params=params, known=known)  # fmt: skip

        def compute(data: Loaded) -> gpd.GeoDataFrame | None:
            params = results.cluster_params(sel, eps_m=self.eps_m, min_samples=self.min_samples)
            # one season's own hotspots are one of the periods: its cached result, not re-clustered
            result = self.result(period) if sel.season_filter else None
            return period_results.place_patterns_of(data.prepared, results.period_of(sel),
                                                    params=params, result=result)  # fmt: skip

        return self.cached("patterns", period, compute)

    def ward_layer(self, sel: Selection) -> gpd.GeoDataFrame:
        """Wards (EPSG:4326) with the selection's counts and rates per 1,000.

        Counted here, from the period's answer's incidents (9-27 ms of CPU at 10^6).
        """
        return self.cached(
            "wards",
            sel,
            lambda d: results.ward_layer(
                d.prepared, sel, population=d.population, incidents=self.result(sel).incidents
            ),
        )

    def ward_table(self, sel: Selection) -> pd.DataFrame:
        """The council's ward table (years up to ``fy``, the selection's season and area).

        Counted in a worker.
        """
        data = self.loaded()
        return self.worked("ward_table", sel, tasks.ward_table, sel, population=data.population,
                           data=data, called="the ward table")  # fmt: skip

    def monthly(self, sel: Selection) -> pd.DataFrame:
        """Incidents by month (Apr..Mar), one column per financial year, for the area."""
        return self.seasonal(sel)[0]

    def seasonal(self, sel: Selection) -> tuple[pd.DataFrame, str]:
        """:meth:`monthly` and its chart (SVG), worked out together in a worker."""
        place = sel.ward_name or sel.focus_area or "whole borough"
        area = Selection(ALL_YEARS, area=sel.area, ward=sel.ward)  # every year and season
        return self.worked("seasonal", area, tasks.seasonal, area,
                           title=f"Incidents by month: {place}",
                           called="the incidents by month")  # fmt: skip

    def summary(self, sel: Selection) -> dict:
        """Counts for ``/api/incidents/summary`` (in a worker, from the period's answer)."""
        if self.workers is None:
            return self.cached(
                "summary", sel, lambda d: results.summary_for(d.prepared, sel, self.view(sel))
            )
        data = self.loaded()
        return self.worked("summary", sel, tasks.summary, self.answer_raw(sel, data=data), sel,
                           data=data, called="the counts")  # fmt: skip

    def focus_geometry(self, sel: Selection):
        """The EPSG:27700 shape a map fits: the hotspot ``focus``, the ward, the area, or None."""
        if sel.focus is not None:
            return results.focus_hull(self.clusters(sel), sel)
        if sel.ward_name or sel.focus_area:
            return self.view(sel).outline
        return None

    def map_html(self, sel: Selection, *, full_places: bool = False) -> str:
        """The folium page of the selection, its scripts served from ``/static/vendor``.

        Unless ``full_places`` (analysts), the hotspot popups' place text is at
        street level (:func:`hotspots.privacy.redact_places`) and the heat and
        incident points are :func:`hotspots.privacy.public_points`: police.uk's
        map points, council cases on a 100 m grid, no point of fewer than
        :data:`hotspots.privacy.MIN_CASES_SHOWN` cases.
        """

        kind = _frame_kind(sel, full_places)
        if self.workers is not None:  # drawn in a worker (seconds of NumPy at 10^6 incidents)
            data = self.loaded()
            raw = self.answer_raw(sel, data=data, along=tasks.Along(frame=full_places))
            return self.worked(kind, sel, mapframe.frame_html, raw, sel, full_places=full_places,
                               options=self.map_options, population=data.population,
                               data=data)  # fmt: skip

        def compute(data: Loaded) -> str:
            view = self.view(sel, tested=True)
            return mapframe.render_map(data.prepared, view, sel, full_places=full_places,
                                       options=self.map_options, streets=self.streets(data),
                                       population=data.population)  # fmt: skip

        return self.cached(kind, sel, compute)
