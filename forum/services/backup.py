"""Backups and restores of a whole forum: the database, the instance files, a manifest.

A backup is one tar file (written next to PATH, then renamed into place) holding:

- `manifest.json`: format, database kind, schema revision (alembic), time (UTC), the
  forum's version, and the SHA-256 and size of every other member;
- `database.sqlite`: a copy made with SQLite's online backup API, one step under one read
  transaction, so it is a consistent snapshot while the forum keeps writing (WAL lets the
  writers go on); the FTS5 search tables are inside it; or
- `database.pgdump`: `pg_dump --format=custom`, which reads one snapshot of the whole
  database (its search tables, their generated tsvector columns and GIN indexes included);
- `instance/secret_key` (when the instance has that file) and `instance/outbox/...` (the
  mail outbox folder, when it exists): what signed cookies, tokens and links need.

`restore` checks the checksums, refuses a database that holds any row (restore into a new,
empty database: stop the forum, point FORUM_DATABASE_URL at it), brings the database back
(SQLite's backup API the other way; `pg_restore`) and puts the instance files back. The
messages are for the operator at a terminal (English, like the rest of the command line).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from flask import current_app
from sqlalchemy import inspect, text
from sqlalchemy.engine import URL

from forum.errors import ServiceError
from forum.extensions import db

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite"
POSTGRESQL_MEMBER = "database.pgdump"
# Tables that may hold rows in a database that is still "empty": the schema's own version.
BOOKKEEPING_TABLES = {"alembic_version"}


class BackupError(ServiceError):
    """A backup or restore cannot be done; the message says why and what to do."""

    status, code = 409, "backup_failed"


@dataclass
class BackupReport:
    """What a backup wrote, or what a restore brought back."""

    path: Path
    manifest: dict
    restored_files: list[str] = field(default_factory=list)


def forum_version() -> str:
    """The installed forum's version (pyproject.toml), or "unknown"."""
    try:
        return metadata.version("tacit")
    except metadata.PackageNotFoundError:
        return "unknown"


def schema_revision() -> str | None:
    """The alembic revision the database is at (None when it was never migrated)."""
    with db.engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def backup(path) -> BackupReport:
    """Write a consistent backup of this forum's database and instance files to `path` (a
    tar file; an existing file is replaced only once the new one is complete).

    Raises BackupError when the database cannot be copied (pg_dump missing, or older than
    the server)."""
    path = Path(path).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    kind = db.engine.dialect.name
    with tempfile.TemporaryDirectory(prefix="tacit-backup-", dir=path.parent) as work:
        work = Path(work)
        files: dict[str, Path] = {}
        revision = schema_revision()
        taken_at = datetime.now(UTC)
        if kind == "sqlite":
            files[SQLITE_MEMBER] = work / SQLITE_MEMBER
            _sqlite_copy(_sqlite_path(), files[SQLITE_MEMBER])
        elif kind == "postgresql":
            files[POSTGRESQL_MEMBER] = work / POSTGRESQL_MEMBER
            _pg_dump(files[POSTGRESQL_MEMBER])
        else:
            raise BackupError(f"backups of a {kind} database are not supported")
        for name, source in _instance_files():
            files[name] = source
        manifest = {
            "format": FORMAT,
            "database": kind,
            "schema_revision": revision,
            "created_at": taken_at.isoformat(timespec="seconds"),
            "forum_version": forum_version(),
            "files": {name: {"sha256": _sha256(source), "size": source.stat().st_size}
                      for name, source in files.items()},
        }
        partial = work / "backup.tar"
        with tarfile.open(partial, "w") as tar:
            data = json.dumps(manifest, indent=2).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(data), int(taken_at.timestamp()), 0o600
            tar.addfile(info, io.BytesIO(data))
            for name, source in files.items():
                tar.add(source, arcname=name, recursive=False)
        os.chmod(partial, 0o600)  # it holds the secret key and every account
        os.replace(partial, path)
    return BackupReport(path=path, manifest=manifest)


def read_manifest(path) -> dict:
    """The manifest of a backup file; raises BackupError when it is not one."""
    try:
        with tarfile.open(path, "r") as tar:
            member = tar.extractfile(MANIFEST)
            return json.loads(member.read())
    except (OSError, tarfile.TarError, KeyError, ValueError) as error:
        raise BackupError(f"{path} is not a Tacit backup: {error}") from error


def restore(path) -> BackupReport:
    """Bring a backup back into this forum's database, which must be empty (no row in any
    table; an empty schema is fine), and put its instance files back.

    Raises BackupError when the file is not a sound backup (bad checksum, other database
    kind, newer format) or the database holds rows already."""
    path = Path(path).resolve()
    manifest = read_manifest(path)
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path} has backup format {manifest.get('format')!r}; this "
                          f"version of Tacit reads format {FORMAT}")
    kind = db.engine.dialect.name
    if kind == "sqlite":
        _sqlite_path().parent.mkdir(parents=True, exist_ok=True)
    if manifest.get("database") != kind:
        raise BackupError(f"{path} is a {manifest.get('database')} backup and "
                          f"FORUM_DATABASE_URL names a {kind} database: restore it into a "
                          f"{manifest.get('database')} database")
    filled = _tables_with_rows()
    if filled:
        raise BackupError(
            "the database is not empty (rows in " + ", ".join(filled[:5])
            + (", ..." if len(filled) > 5 else "") + "): restore only into a new, empty "
            "database, with the forum stopped")
    with tempfile.TemporaryDirectory(prefix="tacit-restore-") as work:
        work = Path(work)
        _extract_checked(path, manifest, work)
        db.session.remove()
        if kind == "sqlite":
            _sqlite_copy(work / SQLITE_MEMBER, _sqlite_path())
        else:
            _pg_restore(work / POSTGRESQL_MEMBER)
        db.engine.dispose()  # pooled connections may have cached the old, empty schema
        restored = _put_instance_files(work)
    return BackupReport(path=path, manifest=manifest, restored_files=restored)


# -- the database ----------------------------------------------------------------------


def _sqlite_path() -> Path:
    database = db.engine.url.database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(database)


def _sqlite_copy(source: Path, target: Path) -> None:
    """Copy a whole SQLite database with the online backup API, in one step: the copy is
    one snapshot of the source, however busy its writers are."""
    if not source.exists():
        raise BackupError(f"no SQLite database at {source}")
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(target, timeout=30)
    try:
        src.backup(dst, pages=-1)
        if target.name == SQLITE_MEMBER:
            # One self-contained file in the backup, whatever the live file's journal mode.
            dst.execute("PRAGMA journal_mode=DELETE")
        else:
            dst.execute("PRAGMA journal_mode=WAL")
    except sqlite3.Error as error:
        raise BackupError(f"SQLite copy from {source} to {target} failed: {error}") from error
    finally:
        dst.close()
        src.close()


def _libpq_target() -> tuple[list[str], dict]:
    """Connection options for pg_dump/pg_restore, and an environment with the password
    (never on the command line, where `ps` shows it)."""
    url: URL = db.engine.url
    args = ["--dbname", url.set(drivername="postgresql", password=None)
            .render_as_string(hide_password=False)]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return args, env


def _pg_tool(name: str) -> str:
    tool = shutil.which(name)
    if tool is None:
        raise BackupError(f"{name} is not installed: install the PostgreSQL client of the "
                          "server's major version (Debian: apt-get install postgresql-client)")
    version = subprocess.run([tool, "--version"], capture_output=True, text=True).stdout
    client_major = _major(version.split()[-1] if version.split() else "")
    with db.engine.connect() as conn:
        server_major = int(conn.execute(text("SHOW server_version_num")).scalar()) // 10000
    if client_major is not None and client_major < server_major:
        raise BackupError(f"{name} is version {client_major} and the server is "
                          f"{server_major}: install the PostgreSQL {server_major} client tools")
    return tool


def _major(version: str) -> int | None:
    digits = version.split(".")[0]
    return int(digits) if digits.isdigit() else None


def _pg_dump(target: Path) -> None:
    tool = _pg_tool("pg_dump")
    args, env = _libpq_target()
    done = subprocess.run([tool, "--format=custom", "--no-owner", "--no-privileges",
                           "--file", str(target), *args], env=env, capture_output=True,
                          text=True)
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed: {done.stderr.strip()}")


def _pg_restore(source: Path) -> None:
    tool = _pg_tool("pg_restore")
    args, env = _libpq_target()
    with db.engine.connect() as conn:
        has_schema = bool(inspect(conn).get_table_names())
    # A schema made by `flask db upgrade` (empty tables) is replaced by the backup's.
    clean = ["--clean", "--if-exists"] if has_schema else []
    done = subprocess.run([tool, "--no-owner", "--no-privileges", "--single-transaction",
                           "--exit-on-error", *clean, *args, str(source)], env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed: {done.stderr.strip()}")


def _tables_with_rows() -> list[str]:
    """The tables of the database that hold at least one row (bookkeeping excepted)."""
    with db.engine.connect() as conn:
        names = [name for name in inspect(conn).get_table_names()
                 if name not in BOOKKEEPING_TABLES]
        if conn.dialect.name == "sqlite":
            # FTS5 shadow tables (question_fts_config...) hold rows even when the index is
            # empty: only the virtual tables themselves count.
            virtual = conn.execute(text(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND sql LIKE 'CREATE VIRTUAL TABLE%'")).scalars().all()
            names = [n for n in names
                     if not any(n.startswith(f"{v}_") for v in virtual)]
        quote = conn.dialect.identifier_preparer.quote
        return [name for name in sorted(names)
                if conn.execute(text(f"SELECT 1 FROM {quote(name)} LIMIT 1")).first()]


# -- instance files ----------------------------------------------------------------------


def _instance_files() -> list[tuple[str, Path]]:
    """(name in the backup, file) for the secret key and every file of the outbox."""
    found = []
    secret = Path(current_app.instance_path) / "secret_key"
    if secret.is_file():
        found.append(("instance/secret_key", secret))
    outbox = Path(current_app.config.get("OUTBOX_DIR") or "")
    if str(outbox) not in ("", ".") and outbox.is_dir():
        for item in sorted(outbox.rglob("*")):
            if item.is_file():
                found.append((f"instance/outbox/{item.relative_to(outbox).as_posix()}", item))
    return found


def _extract_checked(path: Path, manifest: dict, work: Path) -> None:
    """Extract every member the manifest lists into `work`, checking size and SHA-256."""
    expected = manifest.get("files") or {}
    with tarfile.open(path, "r") as tar:
        for name, facts in expected.items():
            target = (work / name).resolve()
            if not target.is_relative_to(work.resolve()):
                raise BackupError(f"{path}: unsafe member name {name!r}")
            try:
                member = tar.getmember(name)
            except KeyError as error:
                raise BackupError(f"{path} lacks {name}: the file is incomplete") from error
            target.parent.mkdir(parents=True, exist_ok=True)
            with tar.extractfile(member) as source, open(target, "wb") as out:
                shutil.copyfileobj(source, out)
            if target.stat().st_size != facts.get("size") or \
                    _sha256(target) != facts.get("sha256"):
                raise BackupError(f"{path}: {name} does not match its checksum: the file is "
                                  "damaged; use another backup")


def _put_instance_files(work: Path) -> list[str]:
    """Put the secret key and outbox files back where this instance keeps them."""
    restored = []
    secret = work / "instance" / "secret_key"
    if secret.is_file():
        target = Path(current_app.instance_path) / "secret_key"
        target.parent.mkdir(parents=True, exist_ok=True)
        # The backup's key keeps sessions, API tokens and mailed links valid.
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(secret.read_bytes())
        os.chmod(target, 0o600)
        restored.append(str(target))
    outbox = work / "instance" / "outbox"
    if outbox.is_dir() and current_app.config.get("OUTBOX_DIR"):
        target_dir = Path(current_app.config["OUTBOX_DIR"])
        for item in sorted(outbox.rglob("*")):
            if item.is_file():
                target = target_dir / item.relative_to(outbox)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(item, target)
                restored.append(str(target))
    return restored


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
