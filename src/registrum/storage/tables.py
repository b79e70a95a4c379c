"""The relational model. Storage, domain and wire stay separate: these are tables, not API types.

``server_versions.body`` holds the canonical server.json text exactly as it is served; reads
splice it into responses without parsing it.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)


# Names and versions order byte by byte on every backend (migration 0004): the list's order
# and its cursor must not depend on how a PostgreSQL server was installed.
def _ordered(length: int) -> String:
    return String(length).with_variant(String(length, collation="C"), "postgresql")


# Search indexes are backend-specific (an FTS5 table on SQLite, trigram GIN indexes on
# PostgreSQL) and live in migration 0005 only; the drift check leaves them out.
SEARCH_OBJECTS = (
    "search_index",
    "ix_server_versions_name_trgm",
    "ix_server_versions_description_trgm",
    # Ranked search (migration 0012): SQLite's FTS5 table, PostgreSQL's trigram indexes.
    "search_text",
    "ix_search_entries_name_trgm",
    "ix_search_entries_title_trgm",
    "ix_search_entries_description_trgm",
    # Migration 0013: indexes with a descending column (the blank query's order, the
    # namespace facet's top 20), declared in the migration as SQL.
    "ix_search_entries_blank_order",
    "ix_search_counts_top",
)


# The SQLite search index's columns, for writing it (storage/repositories.py fills it when a
# version is inserted; migration 0009). Outside ``metadata``: migrations own the FTS5 table.
search_index = Table(
    "search_index",
    MetaData(),
    Column("rowid", Integer),
    Column("version_id", Text),
    Column("name", Text),
    Column("description", Text),
)


# SQLite's FTS5 table of ranked search (migration 0012), for writing it: the folded texts of
# each server's latest version, its rowid held in ``search_entries.text_rowid``.
search_text = Table(
    "search_text",
    MetaData(),
    Column("rowid", Integer),
    Column("name", Text),
    Column("title", Text),
    Column("description", Text),
)


def in_models(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Alembic's ``include_object``: whether the models describe this database object."""
    return not (name or "").startswith(SEARCH_OBJECTS)


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

servers = Table(
    "servers",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", _ordered(200), nullable=False, unique=True),
    Column("created_at", DateTime(), nullable=False),
    # The upstream a mirrored server is served from (migration 0008); NULL: published here.
    Column("upstream", String(64), nullable=True),
)

server_versions = Table(
    "server_versions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("server_id", String(36), ForeignKey("servers.id"), nullable=False),
    # Denormalised from servers.name: the list endpoint orders and pages by (name, version).
    Column("name", _ordered(200), nullable=False),
    Column("version", _ordered(255), nullable=False),
    Column("description", String(400), nullable=False, server_default=""),
    # Case-folded by the application for search (migration 0005): the same folding on every
    # backend and locale. Searched through trigram indexes that only migrations declare.
    Column("description_folded", Text(), nullable=False, server_default=""),
    Column("status", String(16), nullable=False),
    Column("status_message", Text(), nullable=True),
    Column("status_changed_at", DateTime(), nullable=False),
    Column("published_at", DateTime(), nullable=False),
    Column("updated_at", DateTime(), nullable=False),
    Column("is_latest", Boolean(), nullable=False),
    Column("body", Text(), nullable=False),
    # The seq of the last change-log entry about this version (migration 0007).
    Column("seq", Integer(), nullable=False, server_default="0"),
    # The server's earlier names, a JSON array (NULL: none); on every version row so that
    # reads splice it without a join.
    Column("previous_names", Text(), nullable=True),
    # Provenance of a mirrored version, a JSON object (migration 0008); NULL: local.
    Column("source", Text(), nullable=True),
    # SQLite: the rowid of this version's row in the FTS5 search index, so that an edit or
    # a delete finds it directly (migration 0009). NULL on PostgreSQL.
    Column("search_rowid", Integer(), nullable=True),
    # An imported or mirrored version's deviations from today's publish rules, a JSON array
    # (migration 0010); NULL: none.
    Column("warnings", Text(), nullable=True),
    # The updatedAt the version's origin served, served in place of updated_at, which stays
    # this registry's own time of the change (what updated_since filters on; migration 0010).
    Column("origin_updated_at", DateTime(), nullable=True),
    UniqueConstraint("name", "version"),
    # (server_id, version): the per-server look-ups a write makes, and every server_id one.
    Index("ix_server_versions_server_id_version", "server_id", "version"),
    Index("ix_server_versions_updated_at", "updated_at"),
    # At most one latest version per server, enforced by the database itself.
    Index(
        "uq_server_versions_one_latest",
        "server_id",
        unique=True,
        sqlite_where=text("is_latest"),
        postgresql_where=text("is_latest"),
    ),
    # The list's order among latest versions (migration 0006): VS Code's list call.
    Index(
        "ix_server_versions_latest_name_version",
        "name",
        "version",
        sqlite_where=text("is_latest"),
        postgresql_where=text("is_latest"),
    ),
)

# The remote URLs each version names, for the rule that no two live servers share one
# (the official registry's rule). Looked up by a hash: URLs have no length limit, index entries do.
remote_urls = Table(
    "remote_urls",
    metadata,
    Column("version_id", String(36), ForeignKey("server_versions.id"), primary_key=True),
    Column("url_hash", String(64), primary_key=True),
    Column("server_id", String(36), nullable=False),
    Column("url", Text(), nullable=False),
    Index("ix_remote_urls_url_hash", "url_hash"),
)

changes = Table(
    "changes",
    metadata,
    Column("seq", Integer(), primary_key=True, autoincrement=False),
    Column("at", DateTime(), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("server_id", String(36), nullable=False),
    Column("version_id", String(36), nullable=True),
    Column("name", String(200), nullable=False),
    Column("version", String(255), nullable=True),
    Column("actor", String(255), nullable=False),
    Column("detail", Text(), nullable=False),
    Index("ix_changes_server_id", "server_id"),
    Index("ix_changes_version_id", "version_id"),
)

# Names servers left by a rename: reads of one redirect to the server's current name, and no
# other server may take it before reserved_until (migration 0007).
retired_names = Table(
    "retired_names",
    metadata,
    Column("name", _ordered(200), primary_key=True),
    Column("server_id", String(36), ForeignKey("servers.id"), nullable=False),
    Column("retired_at", DateTime(), nullable=False),
    Column("reserved_until", DateTime(), nullable=False),
    Index("ix_retired_names_server_id", "server_id"),
)

transfer_offers = Table(
    "transfer_offers",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("server_id", String(36), ForeignKey("servers.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("new_name", String(200), nullable=False),
    Column("offered_by", String(255), nullable=False),
    Column("created_at", DateTime(), nullable=False),
    Column("expires_at", DateTime(), nullable=False),
    Column("accepted_at", DateTime(), nullable=True),
    Column("accepted_by", String(255), nullable=True),
)

# One row holding the change log's head. Every writer increments it first thing in its
# transaction, which serialises writers on that row (on every backend) and makes seq
# gap-free and assigned in commit order.
log_head = Table(
    "log_head",
    metadata,
    Column("id", Integer(), primary_key=True, autoincrement=False),
    Column("seq", Integer(), nullable=False),
)


# The mirror (migration 0008): configured upstreams, and every version each one serves as it
# was fetched. What the registry serves is computed from these (policy, priority, shadowing).
upstreams = Table(
    "upstreams",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("url", Text(), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("priority", Integer(), nullable=False),
    Column("interval_seconds", Integer(), nullable=False),
    Column("checkpoint", Text(), nullable=False, server_default="{}"),
    Column("created_at", DateTime(), nullable=False),
    Column("last_synced_at", DateTime(), nullable=True),
    Column("last_error", Text(), nullable=True),
)

upstream_entries = Table(
    "upstream_entries",
    metadata,
    Column(
        "upstream", String(64), ForeignKey("upstreams.name", ondelete="CASCADE"), primary_key=True
    ),
    Column("key", String(512), primary_key=True),
    Column("name", _ordered(200), nullable=False),
    Column("version", _ordered(255), nullable=False),
    Column("body", Text(), nullable=False),
    Column("status", String(16), nullable=False),
    Column("status_message", Text(), nullable=True),
    Column("published_at", DateTime(), nullable=False),
    Column("status_changed_at", DateTime(), nullable=False),
    Column("upstream_updated_at", DateTime(), nullable=True),
    Column("upstream_seq", Integer(), nullable=True),
    Column("synced_at", DateTime(), nullable=False),
    # What the upstream said of the entry beyond its document (migration 0010): isLatest,
    # stable ids and previous names (a Registrum upstream), and its deviations.
    Column("is_latest", Boolean(), nullable=True),
    Column("server_id", String(36), nullable=True),
    Column("version_id", String(36), nullable=True),
    Column("previous_names", Text(), nullable=True),
    Column("warnings", Text(), nullable=True),
    Index("ix_upstream_entries_name", "name"),
    # No index on server_id: it is looked up only for servers renamed upstream (rare), and
    # an index on random ids made a 100,000-version first sync a third slower.
    # What an updated_since poll may have seen already (migration 0009).
    Index("ix_upstream_entries_updated", "upstream", "upstream_updated_at"),
)

# Names whose staged entries changed since they were last merged (migration 0008).
mirror_pending = Table("mirror_pending", metadata, Column("name", _ordered(200), primary_key=True))


# Ranked search with facets (issue #16, migration 0012): one row per server for its latest
# version (deleted ones too: a search for status=deleted finds them), with the texts the
# rules match folded once by the application (core.search.fold, the same on both backends),
# and one row per registry type and transport. Written by the store in the transaction of
# every change to a server's latest version (storage/search.py); searched through trigram
# indexes that only the migration declares (FTS5 on SQLite, pg_trgm on PostgreSQL).
search_entries = Table(
    "search_entries",
    metadata,
    Column("server_id", String(36), ForeignKey("servers.id"), primary_key=True),
    Column("version_id", String(36), nullable=False),
    # The version row's name: ties of rank are ordered by it, byte by byte like the list.
    Column("name", _ordered(200), nullable=False),
    # The document's name folded, its last part (after the last "/"), and its words (the
    # parts between ".", "/", "-" and "_") as "/w1/w2/.../": the ranking's name rules.
    Column("name_folded", Text(), nullable=False),
    Column("last_folded", Text(), nullable=False),
    Column("name_words", Text(), nullable=False),
    Column("title_folded", Text(), nullable=False),
    Column("description_folded", Text(), nullable=False),
    Column("namespace", Text().with_variant(Text(collation="C"), "postgresql"), nullable=False),
    Column("status", String(16), nullable=False),
    # What is served as updatedAt (the origin's for an ingested version): freshness.
    Column("updated_at", DateTime(), nullable=False),
    Column("has_remote", Boolean(), nullable=False),
    # SQLite: the rowid of the server's row in the FTS5 table search_text. NULL on PostgreSQL.
    Column("text_rowid", Integer(), nullable=True),
    # core.search.status_rank(status) (migration 0013): a blank query's results are ordered
    # by (status_rank, updated_at DESC, name), which ix_search_entries_blank_order serves.
    Column("status_rank", Integer(), nullable=False),
    Index("ix_search_entries_namespace", "namespace"),
    Index("ix_search_entries_text_rowid", "text_rowid"),
    Index("ix_search_entries_status_name", "status", "name"),
    # Covers every column the facet counts read: counting every server reads this index,
    # not the rows and their texts.
    Index("ix_search_entries_facets", "status", "has_remote", "namespace", "server_id"),
)

search_facets = Table(
    "search_facets",
    metadata,
    Column("server_id", String(36), ForeignKey("servers.id"), primary_key=True),
    Column("facet", String(16), primary_key=True),  # registryType | transport
    Column("value", Text(), primary_key=True),
    Index("ix_search_facets_facet_value", "facet", "value"),
)

# The facet counts of the blank query, kept (migration 0013): how many servers count under
# each (facet, value) among the servers of one status, and (status "*") among every server
# but the deleted ones (the default view). Written by storage/search.py:refresh in the
# transaction that changes search_entries, from each touched server's old and new rows;
# a row whose count falls to 0 is removed. ix_search_counts_top (facet, status, n DESC,
# value) gives the namespace facet's top 20 without reading every namespace.
search_counts = Table(
    "search_counts",
    metadata,
    Column("facet", String(16), primary_key=True),
    Column("status", String(16), primary_key=True),
    Column("value", Text().with_variant(Text(collation="C"), "postgresql"), primary_key=True),
    Column("n", Integer(), nullable=False),
)
