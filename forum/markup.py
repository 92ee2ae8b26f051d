"""Markdown to sanitized HTML: the only place user-written Markdown becomes HTML.

Pipeline: clean the source string, render it with Python-Markdown (raw HTML
disabled so it shows as text), then pass the result through nh3 with an explicit
allow-list.  nh3 is the security boundary; the Markdown tweaks are defence in
depth and keep the output readable.

Decisions (bump MARKUP_VERSION when any of these change):
- Raw HTML in the source is escaped, not stripped: `<script>` shows up as text.
- `<code class>` is kept only when it is exactly `language-xxx` (fenced code).
- Images are kept only with an absolute http(s) `src`; others become their alt text.
- Bare `https://...`, `http://...` and `www....` URLs are auto-linked (`www.` as https).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from xml.etree import ElementTree as etree

import markdown
import nh3
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor, LinkInlineProcessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import AtomicString

MARKUP_VERSION: int = 1

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6",
    "strong", "em", "b", "i", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "img",
    "table", "thead", "tbody", "tr", "th", "td",
    "del", "sup", "sub",
}  # fmt: skip
# No style, id, name or on* anywhere: no CSS tricks, no DOM clobbering, no handlers.
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "th": {"align"},
    "td": {"align"},
    "ol": {"start"},
    "code": {"class"},
}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow noopener ugc"

# Browsers ignore ASCII whitespace and C0 controls inside a URL scheme ("java\tscript:").
_URL_IGNORED = re.compile(r"[\x00-\x20\x7f]+")
# C0 controls other than tab/newline/CR, plus DEL: never meaningful in a post.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATES = re.compile(r"[\ud800-\udfff]")
_LANGUAGE_CLASS = re.compile(r"language-[A-Za-z0-9_+#.-]{1,40}")
_ALIGN_VALUES = {"left", "right", "center"}
# Python-Markdown scans to the end of the paragraph for every "[" (and every "(" after
# "[text]"), which is quadratic: 8 KB of "[" took seconds.  We bound both scans.
_MAX_LINK_TEXT = 1000  # chars of "[text]" (with up to 3 levels of nested brackets)
_MAX_LINK_DEST = 1000  # chars of '(url "title")'
_NO_BRACKETS = r"[^\[\]]*+"  # possessive: no backtracking, so matching stays linear
_NESTED_TEXT = _NO_BRACKETS
for _ in range(3):
    _NESTED_TEXT = rf"{_NO_BRACKETS}(?:\[{_NESTED_TEXT}\]{_NO_BRACKETS})*+"
_LINK_TEXT_RE = re.compile(rf"({_NESTED_TEXT})\]")
_TABLE_SEPARATOR_CHARS = frozenset("|:- ")
# Above this many chars the source is shown as plain escaped paragraphs: Python-Markdown
# has superlinear corners (about 1 s for 50 000 hostile chars, 4 s for 200 000), so
# callers should cap posts well below this; this is only a backstop.
_MAX_MARKDOWN_CHARS = 200_000


def _normalized_url(value: str) -> str:
    """Return a URL as a browser would see its scheme: unescaped, squeezed, lowercased."""
    return _URL_IGNORED.sub("", html.unescape(value)).lower()


def _is_web_url(value: str) -> bool:
    """Whether a URL is absolute http(s), the only kind allowed for images."""
    return _normalized_url(value).startswith(("http://", "https://"))


def _is_safe_href(value: str) -> bool:
    """Whether a link URL is http(s)/mailto or plainly relative (no scheme-like prefix)."""
    url = _normalized_url(value)
    head = re.split(r"[/?#]", url, maxsplit=1)[0]
    if ":" not in head:
        return True
    return url.startswith(("http:", "https:", "mailto:"))


def _attribute_filter(tag: str, attr: str, value: str) -> str | None:
    """nh3 callback: second line of defence on top of nh3's own URL-scheme check."""
    if attr == "href":
        return value if _is_safe_href(value) else None
    if attr == "src":
        return value if _is_web_url(value) else None
    if attr == "class":
        return value if tag == "code" and _LANGUAGE_CLASS.fullmatch(value) else None
    if attr == "align":
        return value if value.lower() in _ALIGN_VALUES else None
    if attr == "start":
        return value if value.isascii() and value.isdigit() and len(value) <= 9 else None
    return value


class _BareUrlProcessor(InlineProcessor):
    """Turn bare http(s):// and www. URLs in running text into links."""

    # Never nest a link inside a link ("[see https://a](https://b)").
    ANCESTOR_EXCLUDES = ("a",)

    def handleMatch(self, m, data):
        url = m.group(1)
        # Trailing punctuation usually ends the sentence rather than the URL.
        while url:
            last = url[-1]
            if last in ".,:;!?*_~'\"":
                url = url[:-1]
            elif last == ")" and url.count(")") > url.count("("):
                url = url[:-1]
            elif last == "]" and url.count("]") > url.count("["):
                url = url[:-1]
            else:
                break
        prefix = len("www.") if url[:4].lower() == "www." else url.index("//") + 2
        if len(url) <= prefix:
            return None, None, None
        el = etree.Element("a")
        el.set("href", url if url[:4].lower() == "http" else "https://" + url)
        # AtomicString: later patterns (emphasis) must not mangle "_" inside the URL.
        el.text = AtomicString(url)
        return el, m.start(1), m.start(1) + len(url)


# Not preceded by a word char or URL-ish char, so "x@www.a" or "/https://" stay text;
# the host must start with a letter or digit ("http://;x" is no link).  The URL stops
# at whitespace, quotes, angle brackets and control chars; the latter include Markdown's
# internal placeholders, so code spans and escapes are never swallowed.
_BARE_URL_RE = r"(?<![\w/@.:+-])((?i:https?://|www\.)(?=\w)[^\s<>\"'`\x00-\x1f\x7f]+)"


def _link_text(data: str, index: int) -> tuple[str, int, bool]:
    """Bounded, regex-based replacement for LinkInlineProcessor.getText."""
    m = _LINK_TEXT_RE.match(data, index, index + _MAX_LINK_TEXT)
    return (m.group(1), m.end(), True) if m else ("", index, False)


def _bounded_link_dest(get_link):
    """Wrap LinkInlineProcessor.getLink so it never looks past _MAX_LINK_DEST chars."""

    def bounded(data: str, index: int):
        if data.find(")", index, index + _MAX_LINK_DEST) < 0:  # cheap early exit, in C
            return "", None, index, False
        href, title, end, handled = get_link(data[index : index + _MAX_LINK_DEST], 0)
        if end < 0:  # getLink's "unclosed title" fallback can return -1: treat as no link
            return "", None, index, False
        return href, title, index + end, handled

    return bounded


def _quick_table_test(test):
    """Wrap TableProcessor.test to reject non-tables by their first two lines only.

    The stock test splits the whole block on every call, and blocks that are eaten one
    line at a time (e.g. 10 000 "# x" lines) made that quadratic.
    """

    def quick(parent, block: str) -> bool:
        first_end = block.find("\n")
        if first_end < 0 or block.find("|", 0, first_end) < 0:
            return False
        second_end = block.find("\n", first_end + 1)
        second = block[first_end + 1 : second_end if second_end >= 0 else len(block)]
        if not set(second) <= _TABLE_SEPARATOR_CHARS:
            return False
        return test(parent, block)

    return quick


class _UnsafeImageProcessor(Treeprocessor):
    """Replace images whose src is not absolute http(s) by their alt text."""

    def run(self, root):
        for el in root.iter("img"):
            if not _is_web_url(el.get("src", "")):
                alt = el.get("alt", "")
                el.attrib.clear()
                # A <span> is not allow-listed, so nh3 unwraps it and keeps the text.
                el.tag = "span"
                el.text = alt
        return None


class _ForumExtension(Extension):
    """Escape raw HTML, autolink bare URLs and drop non-web images."""

    def extendMarkdown(self, md):
        # Without these, "<script>" etc. is passed through verbatim; with them it is
        # serialized as text ("&lt;script&gt;"). Entities like &amp; still work.
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        # Keep hostile input (runs of "[", many one-line blocks) from going quadratic.
        for processor in md.inlinePatterns:
            if isinstance(processor, LinkInlineProcessor):  # links, images, references
                processor.getText = _link_text
                processor.getLink = _bounded_link_dest(processor.getLink)
        table = md.parser.blockprocessors["table"]
        table.test = _quick_table_test(table.test)
        # After "<https://...>" autolinks (120), before emphasis so "_" in URLs is safe.
        md.inlinePatterns.register(_BareUrlProcessor(_BARE_URL_RE, md), "bare_url", 115)
        # After inline processing (20) so every image exists.
        md.treeprocessors.register(_UnsafeImageProcessor(md), "unsafe_image", 5)


# Building a converter costs more than converting a chat message (about 0.4 ms of 0.8), so
# converters are reused after reset(). An instance keeps state while it converts, so each is
# used by one caller at a time: taken from this list and put back (list.pop and append are
# atomic), by threads and greenlets alike.
_CONVERTERS: list[markdown.Markdown] = []
_CONVERTERS_KEPT = 8


def _new_markdown() -> markdown.Markdown:
    """Build a Markdown converter."""
    return markdown.Markdown(
        extensions=["fenced_code", "tables", "sane_lists", _ForumExtension()],
        # align="..." instead of style="text-align: ...": no style attribute anywhere.
        extension_configs={"tables": {"use_align_attribute": True}},
        output_format="html",
    )


def _clean_source(source: object) -> str:
    """Coerce anything to a str free of NULs, stray controls and lone surrogates."""
    if isinstance(source, bytes | bytearray):
        source = bytes(source).decode("utf-8", "replace")
    elif not isinstance(source, str):
        source = "" if source is None else str(source)
    source = _SURROGATES.sub("\ufffd", source)
    return _CONTROL_CHARS.sub("", source)


# The allow-list, built once: nh3.clean() rebuilds its cleaner from these sets on every
# call, which costs ten times the cleaning of a short post.
_CLEANER = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    clean_content_tags={"script", "style"},
    attributes=ALLOWED_ATTRIBUTES,
    attribute_filter=_attribute_filter,
    strip_comments=True,
    link_rel=LINK_REL,
    url_schemes=URL_SCHEMES,
)


def _sanitize(raw_html: str) -> str:
    """Apply the allow-list; nh3 is the actual security boundary."""
    return _CLEANER.clean(raw_html)


_BLOCK_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote",
    "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td", "div",
}  # fmt: skip


class _TextCollector(HTMLParser):
    """Collect text nodes, with a space at every block boundary."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def html_to_text(html_fragment: str) -> str:
    """Return the plain text of an HTML fragment, entities decoded, whitespace collapsed."""
    collector = _TextCollector()
    try:
        collector.feed(html_fragment)
        collector.close()
    except Exception:  # HTMLParser is lenient; this is belt and braces for totality.
        return " ".join(re.sub(r"<[^>]*>", " ", html_fragment).split())
    return " ".join("".join(collector.parts).split())


@dataclass(frozen=True)
class Rendered:
    """Sanitized HTML plus a plain-text copy of a Markdown source."""

    html: str  # sanitized HTML, safe to output with |safe
    text: str  # plain text (no tags, entities decoded, whitespace collapsed)
    version: int  # MARKUP_VERSION used to render it


def _plain_paragraphs(text: str) -> str:
    """Render text without Markdown: escaped, one <p> per blank-line-separated block."""
    blocks = re.split(r"\n[ \t]*\n", text)
    return "\n".join(f"<p>{html.escape(block.strip())}</p>" for block in blocks if block.strip())


def render_markdown(source: str) -> Rendered:
    """Render user Markdown to sanitized HTML; never raises for any input."""
    cleaned = _clean_source(source)
    if len(cleaned) > _MAX_MARKDOWN_CHARS:
        raw_html = _plain_paragraphs(cleaned)
    else:
        try:
            converter = _CONVERTERS.pop()
        except IndexError:
            converter = _new_markdown()
        try:
            raw_html = converter.reset().convert(cleaned)
        except Exception:  # e.g. RecursionError on absurd nesting: degrade to plain text
            raw_html = _plain_paragraphs(cleaned)
            converter = None  # its state is unknown: build a fresh one next time
        if converter is not None and len(_CONVERTERS) < _CONVERTERS_KEPT:
            _CONVERTERS.append(converter)
    safe_html = _sanitize(raw_html)
    return Rendered(html=safe_html, text=html_to_text(safe_html), version=MARKUP_VERSION)
