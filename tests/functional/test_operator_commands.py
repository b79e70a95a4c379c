"""Operator commands say which database they work on, and only ``serve`` and ``import`` make
a new one: the others, run in a folder without a registry, stop and create nothing (run as
the operator runs them: real processes in real folders)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.conftest import throwaway_postgres
from tests.factories import server_json
from tests.processes import run_cli, serving

pytestmark = pytest.mark.slow

# Whatever the environment running the tests holds, these runs use the defaults: the
# database and the signing key in ./registrum-data.
DEFAULTS = {
    "MCP_REGISTRY_DATABASE_URL": "",
    "MCP_REGISTRY_DATA_DIR": "registrum-data",
    "MCP_REGISTRY_JWT_PRIVATE_KEY": "",
    "MCP_REGISTRY_POLICY_FILE": "",
    "MCP_REGISTRY_ENABLE_REGISTRY_VALIDATION": "false",
}

# Every command that opens the database and needs one that exists, with arguments that
# would succeed on an existing registry (no network: the upstream is a file).
EXISTING_ONLY = [
    ("export",),
    ("export", "-o", "dump.json"),
    ("mirror", "add", "dump", "upstream.json", "--kind", "file"),
    ("mirror", "list"),
    ("mirror", "sync", "dump", "--quiet"),
    ("policy", "explain", "com.example/weather"),
    ("policy", "apply"),
    ("mirror", "remove", "dump"),
]


def _name(args: tuple[str, ...]) -> str:
    return " ".join(a for a in args[:2] if not a.startswith("-"))


def _sqlite(folder: Path) -> str:
    return f"sqlite:///{folder.absolute() / 'registrum-data' / 'registry.db'}"


def _database_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("database: ")]


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@pytest.mark.parametrize("args", EXISTING_ONLY, ids=" ".join)
def test_in_a_folder_without_a_registry_the_command_stops_and_creates_nothing(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    (tmp_path / "upstream.json").write_text("[]")
    result = run_cli(*args, cwd=tmp_path, env=DEFAULTS)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    stderr = result.stderr
    assert _database_lines(stderr) == [f"database: {_sqlite(tmp_path)}"]
    assert f"no registry at {_sqlite(tmp_path)} (no such file)" in stderr
    assert f"`registrum {_name(args)}` works on an existing one and creates nothing" in stderr
    assert "Run it in the folder that holds registrum-data/" in stderr
    for way in ("MCP_REGISTRY_DATA_DIR", "MCP_REGISTRY_DATABASE_URL", "--database-url"):
        assert way in stderr
    assert "`registrum serve` or `registrum import`" in stderr
    # No database, no data folder, no signing key, no output file.
    assert _files(tmp_path) == {"upstream.json"}


def test_the_refusal_names_the_data_dir_it_looked_in(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    result = run_cli(
        "mirror", "list", cwd=tmp_path, env={**DEFAULTS, "MCP_REGISTRY_DATA_DIR": str(elsewhere)}
    )
    assert result.returncode == 2
    assert f"no registry at sqlite:///{elsewhere / 'registry.db'}" in result.stderr
    assert not elsewhere.exists()


def test_import_creates_a_new_registry_and_says_so_then_every_command_names_it(
    tmp_path: Path,
) -> None:
    (tmp_path / "seed.json").write_text(json.dumps([server_json("com.example/weather")]))
    (tmp_path / "upstream.json").write_text("[]")
    first = run_cli("import", "seed.json", cwd=tmp_path, env=DEFAULTS)
    assert first.returncode == 0, first.stderr
    assert _database_lines(first.stderr) == [f"database: {_sqlite(tmp_path)} (new)"]
    assert (tmp_path / "registrum-data" / "registry.db").is_file()
    again = run_cli("import", "seed.json", cwd=tmp_path, env=DEFAULTS)
    assert _database_lines(again.stderr) == [f"database: {_sqlite(tmp_path)}"]
    for args in EXISTING_ONLY:
        result = run_cli(*args, cwd=tmp_path, env=DEFAULTS)
        assert result.returncode == 0, (args, result.stderr)
        assert _database_lines(result.stderr) == [f"database: {_sqlite(tmp_path)}"], args
        assert "database:" not in result.stdout, args
    # Only `serve` signs tokens: no other command leaves a signing key behind.
    assert not (tmp_path / "registrum-data" / "jwt-private-key").exists()


def test_export_to_stdout_stays_valid_json(tmp_path: Path) -> None:
    docs = [server_json("com.example/weather", version=f"1.{i}.0") for i in range(3)]
    (tmp_path / "seed.json").write_text(json.dumps(docs))
    assert run_cli("import", "seed.json", cwd=tmp_path, env=DEFAULTS).returncode == 0
    result = run_cli("export", cwd=tmp_path, env=DEFAULTS)
    assert result.returncode == 0, result.stderr
    exported = json.loads(result.stdout)
    assert [item["server"] for item in exported] == docs
    assert _database_lines(result.stderr) == [f"database: {_sqlite(tmp_path)}"]
    assert "exported 3 version(s)" in result.stderr


def test_serve_creates_a_new_registry_and_names_it(tmp_path: Path) -> None:
    with serving(tmp_path, DEFAULTS) as (_, log):
        assert f"database: {_sqlite(tmp_path)} (new)" in log.read_text()
    assert (tmp_path / "registrum-data" / "registry.db").is_file()
    with serving(tmp_path, DEFAULTS) as (_, log):
        text = log.read_text()
        assert f"database: {_sqlite(tmp_path)}\n" in text
        assert "(new)" not in text


@pytest.mark.parametrize(
    "command", ["serve", "import", "mirror", *sorted({_name(args) for args in EXISTING_ONLY})]
)
def test_help_says_the_command_works_on_the_local_database(tmp_path: Path, command: str) -> None:
    result = run_cli(*command.split(), "--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())  # as one line, whatever the wrapping
    assert "Works on the local registry database: registrum-data/registry.db" in text
    for way in ("MCP_REGISTRY_DATA_DIR", "MCP_REGISTRY_DATABASE_URL", "--database-url"):
        assert way in text
    creates = command in ("serve", "import")
    assert ("Creates it when it does not exist yet" in text) is creates
    assert ("It must exist already" in text) is not creates


def test_policy_check_opens_no_database(tmp_path: Path) -> None:
    (tmp_path / "policy.toml").write_text('default = "allow"\n')
    result = run_cli("policy", "check", "policy.toml", cwd=tmp_path, env=DEFAULTS)
    assert result.returncode == 0, result.stderr
    assert _database_lines(result.stderr) == []
    assert _files(tmp_path) == {"policy.toml"}


def test_a_postgresql_password_is_never_shown(tmp_path: Path) -> None:
    url = "postgresql://registrum:hunter2secret@127.0.0.1:1/registrum"
    result = run_cli("export", "--database-url", url, cwd=tmp_path, env=DEFAULTS)
    assert result.returncode == 2
    assert "cannot open the database postgresql://registrum:***@127.0.0.1:1/registrum" in (
        result.stderr
    )
    assert "hunter2secret" not in result.stderr + result.stdout
    assert _files(tmp_path) == set()


# --- PostgreSQL ----------------------------------------------------------------------------


@pytest.fixture
def empty_postgres() -> Iterator[str]:
    """A new PostgreSQL database with nothing in it (skips without PostgreSQL)."""
    yield from throwaway_postgres("empty")


def _tables(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchall()
    return [row[0] for row in rows]


def test_an_empty_postgresql_database_is_refused_and_left_empty(
    tmp_path: Path, empty_postgres: str
) -> None:
    (tmp_path / "upstream.json").write_text("[]")
    env = {**DEFAULTS, "MCP_REGISTRY_DATABASE_URL": empty_postgres}
    for args in EXISTING_ONLY:
        result = run_cli(*args, cwd=tmp_path, env=env)
        assert result.returncode == 2, (args, result.stderr)
        assert _database_lines(result.stderr) == [f"database: {empty_postgres}"], args
        assert (
            f"no registry at {empty_postgres} (the database has no Registrum tables)"
            in result.stderr
        ), args
        assert "MCP_REGISTRY_DATABASE_URL or --database-url" in result.stderr
    assert _tables(empty_postgres) == []  # no migration ran
    assert _files(tmp_path) == {"upstream.json"}


def test_import_sets_up_an_empty_postgresql_database_then_the_others_work(
    tmp_path: Path, empty_postgres: str
) -> None:
    (tmp_path / "seed.json").write_text(json.dumps([server_json("com.example/weather")]))
    (tmp_path / "upstream.json").write_text("[]")
    first = run_cli(
        "import", "seed.json", "--database-url", empty_postgres, cwd=tmp_path, env=DEFAULTS
    )
    assert first.returncode == 0, first.stderr
    assert _database_lines(first.stderr) == [f"database: {empty_postgres} (new)"]
    assert "alembic_version" in _tables(empty_postgres)
    exported = run_cli("export", "--database-url", empty_postgres, cwd=tmp_path, env=DEFAULTS)
    assert exported.returncode == 0, exported.stderr
    assert _database_lines(exported.stderr) == [f"database: {empty_postgres}"]
    assert [item["server"]["name"] for item in json.loads(exported.stdout)] == [
        "com.example/weather"
    ]
    # The registry lives in PostgreSQL: nothing is written in the folder the commands ran in.
    assert _files(tmp_path) == {"seed.json", "upstream.json"}
