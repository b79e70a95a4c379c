"""Generate a synthetic registry for benchmarks: N servers x M versions, written straight into a
database that Registrum's own migrations created.

Documents are made from the real server.json documents in ../shared/corpus (names, descriptions,
titles, versions, package identifiers and remote URLs varied; shapes and sizes kept), or from a
few built-in documents without the corpus. The same seed gives the same registry, byte for byte.

Going through ``registrum import`` costs about 1,300 documents/s, 13 minutes for 1M versions, so
rows are written here with SQLAlchemy Core in large batches. They are the rows the registry itself
would write: the store's own write session builds them (against a recorder instead of a
connection), so derived columns, remote URL hashes and the like follow storage as it changes.
Kept as a publish leaves it: the canonical body, ``isLatest`` on exactly one version per server
(chosen by the registry's own rule), one change-log entry per publish and per status change, seq
gap-free and ``log_head`` equal to the last seq. A self-check through the store runs at the end.

    .venv/bin/python bench/generate.py --servers 2000 --versions 5 \\
        --database-url sqlite:////tmp/registrum-bench/10k.db

A file ``<database>.meta.json`` (or ``--meta``) next to it tells the driver what to ask for: a
deep cursor, a selective and a common search term, a server name.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import orjson
from sqlalchemy import (
    Connection,
    Delete,
    Engine,
    Insert,
    Table,
    Update,
    bindparam,
    func,
    select,
    text,
    update,
)
from sqlalchemy.engine import make_url

from registrum.core import wire
from registrum.core.records import Change, ChangeKind, ListQuery, NewVersion
from registrum.core.status import Status
from registrum.core.validation import validate_server_json
from registrum.core.versioning import Candidate, pick_latest
from registrum.services.documents import canonical_body
from registrum.storage import engine as storage_engine
from registrum.storage import search as search_rows
from registrum.storage import versions as version_rows
from registrum.storage.changelog import Journal
from registrum.storage.dialects import dialect_of
from registrum.storage.store import SqlServerStore, SqlWriteSession
from registrum.storage.tables import (
    changes,
    log_head,
    metadata,
    remote_urls,
    server_versions,
    servers,
)

ROOT: Final = Path(__file__).resolve().parents[1]
CORPUS: Final = ROOT.parent / "shared" / "corpus" / "real-server-json"
GENERATOR_VERSION: Final = 2  # 2: ranked search's rows

# Stands for the version inside a server's body text until each version is written.
VERSION_MARK: Final = "@@bench-version@@"
# Publish times: a year from the official registry's launch, fixed so that the same seed gives
# the same bytes (and response caches keyed on them stay comparable between runs).
START: Final = datetime(2025, 9, 8)
SPAN: Final = timedelta(days=365)
DESCRIPTION_MAX: Final = 100
COMMON_CANDIDATES: Final = ("mcp", "server", "data", "api", "search", "tool", "code", "file")
COMMON_TARGET: Final = 0.25  # a "common" term matches about a quarter of the latest versions
ADMIN_ACTOR: Final = "oidc:admin@example.com"

_CONSONANTS: Final = "bdfghklmnprstvz"
_VOWELS: Final = "aeiou"
_SYLLABLES: Final = [c + v for c in _CONSONANTS for v in _VOWELS]
_TOKEN_SPACE: Final = len(_SYLLABLES) ** 4  # 31.6M unique owner tokens
_TOKEN_STRIDE: Final = 7_777_777  # coprime to _TOKEN_SPACE: index -> token is a bijection

_FALLBACK: Final[list[dict[str, Any]]] = [
    {
        "name": "io.github.example/weather-mcp",
        "description": "Weather forecasts and alerts for any city, as MCP tools",
        "version": "1.0.0",
        "repository": {"url": "https://github.com/example/weather-mcp", "source": "github"},
        "packages": [
            {
                "registryType": "npm",
                "identifier": "@example/weather-mcp",
                "version": "1.0.0",
                "transport": {"type": "stdio"},
                "environmentVariables": [
                    {"name": "WEATHER_API_KEY", "description": "API key", "isSecret": True}
                ],
            }
        ],
    },
    {
        "name": "com.example/search-server",
        "description": "Search a document index from any MCP client",
        "version": "1.0.0",
        "remotes": [{"type": "streamable-http", "url": "https://mcp.example.com/mcp"}],
    },
    {
        "name": "io.github.example/sql-tools",
        "description": "Read-only SQL queries against PostgreSQL and SQLite databases",
        "version": "1.0.0",
        "packages": [
            {
                "registryType": "pypi",
                "identifier": "sql-tools-mcp",
                "version": "1.0.0",
                "transport": {"type": "stdio"},
            }
        ],
    },
]


# --- templates and words ------------------------------------------------------------------


def shorten(textual: str, limit: int = DESCRIPTION_MAX) -> str:
    """Cut at a word boundary so a description stays within the schema's limit."""
    textual = " ".join(textual.split())
    if len(textual) <= limit:
        return textual
    cut = textual[: limit + 1].rsplit(" ", 1)[0]
    return cut[:limit].rstrip(" ,;:-")


def corpus_documents(corpus: Path) -> list[dict[str, Any]]:
    manifest = json.loads((corpus / "MANIFEST.json").read_text())
    docs = [json.loads((corpus / entry["file"]).read_text()) for entry in manifest]
    return [d for d in docs if isinstance(d, dict)]


def canonical_template(raw: dict[str, Any]) -> dict[str, Any] | None:
    """The registry's canonical form of a corpus document moved to the current schema, or
    ``None`` when it is not publishable even then (missing transport and the like)."""
    doc = dict(raw)
    doc["$schema"] = wire.CURRENT_SCHEMA_URL
    doc["description"] = shorten(str(doc.get("description") or "An MCP server"))
    if not isinstance(doc.get("version"), str):
        doc["version"] = "1.0.0"
    report = validate_server_json(doc)
    if not report.ok or report.document is None:
        return None
    return dict(orjson.loads(canonical_body(report.document)))


def load_templates(corpus: Path | None) -> list[dict[str, Any]]:
    raws = corpus_documents(corpus) if corpus and corpus.is_dir() else _FALLBACK
    templates = [t for t in (canonical_template(r) for r in raws) if t is not None]
    if not templates:
        raise SystemExit("no usable template document")
    return templates


def words_of(templates: Sequence[dict[str, Any]]) -> list[str]:
    """Lower-case words from the templates' names and descriptions, for server slugs."""
    found: set[str] = set()
    for t in templates:
        source = t["name"].split("/")[-1].replace("-", " ").replace("_", " ").replace(".", " ")
        for word in (source + " " + t["description"]).lower().split():
            if (
                word.isascii()
                and word.isalpha()
                and 3 <= len(word) <= 10
                and word not in {"mcp", "server"}
            ):
                found.add(word)
    return sorted(found)


def owner_token(index: int) -> str:
    """A unique, pronounceable owner for server ``index`` (8 letters: a selective search term
    that matches that server only)."""
    n = (index * _TOKEN_STRIDE + 12345) % _TOKEN_SPACE
    parts = []
    for _ in range(4):
        n, r = divmod(n, len(_SYLLABLES))
        parts.append(_SYLLABLES[r])
    return "".join(parts)


# --- versions -------------------------------------------------------------------------------


def _bump(rng: random.Random, v: tuple[int, int, int]) -> tuple[int, int, int]:
    roll = rng.random()
    if roll < 0.05:
        return (v[0] + 1, 0, 0)
    if roll < 0.27:
        return (v[0], v[1] + 1, 0)
    return (v[0], v[1], v[2] + 1)


def version_history(rng: random.Random, count: int) -> list[str]:
    """``count`` versions in publish order: mostly patch bumps, some minor and major ones, a few
    release candidates before their release, and now and then a backport published last (so
    the last published is not always the latest)."""
    current = (rng.choice((0, 0, 1, 1, 2)), rng.randrange(6), rng.randrange(10))
    history = [current]
    out = ["{}.{}.{}".format(*current)]
    while len(out) < count:
        nxt = _bump(rng, current)
        if nxt[2] == 0 and len(out) + 2 <= count and rng.random() < 0.15:
            out.append("{}.{}.{}-rc.1".format(*nxt))
        out.append("{}.{}.{}".format(*nxt))
        history.append(nxt)
        current = nxt
    out = out[:count]
    if count >= 3 and rng.random() < 0.05:
        old = history[max(0, len(history) - 3)]
        backport = f"{old[0]}.{old[1]}.{old[2] + 1}"
        if backport not in out:
            out[-1] = backport  # a fix to an older line, published after the newer ones
    return out


# --- servers --------------------------------------------------------------------------------


@dataclass(slots=True)
class ServerPlan:
    index: int
    server_id: str
    name: str
    token: str
    description: str
    actor: str
    template: int
    body: str  # canonical text with VERSION_MARK where the version goes
    remote_urls: tuple[str, ...]
    versions: list[str]
    statuses: list[Status]
    latest: int  # index into versions


def _slug(rng: random.Random, words: Sequence[str]) -> str:
    first, second = rng.choice(words), rng.choice(words)
    suffix = rng.choices(("-mcp", "-mcp-server", "", "-server"), weights=(4, 3, 2, 1))[0]
    prefix = "mcp-" if not suffix and rng.random() < 0.5 else ""
    return f"{prefix}{first}-{second}{suffix}"


def _name(template: dict[str, Any], token: str, slug: str) -> tuple[str, str]:
    """Name and publishing actor, in the template's namespace style."""
    namespace = template["name"].split("/")[0]
    if namespace.startswith("io.github."):
        return f"io.github.{token}/{slug}", f"github-at:{token}"
    tld = namespace.split(".")[0]
    return f"{tld}.{token}/{slug}", f"dns:{token}.{tld}"


def _description(rng: random.Random, pool: Sequence[str], slug: str) -> str:
    base = rng.choice(pool)
    if rng.random() < 0.5:
        return base
    words = " ".join(w.capitalize() for w in slug.split("-") if w != "mcp")
    return shorten(f"{words}: {base}")


def _identifier(identifier: str, old_version: str, slug: str, token: str) -> str:
    """The template's package identifier with this server's name in it, and the version (an
    image tag, a download path) replaced by the mark."""
    if old_version and len(old_version) >= 3:
        identifier = identifier.replace(old_version, VERSION_MARK)
    if "://" in identifier:
        return identifier  # a download URL: keep its shape
    head, sep, tail = identifier.rpartition("/")
    _, colon, tag = tail.partition(":")
    if head.startswith("@"):
        return f"@{token}/{slug}{colon}{tag}"  # an npm scope is the owner already
    return f"{head}{sep}{slug}-{token}{colon}{tag}"


def _remote_url(url: str, token: str, k: int) -> str:
    """Each server its own remote URLs: one remote URL belongs to one live server."""
    path = urlsplit(url).path
    if "{" in path or not path:
        path = "/mcp"
    return f"https://{token}.example.com{path}" + (f"/{k}" if k else "")


def server_document(
    template: dict[str, Any], name: str, description: str, slug: str, token: str
) -> dict[str, Any]:
    doc = orjson.loads(orjson.dumps(template))  # a deep copy, keeping the canonical key order
    old_version = doc["version"]
    doc["name"] = name
    doc["description"] = description
    doc["version"] = VERSION_MARK
    if "title" in doc:
        doc["title"] = " ".join(w.capitalize() for w in slug.split("-"))
    if "websiteUrl" in doc:
        doc["websiteUrl"] = f"https://{token}.example.com/"
    repository = doc.get("repository")
    if isinstance(repository, dict) and "url" in repository:
        parts = urlsplit(repository["url"])
        repository["url"] = f"{parts.scheme}://{parts.netloc}/{token}/{slug}"
    for package in doc.get("packages") or []:
        if package.get("version") == old_version:
            package["version"] = VERSION_MARK
        package["identifier"] = _identifier(package["identifier"], old_version, slug, token)
    for k, remote in enumerate(doc.get("remotes") or []):
        remote["url"] = _remote_url(remote["url"], token, k)
        remote.pop("variables", None)  # the new URL names no variables
    return dict(doc)


def _statuses(rng: random.Random, count: int, deleted: float, deprecated: float) -> list[Status]:
    out = []
    for _ in range(count):
        roll = rng.random()
        if roll < deleted:
            out.append(Status.DELETED)
        elif roll < deleted + deprecated:
            out.append(Status.DEPRECATED)
        else:
            out.append(Status.ACTIVE)
    return out


@dataclass(frozen=True, slots=True)
class Shape:
    servers: int
    versions: int
    seed: int
    deleted: float
    deprecated: float

    @property
    def total(self) -> int:
        return self.servers * self.versions

    def published_at(self, round_: int, index: int) -> datetime:
        # Every server publishes its n-th version in round n: publish times, seq and
        # insertion order all agree, as they do in a registry filled by real publishes.
        step = SPAN / self.total
        return START + step * (round_ * self.servers + index)


def plan_servers(shape: Shape, templates: Sequence[dict[str, Any]]) -> list[ServerPlan]:
    rng = random.Random(shape.seed)  # noqa: S311 - synthetic data, not secrets
    words = words_of(templates)
    pool = sorted({t["description"] for t in templates})
    plans = []
    for index in range(shape.servers):
        t = rng.randrange(len(templates))
        token = owner_token(index)
        slug = _slug(rng, words)
        name, actor = _name(templates[t], token, slug)
        description = _description(rng, pool, slug)
        doc = server_document(templates[t], name, description, slug, token)
        versions = version_history(rng, shape.versions)
        statuses = _statuses(rng, shape.versions, shape.deleted, shape.deprecated)
        candidates = [
            Candidate(v, shape.published_at(r, index), statuses[r] == Status.DELETED)
            for r, v in enumerate(versions)
        ]
        # The registry's own rule decides which version carries isLatest.
        winner = pick_latest(list(enumerate(candidates)), key=lambda item: item[1])
        plans.append(
            ServerPlan(
                index=index,
                server_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                name=name,
                token=token,
                description=description,
                actor=actor,
                template=t,
                body=orjson.dumps(doc).decode(),
                remote_urls=tuple(dict.fromkeys(r["url"] for r in doc.get("remotes") or [])),
                versions=versions,
                statuses=statuses,
                latest=winner[0] if winner else 0,
            )
        )
    return plans


def check_bodies(plans: Sequence[ServerPlan]) -> int:
    """Validate the first servers made from each template and require their text to be
    exactly what the registry would store for them; returns how many were checked."""
    seen: dict[int, int] = {}
    checked = 0
    for plan in plans:
        if seen.get(plan.template, 0) >= 2:
            continue
        seen[plan.template] = seen.get(plan.template, 0) + 1
        for version in (plan.versions[0], plan.versions[-1]):
            body = plan.body.replace(VERSION_MARK, version)
            report = validate_server_json(orjson.loads(body))
            if not report.ok or report.document is None:
                problems = "; ".join(f"{p.path}: {p.message}" for p in report.errors)
                raise SystemExit(f"generated document for {plan.name} is invalid: {problems}")
            if canonical_body(report.document) != body:
                raise SystemExit(f"generated body for {plan.name} is not canonical")
            checked += 1
    return checked


# --- the database ---------------------------------------------------------------------------


def open_database(url: str, replace: bool) -> Engine:
    """A registry database at the newest migration, empty (after ``--replace``)."""
    parsed = make_url(storage_engine.normalise_url(url))
    if parsed.get_backend_name() == "sqlite" and replace and parsed.database:
        for suffix in ("", "-wal", "-shm"):
            Path(parsed.database + suffix).unlink(missing_ok=True)
    engine = storage_engine.create(url)
    storage_engine.migrate(engine)
    with engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(servers)).scalar_one()
    if count and not replace:
        raise SystemExit(f"the database already holds {count} servers: use --replace")
    if count:
        empty_postgres(engine)
    return engine


def empty_postgres(engine: Engine) -> None:
    tables = [t.name for t in metadata.sorted_tables if t is not log_head]
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
        conn.execute(update(log_head).values(seq=0))


def tune_for_loading(conn: Connection) -> None:
    """Settings for this one loading connection only; the served database keeps the
    registry's own (WAL, synchronous=NORMAL) on every connection it opens."""
    if conn.dialect.name == "sqlite":
        raw = conn.connection.dbapi_connection
        assert raw is not None
        for pragma in ("synchronous=OFF", "cache_size=-1048576", "temp_store=MEMORY"):
            raw.execute(f"PRAGMA {pragma}")
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET synchronous_commit = off")
        conn.commit()


class _Head:
    def __init__(self, seq: int) -> None:
        self._seq = seq

    def scalar_one(self) -> int:
        return self._seq

    scalar = scalar_one


class Recorder:
    """Stands in for the connection under the store's own write session and keeps the rows
    it would insert, to send them a few thousand at a time.

    The rows are then exactly what a publish writes (derived columns such as a folded
    description, remote URL hashes), whatever storage grows later; a statement the loader does
    not know stops it rather than being dropped."""

    def __init__(self) -> None:
        self.rows: dict[Table, list[dict[str, Any]]] = {}
        self.statements: dict[Table, Any] = {}
        self.head = 0
        self.pending = 0
        # Each version's seq (of its last change): patched into rows not yet sent, updated
        # for the others at the end (finish_seqs).
        self.seqs: dict[str, int] = {}

    def execute(self, statement: Any, params: Any = None) -> Any:
        if isinstance(statement, Insert):
            rows = params if isinstance(params, list) else [params]
            self.statements.setdefault(statement.table, statement)
            self.rows.setdefault(statement.table, []).extend(rows)
            self.pending += len(rows)
            return None
        if isinstance(statement, Update) and statement.table is log_head:
            # The change log's head: counted here, written once at the end.
            self.head += 1
            return _Head(self.head)
        if (
            isinstance(statement, Update)
            and statement.table is server_versions
            and isinstance(params, dict)
            and set(params) == {"vid", "seq"}
        ):
            self.seqs[params["vid"]] = params["seq"]
            return None
        if statement is version_rows.LAST_SEARCH_ROWID:
            return _Head(0)  # the search index of a new database is empty
        if isinstance(statement, Delete) and statement.table is remote_urls:
            return None  # clearing a new version's URLs: nothing to clear in a new database
        raise SystemExit(f"bench/generate.py does not know this write of the store: {statement}")

    def flush(self, conn: Connection) -> None:
        # In dependency order: versions before their remote URLs, servers before versions;
        # then tables the models leave out (SQLite's search index).
        for table in [*metadata.sorted_tables, *self.rows]:
            rows = self.rows.pop(table, None)
            if rows:
                if table is server_versions:
                    for row in rows:
                        if row["id"] in self.seqs:
                            row["seq"] = self.seqs.pop(row["id"])
                conn.execute(self.statements[table], rows)
        self.pending = 0

    def finish_seqs(self, conn: Connection) -> None:
        """The seqs of rows already sent when their last change came (status changes)."""
        if self.seqs:
            stmt = (
                update(server_versions)
                .where(server_versions.c.id == bindparam("vid"))
                .values(seq=bindparam("seq"))
            )
            conn.execute(stmt, [{"vid": v, "seq": s} for v, s in self.seqs.items()])
            self.seqs.clear()


def _change(plan: ServerPlan, kind: str, at: datetime, version_id: str, version: str) -> Change:
    actor = plan.actor if kind == ChangeKind.PUBLISHED else ADMIN_ACTOR
    return Change(kind, at, plan.server_id, version_id, plan.name, version, actor)


def publish_rows(
    session: SqlWriteSession,
    shape: Shape,
    plans: Sequence[ServerPlan],
    id_rng: random.Random,
    later: list[Change],
) -> Iterator[None]:
    """Every version, in publish order, through the store's own insert and change-log calls
    (yielding after each); ``later`` gets the status changes moderation makes afterwards."""
    end = START + SPAN
    for round_ in range(shape.versions):
        for plan in plans:
            published = shape.published_at(round_, plan.index)
            if round_ == 0:
                session.servers.create(plan.server_id, plan.name, published)
            version = plan.versions[round_]
            version_id = str(uuid.UUID(int=id_rng.getrandbits(128), version=4))
            status = plan.statuses[round_]
            changed_at, message = published, None
            if status != Status.ACTIVE:
                # Moderation came after the year of publishing, one change a second; the row
                # is written as it stands after it.
                changed_at = end + timedelta(seconds=len(later))
                if status == Status.DEPRECATED:
                    message = (
                        "No longer maintained"
                        if round_ == plan.latest
                        else f"Deprecated: upgrade to {plan.versions[plan.latest]}"
                    )
                detail = {
                    "previousStatus": Status.ACTIVE.value,
                    "previousMessage": None,
                    "status": status.value,
                    "message": message,
                }
                change = _change(plan, ChangeKind.STATUS_CHANGED, changed_at, version_id, version)
                later.append(dataclasses.replace(change, detail=orjson.dumps(detail).decode()))
            session.versions.insert(
                NewVersion(
                    server_id=plan.server_id,
                    version_id=version_id,
                    name=plan.name,
                    version=version,
                    description=plan.description,
                    body=plan.body.replace(VERSION_MARK, version),
                    status=status,
                    status_message=message,
                    status_changed_at=changed_at,
                    published_at=published,
                    updated_at=changed_at,
                    is_latest=round_ == plan.latest,
                    remote_urls=plan.remote_urls,
                )
            )
            session.log.append(_change(plan, ChangeKind.PUBLISHED, published, version_id, version))
            yield None


def load(
    engine: Engine, shape: Shape, plans: Sequence[ServerPlan], batch_size: int, commit_every: int
) -> int:
    """Write every row; returns the change log's head."""
    id_rng = random.Random(shape.seed + 1)  # noqa: S311 - synthetic ids, not secrets
    recorder = Recorder()
    session = SqlWriteSession(recorder, dialect_of(engine))  # type: ignore[arg-type]
    started = time.perf_counter()
    done = 0
    later: list[Change] = []
    with engine.connect() as conn:
        tune_for_loading(conn)
        conn = conn.execution_options(**{storage_engine.WRITE: True})
        tx = conn.begin()
        for _ in publish_rows(session, shape, plans, id_rng, later):
            done += 1
            if recorder.pending >= batch_size:
                recorder.flush(conn)
            if done % commit_every == 0:
                recorder.flush(conn)
                tx.commit()
                tx = conn.begin()
                _progress(done, shape.total, started)
        for change in later:
            session.log.append(change)
        recorder.flush(conn)
        recorder.finish_seqs(conn)
        conn.execute(update(log_head).where(log_head.c.id == 1).values(seq=recorder.head))
        tx.commit()
        # Ranked search's rows (issue #16), as the store writes them at commit: by its own
        # code, over the rows now stored.
        tx = conn.begin()
        journal = Journal()
        journal.servers_touched.update(p.server_id for p in plans)
        search_rows.refresh(conn, dialect_of(engine), journal)
        tx.commit()
    _progress(done, shape.total, started)
    return recorder.head


def _progress(done: int, total: int, started: float) -> None:
    elapsed = time.perf_counter() - started
    rate = done / elapsed if elapsed else 0.0
    print(f"  {done:,}/{total:,} versions, {rate:,.0f}/s", file=sys.stderr, flush=True)


def finish(engine: Engine) -> None:
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            # Fold the WAL into the file: the database is then one file, safe to copy.
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        elif conn.dialect.name == "postgresql":
            # A registry that has been running a while has been analysed by autovacuum.
            conn.commit()
            conn.exec_driver_sql("ANALYZE")
        conn.commit()


def self_check(engine: Engine, shape: Shape, plans: Sequence[ServerPlan], head: int) -> None:
    """The invariants `registrum serve` relies on, read back through SQL and the store."""
    sv = server_versions
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(sv)).scalar_one()
        flagged = conn.execute(select(func.count()).select_from(sv).where(sv.c.is_latest))
        latest_rows = flagged.scalar_one()
        seqs = conn.execute(select(func.min(changes.c.seq), func.max(changes.c.seq), func.count()))
        lo, hi, n = seqs.one()
    problems = []
    if total != shape.total:
        problems.append(f"{total} versions, expected {shape.total}")
    if latest_rows != shape.servers:
        problems.append(f"{latest_rows} rows flagged isLatest for {shape.servers} servers")
    store = SqlServerStore(engine)
    if store.log.head() != head or (lo, hi, n) != (1, head, head):
        problems.append(
            f"change log seq {lo}..{hi} ({n} rows), head {store.log.head()}, want {head}"
        )
    for plan in plans[:: max(1, len(plans) // 25)]:
        view = store.versions.latest(plan.name, include_deleted=True)
        if view is None or view.version != plan.versions[plan.latest]:
            problems.append(f"latest of {plan.name}: {view and view.version}")
        if plan.statuses[plan.latest] != Status.DELETED:
            # The owner token is in this server's name only: search must find it (and its
            # index, kept by triggers or by the store, must hold the rows loaded in bulk).
            page = store.versions.page(ListQuery(limit=5, search=plan.token, latest_only=True))
            if [v.name for v in page] != [plan.name]:
                problems.append(f"search {plan.token!r}: {[v.name for v in page]}")
        if plan.remote_urls and Status.DELETED not in plan.statuses:
            # The store's own look-up of a remote URL finds its server.
            with store.write(plan.name) as tx:
                owner = tx.versions.remote_url_owner(plan.remote_urls[0], str(uuid.UUID(int=0)))
            if owner != plan.name:
                problems.append(f"remote URL {plan.remote_urls[0]} owned by {owner}")
    if problems:
        raise SystemExit("self-check failed:\n  " + "\n  ".join(problems))


def deep_cursor_index(sizes: Sequence[int], page: int = 50) -> int:
    """A cursor in the last quarter of the list (two full pages still after it) whose next page
    weighs about what page 1 weighs, so the two differ in depth and not in bytes."""
    last = max(0, len(sizes) - 2 * page - 1)
    first = min(last, int(len(sizes) * 0.75))
    target = sum(sizes[:page])
    window = sum(sizes[first + 1 : first + 1 + page])
    best, best_gap = first, abs(window - target)
    for i in range(first + 1, last + 1):
        window += sizes[i + page] - sizes[i]  # the page after i: sizes[i+1 .. i+page]
        if abs(window - target) < best_gap:
            best, best_gap = i, abs(window - target)
    return best


def hints(shape: Shape, plans: Sequence[ServerPlan]) -> dict[str, Any]:
    """What the driver asks for, chosen from the plan so that it needs no walk of the list."""
    live = sorted(
        (p for p in plans if p.statuses[p.latest] != Status.DELETED), key=lambda p: p.name
    )
    deep = live[deep_cursor_index([len(p.body) for p in live])]
    texts = [f"{p.name} {p.description}".lower() for p in live]
    fractions = {t: sum(t in x for x in texts) / max(1, len(texts)) for t in COMMON_CANDIDATES}
    common = min(fractions, key=lambda t: abs(fractions[t] - COMMON_TARGET))
    selective = live[len(live) // 3]
    sample = live[len(live) // 2]
    return {
        "deep_cursor": f"{deep.name}:{deep.versions[deep.latest]}",
        "deep_cursor_position": round(live.index(deep) / max(1, len(live)), 4),
        "selective_term": selective.token,
        "selective_matches_latest": sum(selective.token in x for x in texts),
        "common_term": common,
        "common_fraction_latest": round(fractions[common], 4),
        "term_fractions_latest": {t: round(f, 4) for t, f in fractions.items()},
        "sample_name": sample.name,
        "live_latest": len(live),
    }


def write_meta(path: Path, meta: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(meta, indent=2) + "\n")
    tmp.replace(path)


def default_meta_path(url: str) -> Path | None:
    parsed = make_url(storage_engine.normalise_url(url))
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        return Path(parsed.database + ".meta.json")
    return None


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--servers", type=int, default=2000)
    p.add_argument("--versions", type=int, default=5, help="versions per server")
    p.add_argument("--seed", type=int, default=5)
    p.add_argument("--database-url", required=True, help="sqlite:///path or postgresql://...")
    p.add_argument("--meta", type=Path, help="where to write the driver's hints (JSON)")
    p.add_argument("--corpus", type=Path, default=CORPUS, help="real server.json documents")
    p.add_argument("--deleted", type=float, default=0.01, help="fraction of versions deleted")
    p.add_argument("--deprecated", type=float, default=0.03, help="fraction deprecated")
    p.add_argument("--batch", type=int, default=2000, help="rows per executemany")
    p.add_argument("--commit-every", type=int, default=50_000, help="versions per transaction")
    p.add_argument("--replace", action="store_true", help="empty an existing database first")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    meta_path = args.meta or default_meta_path(args.database_url)
    if meta_path is None:
        raise SystemExit("--meta is required for a database that is not a SQLite file")
    shape = Shape(args.servers, args.versions, args.seed, args.deleted, args.deprecated)
    started = time.perf_counter()
    templates = load_templates(args.corpus)
    plans = plan_servers(shape, templates)
    checked = check_bodies(plans)
    planned = time.perf_counter() - started
    print(
        f"planned {shape.servers:,} servers x {shape.versions} versions from {len(templates)} "
        f"templates in {planned:.1f} s ({checked} documents validated)",
        file=sys.stderr,
    )
    engine = open_database(args.database_url, args.replace)
    head = load(engine, shape, plans, args.batch, args.commit_every)
    finish(engine)
    loaded = time.perf_counter() - started - planned
    self_check(engine, shape, plans, head)
    engine.dispose()
    elapsed = time.perf_counter() - started
    meta = {
        "generator_version": GENERATOR_VERSION,
        "servers": shape.servers,
        "versions_per_server": shape.versions,
        "versions": shape.total,
        "seed": shape.seed,
        "templates": len(templates),
        "change_log_head": head,
        "seconds": round(elapsed, 1),
        "versions_per_second": round(shape.total / loaded),
        **hints(shape, plans),
    }
    write_meta(meta_path, meta)
    print(
        f"generated {shape.total:,} versions in {elapsed:.1f} s "
        f"(load {shape.total / loaded:,.0f} versions/s); head {head:,}; hints in {meta_path}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
