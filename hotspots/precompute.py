"""Answers ready before anyone asks: every period's result computed in worker processes.

What every visitor will want is the default result of each period: every
financial year (and all years) by every season (and all seasons), the whole
study area, the app's DBSCAN settings, with trend, chance test and place
patterns (:func:`hotspots.results.analyse_period`). :func:`precompute` works
them out when data arrives (``hotspots ingest``) and keeps them in the store
with the store version they were made from (:mod:`hotspots.store.results_cache`);
the web app does the same at its load for whatever the store does not hold, and
reads them back instead of computing (:func:`stored_answers`).

Every computation runs in a worker process (:class:`Workers`: a
:class:`concurrent.futures.ProcessPoolExecutor` started with ``forkserver``),
never in the caller's threads: NumPy and pandas hold Python's GIL for long
stretches, and a web server's threads must keep answering. A worker loads the
data once per data version (:func:`context`) and answers any number of tasks:
:func:`run` calls ``fn(context, *args)`` there. Answers travel as bytes
(:func:`hotspots.results.encode_result`), decoded on the caller's own copy of
the same data.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from hotspots._errors import HotspotsError
from hotspots.analysis.cluster import ClusterParams
from hotspots.analysis.prepare import Prepared
from hotspots.analysis.seasons import SEASONS
from hotspots.loader import DataSpec, load
from hotspots.results import RESULT_FORMAT, Period, analyse_period, decode_result, encode_result

log = logging.getLogger(__name__)

#: The kinds of answer kept per period (:mod:`hotspots.store.results_cache`).
RESULT, ACCURACY = "result", "accuracy"
#: A web server's worker processes run below its priority (its request threads come first).
SERVER_NICENESS = 5


class DataMovedOn(HotspotsError):
    """The data changed while a worker loaded it: the task asked for an older version."""


@dataclass(frozen=True)
class ResultSettings:
    """How the default results are made: DBSCAN settings, chance test and place patterns.

    Examples
    --------
    >>> ResultSettings(eps_m=80).cluster_params()
    ClusterParams(eps_m=80.0, min_samples=None, hull_buffer_m=25.0)
    """

    eps_m: float = 100.0
    min_samples: int | None = None
    source: str = ""
    chance: bool = True
    n_sim: int | None = None
    patterns: bool = True

    def cluster_params(self) -> ClusterParams:
        """The DBSCAN settings (``min_samples=None``: chosen per period)."""
        return ClusterParams(eps_m=float(self.eps_m), min_samples=self.min_samples,
                             source=self.source)  # fmt: skip


@dataclass(frozen=True)
class Context:
    """One data version, loaded in a worker (or in the caller, for the synchronous path)."""

    spec: DataSpec
    version: str
    prepared: Prepared
    #: The store's version counter the data was read at (None: files).
    store_version: int | None = None


def settings_key(spec: DataSpec, settings: ResultSettings) -> str:
    """What a kept result depends on besides the store's data, as a short hash.

    Crime types, other boundaries than the stored ones (their contents), the
    ward tolerance, the settings and the result layout with the hotspots version.

    Examples
    --------
    >>> a = settings_key(DataSpec(store="s.gpkg"), ResultSettings())
    >>> a == settings_key(DataSpec(store="elsewhere.gpkg"), ResultSettings()), len(a)
    (True, 16)
    >>> a == settings_key(DataSpec(store="s.gpkg"), ResultSettings(eps_m=80))
    False
    """
    from hotspots import __version__

    def checksum(path: Path | None) -> str | None:
        if path is None:
            return None
        try:
            return hashlib.sha256(Path(path).read_bytes()).hexdigest()
        except OSError:
            return f"missing {path}"

    described = {
        "format": RESULT_FORMAT,
        "hotspots": __version__,
        "crime_types": sorted(spec.crime_types) if spec.crime_types is not None else None,
        "wards": checksum(spec.wards),
        "areas": checksum(spec.areas),
        "tolerance_m": spec.tolerance_m,
        "settings": dataclasses.asdict(settings),
    }
    return hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()[:16]


def default_periods(prepared: Prepared) -> list[Period]:
    """Every period a visitor may pick, the app's first page first.

    Each financial year, latest first, then all years; within each, all
    seasons then each season.

    Examples
    --------
    >>> from hotspots.loader import DataSpec, load
    >>> periods = default_periods(load(DataSpec()))
    >>> len(periods), periods[0].label, periods[1].label, periods[-1].label
    (15, 'all seasons 2018-19', 'winter 2018-19', 'autumn all years')
    """
    years = sorted(prepared.incidents["financial_year"].astype(str).unique(), reverse=True)
    return [Period(season, year) for year in [*years, None] for season in [None, *SEASONS]]


# --------------------------------------------------------------------------- in a worker

_CONTEXTS: OrderedDict[tuple[DataSpec, str], Context] = OrderedDict()
_CONTEXT_LOCK = threading.Lock()


def store_version(spec: DataSpec) -> int | None:
    """The store's version counter (None without a store)."""
    if not spec.store:
        return None
    from hotspots.store.store import open_store

    with open_store(spec.store, create=False) as store:
        return store.version()


def context(spec: DataSpec, version: str, *, keep: int = 1) -> Context:
    """The data of ``version``, loaded once per process (the last ``keep`` versions kept).

    Raises
    ------
    DataMovedOn
        When the data is no longer at ``version`` (an ingest since the task was asked for).
    """
    key = (spec, version)
    with _CONTEXT_LOCK:
        if key in _CONTEXTS:
            _CONTEXTS.move_to_end(key)
            return _CONTEXTS[key]
        for _ in range(3):  # an ingest between reading the version and the data: again
            before = store_version(spec)
            now = spec.version()
            if now != version:
                raise DataMovedOn(f"the data is at version {now}, not {version}")
            prepared = load(spec)
            if store_version(spec) == before:
                break
        else:
            raise DataMovedOn("the store kept changing while it was read")
        found = _CONTEXTS[key] = Context(spec, version, prepared, before)
        while len(_CONTEXTS) > keep:
            _CONTEXTS.popitem(last=False)
        return found


def run(spec: DataSpec, version: str, fn: Callable, *args, **kwargs):
    """In a worker: ``fn(context(spec, version), *args, **kwargs)``."""
    return fn(context(spec, version), *args, **kwargs)


@dataclass(frozen=True)
class Answer:
    """A period's answer as it travels: the result's bytes, and the borough's accuracy sentence."""

    result: bytes
    #: The accuracy sentence ({}: the data hold no previous window; None: not worked out).
    accuracy: dict | None = None
    #: True when it was read from the store, not computed.
    stored: bool = False


def _accuracy_bytes(accuracy: dict | None) -> bytes:
    return json.dumps(accuracy).encode()


def compute_period(ctx: Context, period: Period, settings: ResultSettings, *,
                   accuracy: bool = True) -> Answer:  # fmt: skip
    """A period's result for the whole study area, and the accuracy of the window before.

    :func:`hotspots.results.analyse_period` with the settings' chance test and
    place patterns, and (``accuracy``; else left None)
    :func:`hotspots.analysis.backtest.previous_window_accuracy` for the whole
    study area.
    """
    from hotspots.analysis import significance
    from hotspots.analysis.backtest import previous_window_accuracy

    params = settings.cluster_params()
    n_sim = significance.N_SIM if settings.n_sim is None else settings.n_sim
    result = analyse_period(ctx.prepared, period, params=params, chance=settings.chance,
                            patterns=settings.patterns, n_sim=n_sim)  # fmt: skip
    if not accuracy:
        return Answer(encode_result(result))
    found = previous_window_accuracy(ctx.prepared, season=period.season,
                                     financial_year=period.financial_year, params=params)  # fmt: skip
    return Answer(encode_result(result), found or {})


def period_answer(ctx: Context, period: Period, settings: ResultSettings, *, keep: bool) -> Answer:
    """A default period's answer: the store's when it keeps one, else computed (and kept).

    ``keep``: keep what is computed in the store (when the data is a store and
    still at the version it was read at; see
    :func:`hotspots.store.results_cache.keep_result`).
    """
    key = settings_key(ctx.spec, settings)
    if ctx.store_version is not None:
        stored = stored_answers(ctx.spec, ctx.store_version, key)
        if period.label in stored:
            return stored[period.label]
    answer = compute_period(ctx, period, settings)
    if keep and ctx.store_version is not None:
        _keep(ctx, key, period, answer)
    return answer


def _keep(ctx: Context, key: str, period: Period, answer: Answer) -> None:
    from hotspots.store.results_cache import keep_result
    from hotspots.store.store import open_store

    try:
        with open_store(ctx.spec.store, create=False) as store:
            keep_result(store, data_version=ctx.store_version, settings=key,
                        period=period.label, data=answer.result)  # fmt: skip
            keep_result(store, data_version=ctx.store_version, settings=key,
                        period=period.label, data=_accuracy_bytes(answer.accuracy),
                        kind=ACCURACY)  # fmt: skip
    except Exception as exc:  # a read-only store: the answer is still served, not kept
        log.warning("result of %s not kept in the store: %s", period.label, exc)


def stored_answers(spec: DataSpec, store_version: int, key: str) -> dict[str, Answer]:
    """The store's kept answers for ``key`` at ``store_version``, by period label.

    Only periods with both a result and an accuracy row are given.
    """
    return answers_of(stored_rows(spec, store_version, key))


def answers_of(rows: dict[tuple[str, str], bytes]) -> dict[str, Answer]:
    """The answers among kept rows (:func:`stored_rows`), by period label."""
    out = {}
    for (period, kind), data in rows.items():
        if kind == RESULT and (period, ACCURACY) in rows:
            accuracy = json.loads(rows[(period, ACCURACY)].decode())
            out[period] = Answer(data, accuracy, stored=True)
    return out


def stored_rows(spec: DataSpec, store_version: int, key: str) -> dict[tuple[str, str], bytes]:
    """Every kept row of ``key`` at ``store_version``: (period label, kind) -> bytes."""
    from hotspots.store.results_cache import stored_results
    from hotspots.store.store import open_store

    with open_store(spec.store, create=False) as store:
        return stored_results(store, data_version=store_version, settings=key)


def keep_extra(ctx: Context, settings: ResultSettings, period: Period, kind: str,
               data: bytes) -> None:  # fmt: skip
    """Keep another answer of a period (a drawn map) beside its result, when the data is a store."""
    from hotspots.store.results_cache import keep_result
    from hotspots.store.store import open_store

    if ctx.store_version is None:
        return
    try:
        with open_store(ctx.spec.store, create=False) as store:
            keep_result(store, data_version=ctx.store_version, settings=settings_key(ctx.spec, settings),
                        period=period.label, data=data, kind=kind)  # fmt: skip
    except Exception as exc:  # a read-only store: served, not kept
        log.warning("%s of %s not kept in the store: %s", kind, period.label, exc)


def periods_of(ctx: Context) -> list[Period]:
    """:func:`default_periods` of a worker's data."""
    return default_periods(ctx.prepared)


def decoded(answer: Answer, prepared: Prepared):
    """The :class:`~hotspots.results.PeriodResult` of an answer, on the caller's data."""
    return decode_result(answer.result, prepared)


# --------------------------------------------------------------------------- the workers


def _init_worker(niceness: int, owner: int) -> None:
    """A worker: ``niceness`` below the caller's priority, Ctrl+C left to the caller, and gone
    when the process that started it is (a server stopped with SIGTERM or SIGKILL leaves no
    worker holding its data behind; the forkserver then ends too)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if niceness:
        with contextlib.suppress(OSError):  # not allowed here: as it is
            os.nice(niceness)
    threading.Thread(target=_exit_with, args=(owner,), name="owner-watch", daemon=True).start()


def _exit_with(owner: int, every_s: float = 1.0) -> None:
    """Exit this process once ``owner`` has ended."""
    while True:
        time.sleep(every_s)
        try:
            os.kill(owner, 0)
        except ProcessLookupError:
            os._exit(0)
        except PermissionError:  # alive, someone else's (cannot happen for our owner)
            pass


class Workers:
    """A pool of worker processes, started when first used and again after one died.

    Tasks asked for now (a request waits) go to the pool at once; ``background``
    tasks (every period's default result, at load) at most ``processes`` at a
    time, so that a request's task waits for at most one running task per
    worker, not for the whole queue; :meth:`hurry` sends a waiting one at once.
    Asking for a background task never waits for the processes to start.

    Parameters
    ----------
    processes : int
        Worker processes (each loads the data once).
    niceness : int
        How far below this process's priority they run (:data:`SERVER_NICENESS`
        for a web server, whose request threads must come first).
    preload : tuple of str
        Modules the tasks use, imported once where the workers are started
        from (the forkserver), so that no worker's first task pays for them.

    Examples
    --------
    >>> workers = Workers(1)
    >>> workers.submit(DataSpec(), DataSpec().version(), periods_of).result()[0].label
    'all seasons 2018-19'
    >>> workers.shutdown()
    """

    def __init__(self, processes: int, *, niceness: int = 0, preload: tuple[str, ...] = ()) -> None:
        self.processes = max(1, int(processes))
        self.niceness = int(niceness)
        self.preload = tuple(preload)
        self._pool: ProcessPoolExecutor | None = None
        #: The pool (starting it waits for the forkserver's imports); the waiting tasks.
        self._pool_lock = threading.Lock()
        self._lock = threading.RLock()
        self._waiting: OrderedDict[Future, tuple] = OrderedDict()
        self._running_background = 0

    def _new(self) -> ProcessPoolExecutor:
        method = (
            "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
        )
        mp = multiprocessing.get_context(method)
        if method == "forkserver":
            mp.set_forkserver_preload(["hotspots.precompute", *self.preload])
        return ProcessPoolExecutor(self.processes, mp_context=mp, initializer=_init_worker,
                                   initargs=(self.niceness, os.getpid()))  # fmt: skip

    def submit(self, spec: DataSpec, version: str, fn: Callable, *args,
               background: bool = False, **kwargs) -> Future:  # fmt: skip
        """``fn(context, *args, **kwargs)`` in a worker (see :func:`run`); its future."""
        if not background:
            return self._to_pool((spec, version, fn, args, kwargs))
        proxy: Future = Future()
        with self._lock:
            self._waiting[proxy] = (spec, version, fn, args, kwargs)
        # Sent to the pool from a thread of its own: the first task starts the processes, which
        # waits for the forkserver's imports (``preload``); the caller (a web app's load) does not.
        threading.Thread(target=self._feed, name="workers-feed", daemon=True).start()
        return proxy

    def hurry(self, job: Future) -> None:
        """Send a waiting background task to the workers now (a request waits for it)."""
        with self._lock:
            task = self._waiting.pop(job, None)
            if task is None:
                return
            self._running_background += 1
        self._chain(job, self._to_pool(task))

    def _to_pool(self, task: tuple) -> Future:
        spec, version, fn, args, kwargs = task
        with self._pool_lock:
            for attempt in range(2):
                if self._pool is None:
                    self._pool = self._new()
                try:
                    return self._pool.submit(run, spec, version, fn, *args, **kwargs)
                except BrokenProcessPool:  # a worker died: a new pool
                    log.warning("the worker processes stopped; starting new ones")
                    self._pool.shutdown(wait=False, cancel_futures=True)
                    self._pool = None
                    if attempt:
                        raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _feed(self) -> None:
        """Background tasks to the pool while fewer than ``processes`` of them run.

        The waiting list's lock is not held while a task goes to the pool (which
        may be starting its processes): asking for more waits for neither.
        """
        while True:
            with self._lock:
                if not self._waiting or self._running_background >= self.processes:
                    return
                proxy, task = self._waiting.popitem(last=False)
                self._running_background += 1
            try:
                job = self._to_pool(task)
            except Exception as exc:
                with self._lock:
                    self._running_background -= 1
                if isinstance(exc, RuntimeError):  # the interpreter is shutting down: no more
                    proxy.cancel()
                else:
                    proxy.set_exception(exc)
                continue
            self._chain(proxy, job)

    def _chain(self, proxy: Future, job: Future) -> None:
        def done(job: Future) -> None:
            with self._lock:
                self._running_background -= 1
            if not proxy.cancelled():
                try:
                    proxy.set_result(job.result())
                except BaseException as exc:
                    proxy.set_exception(exc)
            self._feed()

        job.add_done_callback(done)

    def shutdown(self, *, wait: bool = True) -> None:
        """Stop the workers (cancelling tasks not started)."""
        with self._lock:
            for proxy in self._waiting:
                proxy.cancel()
            self._waiting.clear()
        with self._pool_lock:
            if self._pool is not None:
                self._pool.shutdown(wait=wait, cancel_futures=True)
                self._pool = None


_SHARED: dict[int, Workers] = {}
_SHARED_LOCK = threading.Lock()


def shared_workers(processes: int, *, preload: tuple[str, ...] = ()) -> Workers:
    """One :class:`Workers` of ``processes`` per process (every app of a process shares it),
    at :data:`SERVER_NICENESS`; ``preload``: see :class:`Workers` (the first caller's)."""
    with _SHARED_LOCK:
        if processes not in _SHARED:
            _SHARED[processes] = Workers(processes, niceness=SERVER_NICENESS, preload=preload)
        return _SHARED[processes]


# --------------------------------------------------------------------------- at ingest


@dataclass(frozen=True)
class Precomputed:
    """What :func:`precompute` did: periods computed and kept, read from the store, failed."""

    computed: list[str]
    stored: list[str]
    failed: list[str]


def precompute(
    spec: DataSpec,
    *,
    settings: ResultSettings | None = None,
    processes: int | None = None,
    progress: Callable[[str], None] | None = None,
    task: Callable | None = None,
    **task_kwargs,
) -> Precomputed:
    """Compute every default period's result in worker processes and keep them in the store.

    Parameters
    ----------
    spec : DataSpec
        The data: a store (``spec.store``) to keep the results in.
    settings : ResultSettings, optional
        Default: the app's defaults (eps 100 m, ``min_samples`` chosen, chance
        test and place patterns).
    processes : int, optional
        Worker processes (default: the CPUs, at most 4).
    progress : callable, optional
        Called with a line of text after each period.
    task : callable, optional
        What a worker does for each period: ``task(context, period, settings,
        **task_kwargs)`` giving an :class:`Answer` (or a tuple starting with one);
        default :func:`period_answer` (kept). The web app passes one that also
        draws the period's map (:func:`webapp.mapframe.warm_period`).

    Returns
    -------
    Precomputed
    """
    if not spec.store:
        raise HotspotsError("precompute keeps results in a store: give spec.store")
    settings = settings or ResultSettings()
    workers = Workers(processes or min(4, os.cpu_count() or 1))
    computed, stored, failed = [], [], []
    try:
        version = spec.version()
        periods = workers.submit(spec, version, periods_of).result()
        if task is None:
            task, task_kwargs = period_answer, {"keep": True}
        futures = {workers.submit(spec, version, task, p, settings, **task_kwargs): p
                   for p in periods}  # fmt: skip
        for done in as_completed(futures):
            period = futures[done]
            try:
                answer = done.result()
                answer = answer[0] if isinstance(answer, tuple) else answer
                (stored if answer.stored else computed).append(period.label)
            except Exception as exc:
                failed.append(f"{period.label}: {exc}")
                log.warning("%s: %s", period.label, exc)
            if progress:
                progress(f"{len(computed) + len(stored) + len(failed)}/{len(periods)} periods "
                         f"ready ({period.label})")  # fmt: skip
    finally:
        workers.shutdown()
    return Precomputed(computed, stored, failed)


# --------------------------------------------------------------------------- on demand


def view_accuracy(ctx: Context, period: Period, *, area: str | None, ward: str | None,
                  params: ClusterParams, previous=None) -> dict:  # fmt: skip
    """The accuracy sentence of a focus area's or ward's view (in a worker).

    :func:`hotspots.analysis.backtest.previous_window_accuracy`, given the
    previous window's hotspots when the period's result holds them.
    """
    from hotspots.analysis.backtest import previous_window_accuracy

    return previous_window_accuracy(ctx.prepared, season=period.season,
                                    financial_year=period.financial_year, area=area, ward=ward,
                                    params=params, previous_hotspots=previous) or {}  # fmt: skip


def place_patterns(ctx: Context, period: Period, *, params: ClusterParams, known: dict):
    """The place patterns up to a period (in a worker): :func:`hotspots.results.place_patterns_of`."""
    from hotspots.results import place_patterns_of

    return place_patterns_of(ctx.prepared, period, params=params, known=known)
