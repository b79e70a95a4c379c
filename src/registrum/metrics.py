"""Prometheus metrics: what the registry counts, and the text ``GET /metrics`` serves.

Every count goes through a function of this module, so that the rest of the code never
names the metrics library and label values stay bounded (route *templates*, never raw paths;
a fixed set of outbound kinds).

What is counted, and who counts it:

- HTTP requests, their latency, refusals and publishes: ``api/observe.py`` (one ASGI
  middleware, outside everything else).
- Read-cache hits and misses: ``api/cache.py``.
- Mirror syncs (entries read, runs by outcome, progress of the running one): the scheduler in
  ``server/scheduler.py``; when each upstream last synced and how far behind it is are read
  from the database at scrape time (``mirror_families``), so they are right whichever process
  ran the sync.
- Outbound calls and thread pools: :func:`observe_outbound`, :func:`pool_in_use` and
  :func:`set_pool_size`, for the code that makes the calls or owns the pools. Adapters the
  light install carries (``verifiers/``) do not import this module (it needs the server
  extra): the composition root hands them a callable that calls it.

Several worker processes (``registrum serve --workers N``) each count their own requests;
prometheus-client's multiprocess mode adds them up: :func:`use_directory` (called by
``serve`` before any metric exists) makes every process write its values to files in one
directory, and :func:`render` reads them all. A dead worker's live gauges are dropped by
:func:`reap_dead_processes`; its counters stay, as counters must.
"""

from __future__ import annotations

import glob
import os
import re
import threading
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    values,
)
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

from registrum.core.records import Upstream

MULTIPROC_ENV: Final = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE: Final = CONTENT_TYPE_LATEST
# The kinds of outbound call, one label value each: ownership proofs (DNS, HTTPS, GitHub,
# OIDC), package-registry checks, and upstream registries read by the mirror.
OUTBOUND_KINDS: Final = frozenset({"proof", "package-check", "mirror"})

# Requests: a cached read answers in ~0.2 ms, a publish with package checks in seconds.
_REQUEST_BUCKETS: Final = (
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
)  # fmt: skip
# Outbound calls cross a network: tens of milliseconds to the timeout (30 s by default).
_OUTBOUND_BUCKETS: Final = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


# The ``*_created`` series would double what every scrape reads, for a start time that
# process_start_time_seconds and resets already tell.
disable_created_metrics()  # type: ignore[no-untyped-call]


class _Instruments:
    def __init__(self, registry: CollectorRegistry) -> None:
        r = registry
        # Its _count is the number of requests: a separate counter would double the cost of
        # every request for the same number.
        self.latency = Histogram(
            "registrum_http_request_duration_seconds",
            "Time from a request's arrival to the end of its answer, by method, route template "
            "and status (_count: requests answered).",
            ["method", "route", "status"],
            buckets=_REQUEST_BUCKETS,
            registry=r,
        )
        self.refusals = Counter(
            "registrum_http_refusals",
            "Answers with a 4xx or 5xx status (problem JSON), by route, status and reason (the "
            "error's kind when the registry raised one, else the status's title).",
            ["route", "status", "reason"],
            registry=r,
        )
        self.publishes = Counter(
            "registrum_publishes",
            "POST /publish calls by outcome: published, refused (4xx) or failed (5xx).",
            ["outcome"],
            registry=r,
        )
        self.cache = Counter(
            "registrum_read_cache_lookups",
            "Reads looked up in the response cache, by result (hit or miss).",
            ["result"],
            registry=r,
        )
        self.mirror_entries = Counter(
            "registrum_mirror_entries_synced",
            "Entries read from each upstream and staged.",
            ["upstream"],
            registry=r,
        )
        self.mirror_syncs = Counter(
            "registrum_mirror_syncs",
            "Mirror syncs run, by upstream and outcome (ok or error).",
            ["upstream", "outcome"],
            registry=r,
        )
        # Only the process running the scheduler writes these: the most recent value is it.
        self.mirror_done = Gauge(
            "registrum_mirror_sync_entries_done",
            "Entries the running (or last) sync of each upstream has read so far.",
            ["upstream"],
            multiprocess_mode="mostrecent",
            registry=r,
        )
        self.mirror_expected = Gauge(
            "registrum_mirror_sync_entries_expected",
            "Entries the running (or last) sync of each upstream expects in all, when the "
            "upstream says.",
            ["upstream"],
            multiprocess_mode="mostrecent",
            registry=r,
        )
        self.outbound = Histogram(
            "registrum_outbound_call_duration_seconds",
            "Calls to outside services by kind (proof, package-check, mirror) and outcome.",
            ["kind", "outcome"],
            buckets=_OUTBOUND_BUCKETS,
            registry=r,
        )
        # Summed over the live processes: each worker has its own pools.
        self.pool_in_use = Gauge(
            "registrum_pool_threads_in_use",
            "Threads of each pool busy now (summed over the live worker processes).",
            ["pool"],
            multiprocess_mode="livesum",
            registry=r,
        )
        self.pool_size = Gauge(
            "registrum_pool_threads",
            "Threads each pool has (summed over the live worker processes).",
            ["pool"],
            multiprocess_mode="livesum",
            registry=r,
        )


_REGISTRY: Final = CollectorRegistry(auto_describe=True)
_instruments: _Instruments | None = None
_creating = threading.Lock()
# Label children looked up once: ``labels()`` takes a lock and builds a tuple each time.
_request_children: dict[tuple[str, str, int], Histogram] = {}
_cache_children: dict[str, Counter] = {}


def _get() -> _Instruments:
    """The instruments, created on first use: after ``use_directory`` had its chance."""
    global _instruments
    if _instruments is None:
        with _creating:
            if _instruments is None:
                _instruments = _Instruments(_REGISTRY)
    return _instruments


# Multiprocess mode ------------------------------------------------------------------------


def use_directory(path: Path) -> None:
    """Make this process, and the worker processes it starts afterwards (they inherit the
    environment), write their metrics to files in ``path``, so that any of them can serve the
    sum. Must run before the first metric is created."""
    if _instruments is not None:
        raise RuntimeError("metrics were created before multiprocess mode was chosen")
    os.environ[MULTIPROC_ENV] = str(path)
    # prometheus-client chooses where values live when it is imported, from the environment;
    # this process imported it before the directory existed, so it is told again.
    values.ValueClass = values.MultiProcessValue()  # type: ignore[no-untyped-call]


def multiprocess_directory() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


def clear_directory(path: Path) -> None:
    """Remove the value files a previous run left: counts start at zero with the server."""
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink(missing_ok=True)


_PID: Final = re.compile(r"_(\d+)\.db$")


def reap_dead_processes(path: str | None = None) -> list[int]:
    """Drop the live gauges of processes that are gone (a worker that exited or was
    killed); returns their ids. The serving parent calls it every few seconds."""
    path = path or multiprocess_directory()
    if path is None:
        return []
    dead = set()
    for file in glob.glob(os.path.join(path, "gauge_live*_*.db")):
        match = _PID.search(file)
        if match is None:
            continue
        pid = int(match.group(1))
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            dead.add(pid)
        except PermissionError:
            pass  # alive, another user's
    for pid in dead:
        mark_process_dead(pid, path)  # type: ignore[no-untyped-call]
    return sorted(dead)


# Counting ---------------------------------------------------------------------------------


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    """One answered request. ``route`` is the route's template, never the raw path."""
    key = (method, route, status)
    child = _request_children.get(key)
    if child is None:
        child = _request_children[key] = _get().latency.labels(method, route, str(status))
    child.observe(seconds)


def count_refusal(route: str, status: int, reason: str) -> None:
    _get().refusals.labels(route, str(status), reason).inc()


def count_publish(outcome: str) -> None:
    """``outcome``: published, refused or failed."""
    _get().publishes.labels(outcome).inc()


def read_cache(result: str) -> None:
    """A response-cache look-up: ``result`` is hit or miss."""
    child = _cache_children.get(result)
    if child is None:
        child = _cache_children[result] = _get().cache.labels(result)
    child.inc()


def mirror_read(upstream: str, entries: int) -> None:
    """``entries`` more entries of ``upstream`` read and staged."""
    if entries:
        _get().mirror_entries.labels(upstream).inc(entries)


def mirror_progress(upstream: str, done: int, total: int | None) -> None:
    m = _get()
    m.mirror_done.labels(upstream).set(done)
    if total is not None:
        m.mirror_expected.labels(upstream).set(total)


def mirror_synced(upstream: str, ok: bool) -> None:
    _get().mirror_syncs.labels(upstream, "ok" if ok else "error").inc()


def observe_outbound(kind: str, seconds: float, outcome: str) -> None:
    """One call to an outside service.

    ``kind`` is one of :data:`OUTBOUND_KINDS` (``proof``, ``package-check``, ``mirror``);
    ``outcome`` a short word from a small fixed set, e.g. ``ok``, ``refused`` (the service
    answered no), ``error`` (it failed) or ``timeout``. Raises ValueError for another kind, so
    that a typo shows in tests rather than as a new series.
    """
    if kind not in OUTBOUND_KINDS:
        raise ValueError(f"unknown outbound kind {kind!r}: use one of {sorted(OUTBOUND_KINDS)}")
    _get().outbound.labels(kind, outcome).observe(seconds)


def pool_in_use(pool: str, delta: int) -> None:
    """``delta`` more (or, negative, fewer) threads of ``pool`` are busy: +1 when a task
    starts on it, -1 when it ends. With :func:`set_pool_size`, in-use / size is the pool's
    saturation."""
    _get().pool_in_use.labels(pool).inc(delta)


def set_pool_size(pool: str, size: int) -> None:
    """How many threads ``pool`` has, set when it is created."""
    _get().pool_size.labels(pool).set(size)


# Exposition -------------------------------------------------------------------------------


def mirror_families(upstreams: Iterable[Upstream], now: datetime | None = None) -> list[Metric]:
    """When each upstream last synced successfully, how long ago that is, and whether its
    last attempt failed, from the stored upstreams (read at scrape time)."""
    now = now or datetime.now(UTC)
    last = GaugeMetricFamily(
        "registrum_mirror_last_success_timestamp_seconds",
        "Unix time of each upstream's last successful sync (absent before the first).",
        labels=["upstream"],
    )
    lag = GaugeMetricFamily(
        "registrum_mirror_lag_seconds",
        "Seconds since each upstream's last successful sync: how far behind the mirror may be.",
        labels=["upstream"],
    )
    failing = GaugeMetricFamily(
        "registrum_mirror_last_sync_failed",
        "1 when the last sync attempt of the upstream failed, else 0.",
        labels=["upstream"],
    )
    for u in upstreams:
        failing.add_metric([u.name], 1.0 if u.last_error else 0.0)
        if u.last_synced_at is not None:
            at = u.last_synced_at
            if at.tzinfo is None:
                at = at.replace(tzinfo=UTC)
            last.add_metric([u.name], at.timestamp())
            lag.add_metric([u.name], max(0.0, (now - at).total_seconds()))
    return [last, lag, failing]


class _Joined:
    """What one scrape reads: the counted metrics and the ones read at scrape time."""

    def __init__(self, source: CollectorRegistry, extra: list[Metric]) -> None:
        self._source = source
        self._extra = extra

    def collect(self) -> Iterator[Metric]:
        yield from self._source.collect()
        yield from self._extra


def render(extra: Iterable[Metric] = ()) -> bytes:
    """The text exposition of every metric: this process's, or, in multiprocess mode, the
    sum over every process that wrote to the directory."""
    _get()  # so that an idle process still lists every metric
    directory = multiprocess_directory()
    if directory is None:
        source = _REGISTRY
    else:
        source = CollectorRegistry()
        MultiProcessCollector(source, path=directory)  # type: ignore[no-untyped-call]
    return generate_latest(_Joined(source, list(extra)))
