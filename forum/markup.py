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
- Rendering cost is bounded whatever the input (docs/markup.md): lists and quotes nest at
  most 32 deep (deeper markers stay text), tables of more than 10 000 cells stay text, and
  a document past its budget (parser steps, inline copying, characters of link URLs) is
  shown as plain text paragraphs.  Version 2; ordinary posts render as in version 1.
- `@name` becomes a link only when the caller passes it in `mentions` (markup never asks the
  database): the service looks up the names `mentioned_names()` finds, once per write, and
  passes the ones that exist with their links. Not inside code or links; at most
  MAX_MENTION_LINKS per document. Without `mentions` the output is unchanged.
  Version 4: the links the services pass lead to profile pages (/u/<username>), not to the
  API's user object; re-rendering stored bodies moves old mentions there.
- Version 5: images from our own storage (`![alt](/files/<token>)`, docs/attachments.md)
  are shown: a lazy-loaded thumbnail (`/files/<token>/thumb`) linking to the image. Every
  other image stays a link, as before; no other `src` survives the allow-list.
"""

from __future__ import annotations

import functools
import html
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlsplit
from xml.etree import ElementTree as etree

import markdown
import nh3
from markdown.blockprocessors import (
    BlockQuoteProcessor,
    CodeBlockProcessor,
    HashHeaderProcessor,
    HRProcessor,
    SetextHeaderProcessor,
)
from markdown.extensions import Extension
from markdown.extensions.tables import PIPE_LEFT, PIPE_NONE, PIPE_RIGHT, TableProcessor
from markdown.inlinepatterns import (
    BACKTICK_RE,
    BacktickInlineProcessor,
    InlineProcessor,
    LinkInlineProcessor,
)
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import AtomicString, nearing_recursion_limit

MARKUP_VERSION: int = 5

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6",
    "strong", "em", "b", "i", "code", "pre", "blockquote",
    "ul", "ol", "li", "a",
    "table", "thead", "tbody", "tr", "th", "td",
    "del", "sup", "sub", "img",
}  # fmt: skip
# No style, id, name or on* anywhere: no CSS tricks, no DOM clobbering, no handlers.
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "th": {"align"},
    "td": {"align"},
    "ol": {"start"},
    "code": {"class"},
    "img": {"src", "alt", "loading"},  # only our own thumbnails (_OWN_THUMB)
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
# About 0.1 s of rendering; a 50 000-character table of 4-character cells has 12 500.
_MAX_TABLE_CELLS = 10_000
# Above this many chars the source is shown as plain escaped paragraphs.  The budget
# below grows with the source past 50 000 characters, so callers should cap posts well
# below this (the longest, a question body, is 50 000); this is only a backstop.
_MAX_MARKDOWN_CHARS = 200_000


# Our own attachments (forum.attachments): the only images a post shows.
_OWN_FILE = re.compile(r"/files/([A-Za-z0-9_-]{22,32})")
_OWN_THUMB = re.compile(r"/files/[A-Za-z0-9_-]{22,32}/thumb")


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
        return value if _OWN_THUMB.fullmatch(value) else None
    if attr == "loading":
        return "lazy"
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


_TICK_RUN = re.compile(r"`+")


@functools.lru_cache(maxsize=256)
def _ticks_exactly(count: int) -> re.Pattern:
    return re.compile(rf"(?<!`)`{{{count}}}(?!`)")


@functools.lru_cache(maxsize=256)
def _ticks_at_least(count: int) -> re.Pattern:
    return re.compile(rf"(?<!`)`{{{count}}}")


class _BacktickProcessor(BacktickInlineProcessor):
    """BacktickInlineProcessor whose search for the closing backticks runs in C, once.

    Upstream walks the rest of the paragraph character by character in Python for every
    opening run, and a run with no partner is skipped and the next one tried: 12 500
    "``a`" took 9 s.  Same answers here (tests/test_markup.py compares them), from
    regular expressions, with what was found remembered while the paragraph is unchanged.
    """

    def __init__(self, pattern: str) -> None:
        super().__init__(pattern)
        self.text: str | None = None
        self.found: dict[re.Pattern, tuple[int, int | None]] = {}

    def _search(self, pattern: re.Pattern, text: str, pos: int) -> int | None:
        """Where pattern first matches in text at or after pos, remembered per text."""
        if text is not self.text:
            self.text, self.found = text, {}
        known = self.found.get(pattern)
        if known is not None and known[0] <= pos and (known[1] is None or known[1] >= pos):
            return known[1]
        m = pattern.search(text, pos)
        self.found[pattern] = (pos, None if m is None else m.start())
        return None if m is None else m.start()

    def find_code_spans(self, start: int, text: str) -> tuple[int, int | None]:
        run = _TICK_RUN.match(text, start)
        ticks = run.end() - start if run else 0
        start += ticks
        if ticks == 0:
            return start, None
        exact = self._search(_ticks_exactly(ticks), text, start)
        if exact is not None:
            return start, exact
        if self._search(_ticks_at_least(ticks + 1), text, start) is not None:
            return start + ticks, None  # (sic) upstream skips twice the opening run
        # Every later run is shorter: pair with the first of the longest ones, if any.
        low, high = 0, ticks - 1
        while low < high:
            middle = (low + high + 1) // 2
            if self._search(_ticks_at_least(middle), text, start) is not None:
                low = middle
            else:
                high = middle - 1
        if low == 0:
            return start + ticks, None
        return start - (ticks - low), self._search(_ticks_at_least(low), text, start)


class _TableProcessor(TableProcessor):
    """TableProcessor whose test reads the lines it needs only, and refuses huge tables.

    The stock test splits the whole block on every call, and blocks that are eaten a line
    or two at a time ("a|b\\n-\\n" repeated: setext headings) made that quadratic.  Tables
    of more than _MAX_TABLE_CELLS cells stay text: every row gets as many cells as the
    header, so 300 header cells over 3 000 rows of "|" made 900 000 cells out of 7 000
    characters (4 s).
    """

    def __init__(self, parser, config: dict, budget: _RenderBudget) -> None:
        super().__init__(parser, config)
        self.budget = budget

    def test(self, parent, block: str) -> bool:
        first_end = block.find("\n")
        if first_end < 0 or block.find("|", 0, first_end) < 0:
            return False  # as upstream: one line, or a header without a pipe
        second_end = block.find("\n", first_end + 1)
        second = block[first_end + 1 : second_end if second_end >= 0 else len(block)]
        if not set(second) <= _TABLE_SEPARATOR_CHARS:
            return False  # upstream checks this last, on the stripped cells
        # From here on, upstream's test on the two first lines.
        header = block[:first_end].strip(" ")
        self.border = PIPE_NONE
        if header.startswith("|"):
            self.border |= PIPE_LEFT
        if self.RE_END_BORDER.search(header) is not None:
            self.border |= PIPE_RIGHT
        columns = len(self._split_row(header))
        is_table = columns > 1
        if not is_table and columns == 1 and self.border:
            # Each row of a single-column table needs a pipe: read rows until one has none.
            start = first_end + 1
            while True:
                end = block.find("\n", start)
                row = (block[start:] if end < 0 else block[start:end]).strip(" ")
                is_table = row.startswith("|") or self.RE_END_BORDER.search(row) is not None
                if not is_table or end < 0:
                    break
                start = end + 1
        if is_table:
            row = self._split_row(second.strip(" "))
            is_table = len(row) == columns and set("".join(row)) <= _TABLE_SEPARATOR_CHARS
            if is_table:
                self.separator = row
        if not is_table:
            return False
        cells = columns * (block.count("\n") + 1)  # padded rows included
        if cells > _MAX_TABLE_CELLS:
            return False
        self.budget.step(cells)  # run() follows: each cell is an element
        return True


# Python-Markdown's block processors take a line or two off the front of a block and put
# the rest back, while others search the whole block for a line of their kind (a "#"
# header, a rule, a ">" quote) before they decline.  Thousands of short lines in one
# block ("a\n=\n" repeated) made every step rescan the rest: quadratic, 7 s for 50 000
# characters.  The classes below give the same output in linear time: a search remembers
# what it found in a block, and answers for the rest of that block from memory.
_MAX_NESTING = 32  # lists and quotes deeper than this stay text (each level rescans)
_KEPT_ROOTS = 4  # blocks per parse whose rests are recognized
_INDENTED_LINE = re.compile(r"^    ", re.MULTILINE)


class _Root:
    """A block as it first reached the parser, with what searches found in it."""

    __slots__ = ("text", "found")

    def __init__(self, text: str) -> None:
        self.text = text
        # pattern -> (searched from, first match at or after it, or None), in root offsets
        self.found: dict[re.Pattern, tuple[int, int | None]] = {}


class _BlockScan:
    """Per-converter state of the linear block parser: the current block, the depth."""

    def __init__(self) -> None:
        self.block: str | None = None  # the block the processors are testing now
        self.root: _Root | None = None  # the block it is the rest of
        self.offset = 0  # where it starts in root.text
        self.parent = None  # the element blocks are parsed into now
        self.depth = 0  # how many elements deep that is (lists and quotes)

    def search(self, pattern: re.Pattern, block: str, pos: int = 0):
        """pattern.search(block, pos), answered from memory when block is a known rest.

        A rest starts on a line of its root, so at every position after its first the
        pattern sees what it saw there in the root (no pattern here looks further back
        than one character); the first position is tried afresh.
        """
        if block is not self.block:
            return pattern.search(block, pos)
        if pos == 0:
            m = pattern.match(block)
            if m is not None:
                return m
            pos = 1
        start = self.offset + pos
        known = self.root.found.get(pattern)
        if known is not None and known[0] <= start and (known[1] is None or known[1] >= start):
            return None if known[1] is None else pattern.match(block, known[1] - self.offset)
        m = pattern.search(block, pos)
        self.root.found[pattern] = (start, None if m is None else self.offset + m.start())
        return m

    def recognize(self, roots: list[_Root], block: str) -> None:
        """Make block the current one, finding the recent root it is the rest of, if any."""
        self.block = block
        for root in reversed(roots):
            if len(block) <= len(root.text) and root.text.endswith(block):
                self.root, self.offset = root, len(root.text) - len(block)
                return
        self.root, self.offset = _Root(block), 0
        roots.append(self.root)
        if len(roots) > _KEPT_ROOTS:
            del roots[0]


def _linear_parse_blocks(parser, scan: _BlockScan, budget: _RenderBudget):
    """BlockParser.parseBlocks, telling the scan which block is tested and how deep."""

    def parse_blocks(parent, blocks: list[str]) -> None:
        outer = scan.parent
        nested = parent is not outer  # the "lines before" of a header stay at their depth
        if nested:
            scan.parent = parent
            scan.depth += 1
        roots: list[_Root] = []
        try:
            while blocks:
                budget.step()
                scan.recognize(roots, blocks[0])
                for processor in parser.blockprocessors:
                    if processor.test(parent, blocks[0]):
                        if processor.run(parent, blocks) is not False:
                            break
        finally:
            if nested:
                scan.parent = outer
                scan.depth -= 1

    return parse_blocks


def _shallow_only(scan: _BlockScan, test):
    """Wrap a list or quote test so that nothing nests deeper than _MAX_NESTING."""

    def shallow(parent, block: str) -> bool:
        return scan.depth <= _MAX_NESTING and test(parent, block)

    return shallow


class _HashHeaderProcessor(HashHeaderProcessor):
    """HashHeaderProcessor whose search for a "#" line is remembered along the block."""

    def __init__(self, parser, scan: _BlockScan) -> None:
        super().__init__(parser)
        self.scan = scan

    def test(self, parent, block: str) -> bool:
        return self.scan.search(self.RE, block) is not None

    def run(self, parent, blocks: list[str]) -> None:
        block = blocks.pop(0)
        m = self.scan.search(self.RE, block)
        before = block[: m.start()]
        if before:
            self.parser.parseBlocks(parent, [before])
        h = etree.SubElement(parent, f"h{len(m.group('level'))}")
        h.text = m.group("header").strip()
        after = block[m.end() :]
        if after:
            # As upstream (#1443), but only when a line is indented: else it is a no-op.
            if self.parser.state.isstate("looselist") and self.scan.search(
                _INDENTED_LINE, block, m.end()
            ):
                after = self.looseDetab(after)
            blocks.insert(0, after)


class _SetextHeaderProcessor(SetextHeaderProcessor):
    """SetextHeaderProcessor that cuts its two lines off without splitting the rest."""

    def run(self, parent, blocks: list[str]) -> None:
        block = blocks.pop(0)
        first_end = block.index("\n")  # the test matched a text line and an underline
        second_end = block.find("\n", first_end + 1)
        underline = block[first_end + 1 : second_end if second_end >= 0 else len(block)]
        h = etree.SubElement(parent, "h1" if underline.startswith("=") else "h2")
        h.text = block[:first_end].strip()
        if second_end >= 0:
            blocks.insert(0, block[second_end + 1 :])


class _HRProcessor(HRProcessor):
    """HRProcessor whose search for a rule line is remembered along the block."""

    def __init__(self, parser, scan: _BlockScan) -> None:
        super().__init__(parser)
        self.scan = scan

    def test(self, parent, block: str) -> bool:
        m = self.scan.search(self.SEARCH_RE, block)
        if m is None:
            return False
        self.match = m  # run() reads it, as upstream
        return True


class _CodeBlockProcessor(CodeBlockProcessor):
    """CodeBlockProcessor that reads the indented lines without splitting the rest."""

    def detab(self, text: str, length: int | None = None) -> tuple[str, str]:
        """Return the leading indented (or blank) lines unindented, and the rest."""
        indent = " " * (self.tab_length if length is None else length)
        lines, start = [], 0
        while True:
            end = text.find("\n", start)
            line = text[start:] if end < 0 else text[start:end]
            if line.startswith(indent):
                lines.append(line[len(indent) :])
            elif not line.strip():
                lines.append("")
            else:
                return "\n".join(lines), text[start:]
            if end < 0:
                return "\n".join(lines), ""
            start = end + 1


class _BlockQuoteProcessor(BlockQuoteProcessor):
    """BlockQuoteProcessor whose search for a ">" line is remembered along the block."""

    def __init__(self, parser, scan: _BlockScan) -> None:
        super().__init__(parser)
        self.scan = scan

    def test(self, parent, block: str) -> bool:
        return (
            self.scan.search(self.RE, block) is not None
            and not nearing_recursion_limit()
        )


def _install_linear_blocks(md: markdown.Markdown, budget: _RenderBudget) -> None:
    """Replace the block processors that rescan a block; cap nesting and table size."""
    parser, scan = md.parser, _BlockScan()
    processors = parser.blockprocessors
    # Same names and priorities as in markdown.blockprocessors.build_block_parser (and
    # markdown.extensions.tables for "table").
    processors.register(_CodeBlockProcessor(parser), "code", 80)
    table = _TableProcessor(parser, processors["table"].config, budget)
    processors.register(table, "table", 75)
    processors.register(_HashHeaderProcessor(parser, scan), "hashheader", 70)
    processors.register(_SetextHeaderProcessor(parser), "setextheader", 60)
    processors.register(_HRProcessor(parser, scan), "hr", 50)
    processors.register(_BlockQuoteProcessor(parser, scan), "quote", 20)
    for name in ("quote", "olist", "ulist"):
        processors[name].test = _shallow_only(scan, processors[name].test)
    parser.parseBlocks = _linear_parse_blocks(parser, scan, budget)


# What one document may cost (docs/markup.md).  Past any of these, render_markdown shows
# the source as plain text paragraphs; posts never come near.
# - Steps: blocks parsed, inline matches (an escape, a code span, a link) and the elements
#   they build (table cells too), at 10 to 40 us apiece from parsing to sanitizing: 48 000
#   of them (31-deep lists on every line) took 0.9 s, 10 000 take at most 0.4 s.  A
#   50 000-character post of ordinary prose has under a thousand.  Sources longer than
#   50 000 characters (only the 200 000-character backstop below lets them through) get
#   one step per _CHARS_PER_STEP characters.
_MAX_STEPS = 10_000
_CHARS_PER_STEP = 5
# - Elements built by one inline match: emphasis builds all the <em>s of "*a**a**a*..." at
#   once, and Python-Markdown's tree walk is quadratic in the children of one element
#   (8 000 of them took 1.5 s).  Ordinary emphasis builds one to three.
_MAX_ELEMENTS_PER_MATCH = 1_000
# - Bytes copied: Python-Markdown puts each inline match into its text by copying the
#   whole text, so 25 000 escapes (\*) in one paragraph copied tens of gigabytes (6 s with
#   one emoji in it, which makes every character 4 bytes).  1 GiB is about 0.1 s.
_MAX_INLINE_COPY = 1 << 30
# - Link characters: the URLs and titles of links and images.  A reference definition
#   used 7 000 times put its 3 000 characters in each: 19 MB of HTML from 50 000 (0.5 s,
#   and stored).  Inline links and images only repeat what the source says.
_MAX_LINK_CHARS = 200_000
_LINK_ATTRS = ("href", "src", "title")


class _TooCostly(Exception):
    """One document asks for more than one of the limits above allows."""


class _RenderBudget:
    """What is left of one document's budget (reset before each document)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self, source_length: int = 0) -> None:
        self.steps_left = max(_MAX_STEPS, source_length // _CHARS_PER_STEP)
        self.copy_left = _MAX_INLINE_COPY
        self.links_left = max(_MAX_LINK_CHARS, source_length)

    def step(self, count: int = 1) -> None:
        """Charge steps; raises _TooCostly past the budget."""
        self.steps_left -= count
        if self.steps_left < 0:
            raise _TooCostly

    def counted(self, handle_match):
        """Wrap an InlineProcessor.handleMatch to charge each text it changes."""

        def handle_counted(m, data):
            node, start, end = handle_match(m, data)
            if node is not None and start is not None and end is not None:
                self.copy_left -= sys.getsizeof(data)  # the text is copied with the node in it
                if self.copy_left < 0:
                    raise _TooCostly
                if isinstance(node, etree.Element):
                    # Emphasis builds all the <em>s of "*a**a**a*..." in one match, and
                    # Python-Markdown's tree walk is quadratic in the children of one node.
                    built = sum(1 for _ in node.iter())
                    if built > _MAX_ELEMENTS_PER_MATCH:
                        raise _TooCostly
                    self.step(built)
                    # A reference repeats its URL and title wherever it is used.
                    self.links_left -= sum(len(node.get(name) or "") for name in _LINK_ATTRS)
                    if self.links_left < 0:
                        raise _TooCostly
                else:
                    self.step()
            return node, start, end

        return handle_counted


class _BudgetPreprocessor(Preprocessor):
    """Runs first: sizes the budget on the source."""

    def __init__(self, md, budget: _RenderBudget) -> None:
        super().__init__(md)
        self.budget = budget

    def run(self, lines: list[str]) -> list[str]:
        self.budget.reset(sum(map(len, lines)) + len(lines))
        return lines


class _ImageLinkProcessor(Treeprocessor):
    """Images become links: `![alt](https://host/x.png)` is rendered as a link reading
    "alt (image: host)". An image from another site would load with the page and tell that
    site who reads what (a tracking pixel), and costs bytes on a metered phone; a link loads
    it only when the reader asks. Images whose src is not absolute http(s) keep only their
    alt text. ("image" reads the same in English and French.)"""

    def run(self, root):
        stack = [(root, False)]  # (element, inside a link), without recursion
        while stack:
            el, in_link = stack.pop()
            if el.tag == "img":
                self._replace(el, in_link)
                continue
            stack.extend((child, in_link or el.tag == "a") for child in el)
        return None

    @staticmethod
    def _replace(el, in_link: bool) -> None:
        src, alt = el.get("src", ""), (el.get("alt") or "").strip()
        title = el.get("title")
        el.attrib.clear()
        own = _OWN_FILE.fullmatch(src.strip())
        if own and not in_link:
            # A small thumbnail, loaded when scrolled to, linking to the whole image.
            el.tag = "a"
            el.set("href", own.group(0))
            img = etree.SubElement(el, "img")
            img.set("src", f"{own.group(0)}/thumb")
            img.set("alt", alt or "image")
            img.set("loading", "lazy")
            return
        if _is_web_url(src):
            host = urlsplit(_URL_IGNORED.sub("", src)).hostname or ""
            alt = f"{alt} (image: {host})" if alt else f"image: {host}"
        if _is_web_url(src) and not in_link:  # a link inside a link is not HTML
            el.tag = "a"
            el.set("href", src)
            if title:
                el.set("title", title)
        else:
            # A <span> is not allow-listed, so nh3 unwraps it and keeps the text.
            el.tag = "span"
        el.text = alt


# "@name" after a space, a bracket or the start: not inside an e-mail address or a word.
MENTION_RE = re.compile(r"(?<![\w@./+-])@([A-Za-z0-9_-]{3,30})(?![\w-])")
MAX_MENTIONS = 20  # distinct names looked up per write
MAX_MENTION_LINKS = 50  # links made per document


def mentioned_names(source: object) -> list[str]:
    """The distinct lower-cased `@names` of a Markdown source, in order, at most MAX_MENTIONS.

    Candidates only (code spans included): render_markdown links those the caller passes.
    """
    found: list[str] = []
    for match in MENTION_RE.finditer(_clean_source(source)):
        name = match.group(1).lower()
        if name not in found:
            found.append(name)
            if len(found) >= MAX_MENTIONS:
                break
    return found


class _MentionProcessor(Treeprocessor):
    """Link `@name` in running text to the person, for the names the caller passed (see
    render_markdown); never inside links or code. Records the names it linked."""

    SKIPPED = ("a", "code", "pre")

    def run(self, root):
        mentions = getattr(self.md, "tacit_mentions", None)
        if not mentions:
            return None
        self.linked: set[str] = self.md.tacit_mentioned
        self.left = MAX_MENTION_LINKS
        stack = [root]
        while stack and self.left > 0:
            el = stack.pop()
            children = list(el)
            # Tails from the last child back, then the text: an insertion never moves a
            # child still to do.
            for index in range(len(children) - 1, -1, -1):
                child = children[index]
                if child.tag not in self.SKIPPED:
                    stack.append(child)
                if child.tail and not isinstance(child.tail, AtomicString):
                    child.tail = self._split(child.tail, el, index + 1, mentions)
            if el.text and not isinstance(el.text, AtomicString):
                el.text = self._split(el.text, el, 0, mentions)
        return None

    def _split(self, text: str, parent, where: int, mentions) -> str:
        """Insert links for the mentions of `text` into `parent` at `where`; returns the text
        left before the first link."""
        head, last, pos = None, None, 0
        for match in MENTION_RE.finditer(text):
            name = match.group(1).lower()
            href = mentions.get(name)
            if href is None or self.left <= 0:
                continue
            self.left -= 1
            self.linked.add(name)
            chunk = text[pos:match.start()]
            if last is None:
                head = chunk
            else:
                last.tail = chunk
            link = etree.Element("a", {"href": href})
            link.text = AtomicString(match.group(0))
            parent.insert(where, link)
            where += 1
            last, pos = link, match.end()
        if last is None:
            return text
        last.tail = text[pos:]
        return head


class _ForumExtension(Extension):
    """Escape raw HTML, autolink bare URLs, drop non-web images and bound the cost."""

    def __init__(self) -> None:
        super().__init__()
        self.budget = _RenderBudget()

    def reset(self) -> None:
        """Called by Markdown.reset() before each document."""
        self.budget.reset()

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
        _install_linear_blocks(md, self.budget)
        md.preprocessors.register(_BudgetPreprocessor(md, self.budget), "forum_budget", 1000)
        # After "<https://...>" autolinks (120), before emphasis so "_" in URLs is safe.
        md.inlinePatterns.register(_BareUrlProcessor(_BARE_URL_RE, md), "bare_url", 115)
        md.inlinePatterns.register(_BacktickProcessor(BACKTICK_RE), "backtick", 190)  # as upstream
        # After inline processing (20) so every image exists.
        md.treeprocessors.register(_ImageLinkProcessor(md), "unsafe_image", 5)
        md.treeprocessors.register(_MentionProcessor(md), "mentions", 4)
        for processor in md.inlinePatterns:
            if isinstance(processor, InlineProcessor):
                processor.handleMatch = self.budget.counted(processor.handleMatch)
        md.registerExtension(self)  # so that reset() is called


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


# A tag as nh3 writes it: attribute values always in double quotes (they may hold ">"),
# and every "<" of the text escaped, so each "<" starts a tag (comments are stripped).
_SANITIZED_TAG = re.compile(r'<(/?)([A-Za-z][^\t\n\f />]*)(?:"[^"]*"|[^">])*>')


def _sanitized_text(safe_html: str) -> str:
    """html_to_text for nh3's output, four times faster on tag-dense posts (tables)."""
    parts, pos = [], 0
    for tag in _SANITIZED_TAG.finditer(safe_html):
        parts.append(html.unescape(safe_html[pos : tag.start()]))
        if tag.group(2).lower() in _BLOCK_TAGS:
            parts.append(" ")
        pos = tag.end()
    parts.append(html.unescape(safe_html[pos:]))
    return " ".join("".join(parts).split())


@dataclass(frozen=True)
class Rendered:
    """Sanitized HTML plus a plain-text copy of a Markdown source."""

    html: str  # sanitized HTML, safe to output with |safe
    text: str  # plain text (no tags, entities decoded, whitespace collapsed)
    version: int  # MARKUP_VERSION used to render it
    mentions: tuple[str, ...] = ()  # the lower-cased @names linked, in no particular order


def _plain_paragraphs(text: str) -> str:
    """Render text without Markdown: escaped, one <p> per blank-line-separated block."""
    blocks = re.split(r"\n[ \t]*\n", text)
    return "\n".join(f"<p>{html.escape(block.strip())}</p>" for block in blocks if block.strip())


def render_markdown(source: str, *, mentions: Mapping[str, str] | None = None) -> Rendered:
    """Render user Markdown to sanitized HTML; never raises for any input.

    `mentions` maps lower-cased usernames to the links of their people: each `@name` among
    them is linked (see mentioned_names()), and `Rendered.mentions` names those linked.
    """
    cleaned = _clean_source(source)
    linked: set[str] = set()
    if len(cleaned) > _MAX_MARKDOWN_CHARS:
        raw_html = _plain_paragraphs(cleaned)
    else:
        try:
            converter = _CONVERTERS.pop()
        except IndexError:
            converter = _new_markdown()
        try:
            converter.reset()
            converter.tacit_mentions, converter.tacit_mentioned = mentions, linked
            raw_html = converter.convert(cleaned)
        except Exception:  # e.g. _TooCostly, or a RecursionError: degrade to plain text
            raw_html = _plain_paragraphs(cleaned)
            converter = None  # its state is unknown: build a fresh one next time
            linked = set()
        if converter is not None:
            converter.tacit_mentions = converter.tacit_mentioned = None
        if converter is not None and len(_CONVERTERS) < _CONVERTERS_KEPT:
            _CONVERTERS.append(converter)
    safe_html = _sanitize(raw_html)
    return Rendered(html=safe_html, text=_sanitized_text(safe_html), version=MARKUP_VERSION,
                    mentions=tuple(sorted(linked)))
