"""Static files under names made from their content, cached for a year, served compressed.

- At startup each file under the static folder is hashed (once per process: the result is
  kept while the files' sizes and times stay the same); `url_for('static', filename=...)`
  then gives `<10 hex digits of its SHA-256>/css/tacit.css`. Every process that has the same
  files gives the same names, so several processes behind a proxy agree.
- A fingerprinted name is answered `Cache-Control: public, max-age=31536000, immutable`.
  The plain name, and a name with an old fingerprint (a page from before a deploy), still
  work, with a short cache: old pages never break.
- Text files (CSS, JS, SVG...) are sent with brotli or gzip when the client accepts it, with
  `Vary: Accept-Encoding`. The compressed forms come from `<file>.br` and `<file>.gz` beside
  the original when those are at least as new as it (`flask static compress` writes them at
  build time; nginx's `gzip_static on` serves the same files), else they are made once per
  process on first request and kept in memory.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import brotli
import click
from flask import Flask, current_app, request
from flask.cli import AppGroup

EXTENSION = "tacit_static_files"
IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=300"
DIGEST_LENGTH = 10
# The fingerprint is the first folder of the name: /static/<digest>/css/tacit.css.
FINGERPRINTED = re.compile(r"^(?P<digest>[0-9a-f]{10})/(?P<name>.+)$")
COMPRESSIBLE = frozenset({".css", ".js", ".mjs", ".svg", ".json", ".map", ".txt", ".html",
                          ".xml", ".md"})
MIN_COMPRESS_BYTES = 512  # smaller files gain less than the headers cost
MAX_KEPT_BYTES = 2 * 1024 * 1024  # larger files are left to send_static_file
ENCODED_SUFFIX = {"br": ".br", "gzip": ".gz"}


@dataclass
class Asset:
    """One static file: its content, its fingerprint and its compressed forms."""

    path: Path
    name: str  # relative to the static folder, with / separators
    data: bytes
    digest: str
    mtime_ns: int
    mimetype: str
    compressible: bool
    encoded: dict[str, bytes] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url_name(self) -> str:
        return f"{self.digest}/{self.name}"

    def body(self, encoding: str | None) -> bytes:
        """The file's bytes in `encoding` (None: as stored)."""
        if encoding is None:
            return self.data
        found = self.encoded.get(encoding)
        if found is None:
            with self.lock:
                found = self.encoded.get(encoding)
                if found is None:
                    found = self.encoded[encoding] = _beside(self, encoding) \
                        or compress(self.data, encoding)
        return found


def compress(data: bytes, encoding: str) -> bytes:
    """`data` compressed as well as the format allows (for files made once)."""
    if encoding == "br":
        return brotli.compress(data, quality=11)
    return gzip.compress(data, compresslevel=9, mtime=0)


def _beside(asset: Asset, encoding: str) -> bytes | None:
    """The build's `<file>.br` / `<file>.gz` when it is at least as new as the file."""
    path = asset.path.with_name(asset.path.name + ENCODED_SUFFIX[encoding])
    try:
        if path.stat().st_mtime_ns >= asset.mtime_ns:
            return path.read_bytes()
    except OSError:
        pass
    return None


# {static folder: (signature of its files, {name: Asset})}, shared by the apps of a process
_KNOWN: dict[str, tuple[tuple, dict[str, Asset]]] = {}
_KNOWN_LOCK = threading.Lock()


def _files(folder: Path) -> list[tuple[str, Path, os.stat_result]]:
    found = []
    for root, _dirs, names in os.walk(folder):
        for name in names:
            if name.endswith((".gz", ".br")) or name.startswith("."):
                continue
            path = Path(root, name)
            stat = path.stat()
            if stat.st_size <= MAX_KEPT_BYTES:
                found.append((path.relative_to(folder).as_posix(), path, stat))
    return sorted(found)


def scan(folder: str | os.PathLike) -> dict[str, Asset]:
    """Every file of `folder` by its relative name, hashed (again only when a file's size or
    time changed since the last scan in this process)."""
    folder = Path(folder)
    files = _files(folder) if folder.is_dir() else []
    signature = tuple((name, stat.st_size, stat.st_mtime_ns) for name, _path, stat in files)
    with _KNOWN_LOCK:
        known = _KNOWN.get(str(folder))
        if known is not None and known[0] == signature:
            return known[1]
    assets = {}
    for name, path, stat in files:
        data = path.read_bytes()
        ext = path.suffix.lower()
        mimetype = mimetypes.guess_type(name)[0] or "application/octet-stream"
        assets[name] = Asset(
            path=path, name=name, data=data,
            digest=hashlib.sha256(data).hexdigest()[:DIGEST_LENGTH],
            mtime_ns=stat.st_mtime_ns, mimetype=mimetype,
            compressible=ext in COMPRESSIBLE and len(data) >= MIN_COMPRESS_BYTES)
    with _KNOWN_LOCK:
        _KNOWN[str(folder)] = (signature, assets)
    return assets


def assets() -> dict[str, Asset]:
    """This app's static files, by name."""
    return current_app.extensions[EXTENSION]


def version(known: dict[str, Asset]) -> str:
    """One fingerprint of all the static files (the same on every process with them)."""
    digest = hashlib.sha256()
    for name, asset in sorted(known.items()):
        digest.update(f"{name}:{asset.digest};".encode())
    return digest.hexdigest()[:DIGEST_LENGTH]


def find(filename: str) -> tuple[Asset | None, bool]:
    """The asset a requested name means, and whether the name carries its current
    fingerprint (only then may the answer be cached for a year)."""
    known = assets()
    asset = known.get(filename)
    if asset is not None:
        return asset, False
    match = FINGERPRINTED.match(filename)
    if match is None:
        return None, False
    asset = known.get(match["name"])
    if asset is None:
        return None, False
    return asset, match["digest"] == asset.digest


def choose_encoding(asset: Asset) -> str | None:
    """br or gzip when the client accepts it and the file gains from it; never for a range
    request (ranges are of the file as stored)."""
    if not asset.compressible or request.range is not None:
        return None
    accepted = request.accept_encodings
    for encoding in ("br", "gzip"):
        if accepted[encoding]:
            return encoding
    return None


def serve_static(filename: str):
    """The static view: fingerprinted names for a year, others briefly, compressed when the
    client accepts it."""
    asset, current = find(filename)
    if asset is None:  # not there at startup: Flask's own view (a 404, mostly)
        response = current_app.send_static_file(filename)
        response.headers["Cache-Control"] = SHORT
        return response
    encoding = choose_encoding(asset)
    body = asset.body(encoding)
    response = current_app.response_class(body, mimetype=asset.mimetype)
    if encoding:
        response.headers["Content-Encoding"] = encoding
    if asset.compressible:
        response.vary.add("Accept-Encoding")
    response.set_etag(f"{asset.digest}-{encoding or 'identity'}")
    response.headers["Cache-Control"] = IMMUTABLE if current else SHORT
    return response.make_conditional(request, accept_ranges=encoding is None,
                                     complete_length=len(body) if encoding is None else None)


def _fingerprint_static_urls(endpoint: str, values: dict) -> None:
    if endpoint != "static":
        return
    values.pop("v", None)  # the old per-process version parameter
    asset = current_app.extensions[EXTENSION].get(values.get("filename"))
    if asset is not None:
        values["filename"] = asset.url_name


static_cli = AppGroup("static", help="Static files: compressed forms for the web server.")


@static_cli.command("compress")
def compress_command() -> None:
    """Write <file>.gz and <file>.br beside each text file of the static folder (for nginx's
    gzip_static and for the app; files that did not change are left alone)."""
    written = 0
    for asset in scan(current_app.static_folder).values():
        if not asset.compressible:
            continue
        for encoding, suffix in ENCODED_SUFFIX.items():
            path = asset.path.with_name(asset.path.name + suffix)
            if _beside(asset, encoding) is not None and \
                    _decoded(path.read_bytes(), encoding) == asset.data:
                continue
            path.write_bytes(compress(asset.data, encoding))
            written += 1
    click.echo(f"{written} compressed files written in {current_app.static_folder}")


def _decoded(data: bytes, encoding: str) -> bytes | None:
    try:
        return brotli.decompress(data) if encoding == "br" else gzip.decompress(data)
    except Exception:
        return None


def register_static_files(app: Flask) -> None:
    """Hash the static files, fingerprint their URLs and serve them with long caching."""
    known = app.extensions[EXTENSION] = scan(app.static_folder) if app.static_folder else {}
    app.config["STATIC_VERSION"] = version(known)
    if "static" in app.view_functions:
        app.view_functions["static"] = serve_static
    if app.debug:  # a developer edits the files: look again (a stat per file) each request
        @app.before_request
        def rescan_static_files():
            app.extensions[EXTENSION] = scan(app.static_folder)
    app.url_defaults(_fingerprint_static_urls)
    app.cli.add_command(static_cli)
