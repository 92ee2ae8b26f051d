"""Text responses compressed with brotli or gzip, without ever compressing a CSRF token.

BREACH: when a page carries a secret (our CSRF token) and echoes something an attacker
chooses (a search, a title, a ?next=), the compressed length tells whether the guess matched
part of the secret. Here a page with tokens is gzipped in pieces:

    [deflate: text before] [stored block: the token, as is] [deflate: text after] ...

Each piece of text is compressed by a fresh compressor whose dictionary is what came before
it with every token replaced by NUL bytes of the same length (no page has NUL bytes, so no
match ever reaches into them). The decoder's window holds the real token at those places,
at the same distances, so every back-reference still finds the right bytes. Nothing the
compressor sees depends on a token, so the size of the response says nothing about it;
the text around still compresses almost as well as in one piece.

Responses without a token are compressed whole: brotli when the client accepts it, else
gzip. Pages with a token are gzip only (Python's brotli cannot write the stored pieces).
The page cache (forum.pagecache) keeps the compressed pieces of the text and puts each
visitor's own token in between: no compression on a hit.
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass

import brotli
from flask import Request, Response

MIN_BYTES = 1024  # smaller bodies gain less than a few hundred bytes
GZIP_LEVEL = 6
BROTLI_QUALITY = 5  # quick enough per response, smaller than gzip -6
WINDOW = 8 * 1024  # how far back a piece may refer: as small as these pages get with 32 KB
COMPRESSIBLE_TYPES = frozenset({
    "text/html", "text/plain", "text/css", "text/csv", "text/markdown", "text/xml",
    "application/json", "application/problem+json", "application/javascript",
    "application/xml", "application/atom+xml", "application/rss+xml", "image/svg+xml",
})
# A Flask-WTF token: base64 of a JSON string of hex digits (so "Ij..." or "Im..."), a
# timestamp and a signature.
TOKEN = re.compile(rb'I[jm][A-Za-z0-9_-]{40,}\.[A-Za-z0-9_-]{4,12}\.[A-Za-z0-9_-]{20,}')
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # no name, no time, OS unknown


def accepted_encoding(req: Request, *, brotli_ok: bool = True) -> str | None:
    """The encoding to answer `req` with: br, gzip or None."""
    accepted = req.accept_encodings
    if brotli_ok and accepted["br"]:
        return "br"
    if accepted["gzip"]:
        return "gzip"
    return None


@dataclass(frozen=True)
class Pieces:
    """A body cut around its secrets: the text between them, that text compressed (raw
    deflate pieces as above), and the secrets' lengths the compression assumed."""

    texts: tuple[bytes, ...]
    deflated: tuple[bytes, ...]
    secret_lengths: tuple[int, ...]

    def gzip(self, secrets: list[bytes] | tuple[bytes, ...]) -> bytes | None:
        """The gzip body with these secrets in their places (None when one has another
        length than the pieces were made for)."""
        if tuple(len(s) for s in secrets) != self.secret_lengths:
            return None
        out = [_GZIP_HEADER]
        crc = 0
        size = 0
        for index, text in enumerate(self.texts):
            out.append(self.deflated[index])
            crc = zlib.crc32(text, crc)
            size += len(text)
            if index < len(secrets):
                secret = secrets[index]
                out.append(_stored_block(secret))
                crc = zlib.crc32(secret, crc)
                size += len(secret)
        out.append(struct.pack("<II", crc & 0xFFFFFFFF, size & 0xFFFFFFFF))
        return b"".join(out)

    def identity(self, secrets: list[bytes] | tuple[bytes, ...]) -> bytes:
        """The plain body with these secrets in their places."""
        out = []
        for index, text in enumerate(self.texts):
            out.append(text)
            if index < len(secrets):
                out.append(secrets[index])
        return b"".join(out)


def _stored_block(data: bytes) -> bytes:
    """Deflate stored (uncompressed) blocks holding `data`; the stream before is byte
    aligned (it ends with a sync flush)."""
    blocks = []
    for start in range(0, len(data), 65535):
        chunk = data[start:start + 65535]
        blocks.append(b"\x00" + struct.pack("<HH", len(chunk), len(chunk) ^ 0xFFFF) + chunk)
    return b"".join(blocks)


def cut(texts: list[bytes], secret_lengths: list[int]) -> Pieces:
    """Compress the text between secrets (len(texts) == len(secret_lengths) + 1) so that
    the result does not depend on the secrets' content."""
    deflated = []
    history = b""  # what the decoder will have seen, secrets as NUL bytes
    use_history = not any(b"\0" in text for text in texts)
    last = len(texts) - 1
    for index, text in enumerate(texts):
        if use_history and history:
            compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, -15, 8,
                                          zlib.Z_DEFAULT_STRATEGY, history)
        else:
            compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, -15)
        flush = zlib.Z_FINISH if index == last else zlib.Z_SYNC_FLUSH
        deflated.append(compressor.compress(text) + compressor.flush(flush))
        if use_history and index < last:
            history = (history + text + b"\0" * secret_lengths[index])[-WINDOW:]
    return Pieces(tuple(texts), tuple(deflated), tuple(secret_lengths))


def split_secrets(body: bytes) -> tuple[list[bytes], list[bytes]]:
    """The text between CSRF tokens, and the tokens."""
    texts = []
    secrets = []
    start = 0
    for match in TOKEN.finditer(body):
        texts.append(body[start:match.start()])
        secrets.append(match.group())
        start = match.end()
    texts.append(body[start:])
    return texts, secrets


def compressible(response: Response) -> bool:
    """Whether a response may be compressed here: a whole text body, big enough, not
    already encoded, not a partial or empty answer."""
    if response.direct_passthrough or response.is_streamed:
        return False
    if response.status_code < 200 or response.status_code in (204, 206, 304):
        return False
    if "Content-Encoding" in response.headers or "Content-Range" in response.headers:
        return False
    if response.mimetype not in COMPRESSIBLE_TYPES:
        return False
    length = response.calculate_content_length()
    return length is not None and length >= MIN_BYTES


def compress_response(req: Request, response: Response) -> Response:
    """Compress `response` for `req` when both allow it (see the module's docstring)."""
    if not compressible(response):
        return response
    response.vary.add("Accept-Encoding")
    body = response.get_data()
    texts, secrets = split_secrets(body)
    encoding = accepted_encoding(req, brotli_ok=not secrets)
    if encoding is None:
        return response
    if encoding == "br":
        data = brotli.compress(body, quality=BROTLI_QUALITY)
    elif secrets:
        data = cut(texts, [len(s) for s in secrets]).gzip(secrets)
    else:
        compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)
        data = compressor.compress(body) + compressor.flush()
    return encoded(response, data, encoding)


def encoded(response: Response, data: bytes, encoding: str) -> Response:
    """`response` carrying `data`, already in `encoding`."""
    response.set_data(data)
    response.headers["Content-Encoding"] = encoding
    response.vary.add("Accept-Encoding")
    etag, weak = response.get_etag()
    if etag:  # another representation: another tag
        response.set_etag(f"{etag}-{encoding}", weak=weak)
    return response
