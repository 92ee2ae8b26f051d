"""Tests for forum.markup: XSS vectors from public cheat sheets, and ordinary Markdown."""

from __future__ import annotations

import dataclasses
import html
import random
import re
import time
from html.parser import HTMLParser

import pytest
from markdown.inlinepatterns import BACKTICK_RE, BacktickInlineProcessor

from forum import demo_content
from forum.markup import (
    MARKUP_VERSION,
    Rendered,
    _BacktickProcessor,
    html_to_text,
    render_markdown,
)
from forum.services import qa

pytestmark = pytest.mark.dbless  # the same on every database: SQLite pass only

# ---------------------------------------------------------------------------
# A tiny HTML collector: what elements and attributes did the output produce?
# ---------------------------------------------------------------------------


class _Collector(HTMLParser):
    """Record every element as (tag, [(attr, value), ...]); values arrive unescaped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, attrs))

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, attrs))


def _elements(fragment: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    collector = _Collector()
    collector.feed(fragment)
    collector.close()
    return collector.elements


FORBIDDEN_ELEMENTS = {
    "script", "iframe", "object", "embed", "style", "svg", "math",
    "form", "base", "meta", "link",
}  # fmt: skip
# What Markdown may legitimately produce; anything else means the allow-list leaked.
EXPECTED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i",
    "code", "pre", "blockquote", "ul", "ol", "li", "a", "table", "thead",
    "tbody", "tr", "th", "td", "del", "sup", "sub",
}  # fmt: skip
EXPECTED_ATTRIBUTES = {
    "a": {"href", "title", "rel"},
    "th": {"align"},
    "td": {"align"},
    "ol": {"start"},
    "code": {"class"},
}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster"}


def _normalize_url(value: str | None) -> str:
    return re.sub(r"[\x00-\x20\x7f]", "", html.unescape(value or "")).lower()


def _url_is_safe(value: str | None) -> bool:
    url = _normalize_url(value)
    if url.startswith(("http://", "https://", "mailto:")):
        return True
    # Relative: no scheme, i.e. no ":" before the first "/", "?" or "#".
    return ":" not in re.split(r"[/?#]", url, maxsplit=1)[0]


def assert_safe(fragment: str) -> None:
    """Assert that an HTML fragment contains nothing that can run script."""
    for tag, attrs in _elements(fragment):
        assert tag not in FORBIDDEN_ELEMENTS, (tag, fragment)
        assert tag in EXPECTED_TAGS, (tag, fragment)
        names = {name for name, _ in attrs}
        assert names <= EXPECTED_ATTRIBUTES.get(tag, set()), (tag, attrs, fragment)
        for name, value in attrs:
            assert not name.startswith("on"), (name, fragment)
            assert name != "style", fragment
            if name in URL_ATTRIBUTES:
                assert _url_is_safe(value), (name, value, fragment)
        values = dict(attrs)
        if tag == "a":
            rel = (values.get("rel") or "").split()
            assert {"nofollow", "noopener", "ugc"} <= set(rel), fragment
        if tag == "code" and "class" in values:
            assert re.fullmatch(r"language-[\w+#.-]+", values["class"] or ""), fragment


# ---------------------------------------------------------------------------
# Attack vectors, grouped by theme; each group cites where its vectors come from.
# Vectors are copied as published; where a vector was adapted (e.g. put into a
# Markdown link so that the Markdown code path is exercised) the id says "md-".
# ---------------------------------------------------------------------------

# Script tags.
# OWASP XSS Filter Evasion Cheat Sheet,
#   https://cheatsheetseries.owasp.org/cheatsheets/XSS_Filter_Evasion_Cheat_Sheet.html
#   (OWASP/CheatSheetSeries: cheatsheets/XSS_Filter_Evasion_Cheat_Sheet.md)
# PayloadsAllTheThings, swisskyrepo/PayloadsAllTheThings: "XSS Injection/README.md"
# Big List of Naughty Strings, minimaxir/big-list-of-naughty-strings: blns.txt
#   ("Script Injection" section)
SCRIPT_TAGS = [
    (
        "owasp-basic",
        "<SCRIPT SRC=https://cdn.jsdelivr.net/gh/Moksh45/host-xss.rocks/index.js></SCRIPT>",
    ),
    ("owasp-non-alpha", '<SCRIPT/XSS SRC="http://xss.rocks/xss.js"></SCRIPT>'),
    ("owasp-extra-open-bracket", '<<SCRIPT>alert("XSS");//\\<</SCRIPT>'),
    ("owasp-no-closing", "<SCRIPT SRC=http://xss.rocks/xss.js?< B >"),
    ("owasp-protocol-resolution", "<SCRIPT SRC=//xss.rocks/.j>"),
    ("owasp-end-title", '</TITLE><SCRIPT>alert("XSS");</SCRIPT>'),
    ("owasp-quote-encapsulation", '<SCRIPT a=">" SRC="httx://xss.rocks/xss.js"></SCRIPT>'),
    ("owasp-malformed-img", '<IMG """><SCRIPT>alert("XSS")</SCRIPT>"\\>'),
    ("owasp-downlevel-hidden", "<!--[if gte IE 4]>\n<SCRIPT>alert('XSS');</SCRIPT>\n<![endif]-->"),
    ("patt-basic", "<script>alert('XSS')</script>"),
    ("patt-nested", "<scr<script>ipt>alert('XSS')</scr<script>ipt>"),
    ("patt-attr-breakout", '"><script>alert(String.fromCharCode(88,83,83))</script>'),
    ("patt-mixed-case", "<sCrIpt>alert(1)</ScRipt>"),
    ("patt-tag-blacklist", "<script x>alert('XSS')<script y>"),
    ("blns-basic", "<script>alert(123)</script>"),
    ("blns-preescaped", "&lt;script&gt;alert(&#39;123&#39;);&lt;/script&gt;"),
    ("blns-spaced", "< / script >< script >alert(123)< / script >"),
    ("blns-fullwidth", "\uff1cscript\uff1ealert(123)\uff1c/script\uff1e"),
    ("blns-split", "<sc<script>ript>alert(123)</sc</script>ript>"),
    ("blns-comment-close", "--><script>alert(123)</script>"),
]

# Event handlers.
# OWASP XSS Filter Evasion Cheat Sheet (as above): malformed A/IMG tags, BODY tag.
# PayloadsAllTheThings "XSS Injection/README.md" (img/HTML5 payloads, onxxx= bypasses).
# PortSwigger XSS cheat sheet, https://portswigger.net/web-security/cross-site-scripting/cheat-sheet
#   (PortSwigger/xss-cheatsheet-data: json/events.json)
# Big List of Naughty Strings (as above).
EVENT_HANDLERS = [
    ("owasp-a-onmouseover", '<a onmouseover="alert(document.cookie)">xxs link</a>'),
    ("owasp-a-onmouseover-unquoted", "<a onmouseover=alert(document.cookie)>xxs link</a>"),
    ("owasp-img-src-hash", "<IMG SRC=# onmouseover=\"alert('xxs')\">"),
    ("owasp-img-src-empty", "<IMG SRC= onmouseover=\"alert('xxs')\">"),
    ("owasp-img-no-src", "<IMG onmouseover=\"alert('xxs')\">"),
    ("owasp-img-onerror", '<IMG SRC=/ onerror="alert(String.fromCharCode(88,83,83))"></img>'),
    ("owasp-body-onload", "<BODY ONLOAD=alert('XSS')>"),
    ("owasp-body-junk-before-equals", '<BODY onload!#$%&()*~+-_.,:;?@[/|\\]^`=alert("XSS")>'),
    ("patt-img-onerror", "<img src=x onerror=alert('XSS');>"),
    ("patt-img-eval-src", "<img src=x:alert(alt) onerror=eval(src) alt=xss>"),
    ("patt-input-autofocus", "<input autofocus onfocus=alert(1)>"),
    ("patt-details-ontoggle", '<details/open/ontoggle="alert`1`">'),
    ("patt-video-source", '<video><source onerror="javascript:alert(1)">'),
    ("patt-onerror-slash", "<img src='1' onerror/=alert(0) />"),
    ("patt-onerror-nul", "<img src='1' onerror\x00=alert(0) />"),
    ("patt-onerror-vtab", "<img src='1' onerror\x0b=alert(0) />"),
    (
        "portswigger-dialog-onclose",
        "<dialog open onclose=alert(1)><form method=dialog><button>XSS</button></form>",
    ),
    ("portswigger-onauxclick", "<input onauxclick=alert(1)>"),
    (
        "portswigger-onanimationstart",
        '<style>@keyframes x{}</style><* style="animation-name:x" onanimationstart="alert(1)"></*>',
    ),
    ("blns-img-onerror", "<img src=x onerror=alert(123) />"),
    ("blns-attr-onfocus", '" onfocus=JaVaSCript:alert(123) autofocus'),
    ("blns-attr-onkeyup", '" autofocus onkeyup="javascript:alert(123)'),
]

# javascript:/vbscript:/data: URLs, including entity, percent and whitespace tricks.
# OWASP XSS Filter Evasion Cheat Sheet (as above): "Decimal HTML Character References",
#   "... Without Trailing Semicolons" (zero padding), "Hexadecimal ...", "Embedded Tab",
#   "Embedded Encoded Tab", "Embedded Newline", "Spaces and Meta Chars", VBscript.
# PayloadsAllTheThings "XSS Injection/README.md" ("XSS in wrappers javascript and data
#   URI", "Common WAF Bypass" Cloudflare &Tab; vector).
# PortSwigger XSS cheat sheet (as above; json/protocols.json).
# The "md-" vectors put the very same published URL into a Markdown link destination.
_DEC = "&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;&#97;&#108;&#101;&#114;&#116;&#40;&#39;&#88;&#83;&#83;&#39;&#41;"  # noqa: E501
_DEC_PADDED = "&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058&#0000097&#0000108&#0000101&#0000114&#0000116&#0000040&#0000039&#0000088&#0000083&#0000083&#0000039&#0000041"  # noqa: E501
_HEX = "&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A&#x61&#x6C&#x65&#x72&#x74&#x28&#x27&#x58&#x53&#x53&#x27&#x29"  # noqa: E501
_DEC_NO_SEMI = "&#106&#97&#118&#97&#115&#99&#114&#105&#112&#116&#58&#99&#111&#110&#102&#105&#114&#109&#40&#49&#41"  # noqa: E501
_CLOUDFLARE = "j&Tab;a&Tab;v&Tab;asc&NewLine;ri&Tab;pt&colon;&lpar;a&Tab;l&Tab;e&Tab;r&Tab;t&Tab;(document.domain)&rpar;"  # noqa: E501
DANGEROUS_URLS = [
    ("owasp-img-fromcharcode", "<IMG SRC=javascript:alert(String.fromCharCode(88,83,83))>"),
    ("owasp-img-decimal", f"<IMG SRC={_DEC}>"),
    ("owasp-img-decimal-padded", f"<IMG SRC={_DEC_PADDED}>"),
    ("owasp-img-hex-no-semicolon", f"<IMG SRC={_HEX}>"),
    ("owasp-img-embedded-tab", "<IMG SRC=\"jav\tascript:alert('XSS');\">"),
    ("owasp-img-encoded-tab", "<IMG SRC=\"jav&#x09;ascript:alert('XSS');\">"),
    ("owasp-img-encoded-newline", "<IMG SRC=\"jav&#x0A;ascript:alert('XSS');\">"),
    ("owasp-img-encoded-cr", "<IMG SRC=\"jav&#x0D;ascript:alert('XSS');\">"),
    ("owasp-img-meta-chars", "<IMG SRC=\" &#14;  javascript:alert('XSS');\">"),
    ("owasp-img-vbscript", "<IMG SRC='vbscript:msgbox(\"XSS\")'>"),
    ("owasp-img-livescript", '<IMG SRC="livescript:[code]">'),
    ("md-owasp-decimal", f"[x]({_DEC})"),
    ("md-owasp-decimal-padded", f"[x]({_DEC_PADDED})"),
    ("md-owasp-hex-no-semicolon", f"[x]({_HEX})"),
    ("md-owasp-image-decimal-padded", f"![x]({_DEC_PADDED})"),
    ("md-owasp-encoded-tab", "[x](jav&#x09;ascript:alert('XSS');)"),
    ("md-owasp-encoded-newline", "[x](jav&#x0A;ascript:alert('XSS');)"),
    ("md-owasp-embedded-tab", "[x](jav\tascript:alert('XSS');)"),
    ("md-owasp-meta-chars", "[x]( &#14;  javascript:alert('XSS');)"),
    ("md-patt-decimal-no-semicolon", f"[x]({_DEC_NO_SEMI})"),
    (
        "md-patt-double-encoded",
        "[x](%26%23106%26%2397%26%23118%26%2397%26%23115%26%2399%26%23114%26%23105%26%23112"
        "%26%23116%26%2358%26%2399%26%23111%26%23110%26%23102%26%23105%26%23114%26%23109"
        "%26%2340%26%2349%26%2341)",
    ),
    ("md-patt-escape-chars", r"[x](\j\av\a\s\cr\i\pt\:\a\l\ert\(1\))"),
    ("md-patt-percent-lf", "[x](java%0ascript:alert(1))"),
    ("md-patt-percent-tab", "[x](java%09script:alert(1))"),
    ("md-patt-percent-cr", "[x](java%0dscript:alert(1))"),
    ("md-patt-comment-newline", "[x](javascript://anything%0D%0A%0D%0Awindow.alert(1))"),
    ("md-patt-data-html", "[x](data:text/html,<script>alert(0)</script>)"),
    ("md-patt-data-base64", "[x](data:text/html;base64,PHN2Zy9vbmxvYWQ9YWxlcnQoMik+)"),
    ("md-patt-vbscript", '[x](vbscript:msgbox("XSS"))'),
    ("patt-cloudflare-entities", f'<a href="{_CLOUDFLARE}">X</a>'),
    ("md-patt-cloudflare-entities", f"[X]({_CLOUDFLARE})"),
    ("portswigger-a-javascript", '<a href="javascript:alert(1)">XSS</a>'),
    ("md-portswigger-mixed-case", "[XSS](JaVaScript:alert(1))"),
    ("md-portswigger-leading-controls", "[XSS](\x01\x02 javascript:alert(1))"),
    ("md-portswigger-newline-before-colon", "[XSS](javascript\n:alert(1))"),
    ("md-portswigger-comment-newline", "[XSS](javascript://%0aalert(1))"),
]

# SVG and MathML.
# Cure53 HTML5 Security Cheatsheet, https://html5sec.org (cure53/H5SC: vectors.txt,
#   items 11, 47, 128, 130).
# PortSwigger XSS cheat sheet (as above; json/protocols.json, json/mutation_xss.json).
# PayloadsAllTheThings "XSS Injection/README.md" (SVG payloads, s0md3v polyglot).
# OWASP XSS Filter Evasion Cheat Sheet ("SVG Object Tag").
SVG_MATHML = [
    ("owasp-svg-onload", "<svg/onload=alert('XSS')>"),
    ("patt-svg-unclosed", "<svg onload=alert(1)//"),
    ("patt-svg-cdata-desc", "<svg><desc><![CDATA[</desc><script>alert(1)</script>]]></svg>"),
    ("patt-svg-s0md3v", '-->\'"/></sCript><svG x=">" onload=(co\\u006efirm)``>'),
    ("blns-svg-script", "<svg><script>123<1>alert(123)</script>"),
    (
        "h5sc-11-svg-g-onload",
        '<svg xmlns="http://www.w3.org/2000/svg"><g onload="javascript:alert(11)"></g></svg>',
    ),
    (
        "h5sc-47-svg-script",
        '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(47)</script></svg>',
    ),
    ("h5sc-128-svg-style", "<svg><style>&lt;img/src=x onerror=alert(128)// </b>"),
    ("h5sc-130-math-href", '<math href="javascript:alert(130)">CLICKME</math>'),
    (
        "h5sc-130-maction",
        '<math><maction actiontype="statusline" xlink:href="javascript:alert(3)">CLICKME'
        "<mtext>http://http://google.com</mtext></maction></math>",
    ),
    (
        "portswigger-svg-xlink",
        '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">XSS</text></a>',
    ),
    (
        "portswigger-svg-animate",
        "<svg><animate xlink:href=#xss attributeName=href values=javascript:alert(1) />"
        "<a id=xss><text x=20 y=20>XSS</text></a>",
    ),
    ("portswigger-svg-set", '<svg><set attributeName="onload" to="alert(1)">'),
    ("portswigger-math-any-tag", '<math><x href="javascript:alert(1)">blah'),
    (
        "portswigger-mxss-math",
        "<math><mtext><table><mglyph><svg><mtext><textarea><img src=x onerror=alert(1)>",
    ),
    ("portswigger-mxss-comment", "<!--><svg onload=alert(1)>-->"),
]

# Raw HTML containers: iframe, object, embed, form, meta refresh, base, style, link.
# OWASP XSS Filter Evasion Cheat Sheet (as above): IFRAME, FRAME, OBJECT, EMBED, META,
#   BASE, LINK/STYLE remote style sheets, STYLE/DIV/TABLE background vectors.
# Cure53 H5SC (cure53/H5SC: vectors.txt items 1, 37, 50, 51, 139).
# PortSwigger XSS cheat sheet (as above; json/protocols.json, json/dom_clobbering.json,
#   json/mutation_xss.json).
RAW_HTML = [
    ("owasp-iframe", "<IFRAME SRC=\"javascript:alert('XSS');\"></IFRAME>"),
    ("owasp-iframe-event", '<IFRAME SRC=# onmouseover="alert(document.cookie)"></IFRAME>'),
    ("owasp-frameset", "<FRAMESET><FRAME SRC=\"javascript:alert('XSS');\"></FRAMESET>"),
    (
        "owasp-object",
        '<OBJECT TYPE="text/x-scriptlet" DATA="http://xss.rocks/scriptlet.html"></OBJECT>',
    ),
    ("owasp-embed", '<EMBED SRC="http://ha.ckers.org/xss.swf" AllowScriptAccess="always"></EMBED>'),
    (
        "owasp-meta-refresh",
        '<META HTTP-EQUIV="refresh" CONTENT="0;url=javascript:alert(\'XSS\');">',
    ),
    (
        "owasp-meta-refresh-data",
        '<META HTTP-EQUIV="refresh" CONTENT="0;url=data:text/html base64,'
        'PHNjcmlwdD5hbGVydCgnWFNTJyk8L3NjcmlwdD4K">',
    ),
    (
        "owasp-meta-extra-url",
        '<META HTTP-EQUIV="refresh" CONTENT="0; URL=http://;URL=javascript:alert(\'XSS\');">',
    ),
    ("owasp-base", "<BASE HREF=\"javascript:alert('XSS');//\">"),
    ("owasp-link-stylesheet", '<LINK REL="stylesheet" HREF="http://xss.rocks/xss.css">'),
    ("owasp-style-import", "<STYLE>@import'http://xss.rocks/xss.css';</STYLE>"),
    (
        "owasp-style-list-image",
        "<STYLE>li {list-style-image: url(\"javascript:alert('XSS')\");}</STYLE><UL><LI>XSS</br>",
    ),
    ("owasp-div-style", "<DIV STYLE=\"background-image: url(javascript:alert('XSS'))\">"),
    ("owasp-img-style-expression", "<IMG STYLE=\"xss:expr/*XSS*/ession(alert('XSS'))\">"),
    ("owasp-table-background", "<TABLE BACKGROUND=\"javascript:alert('XSS')\">"),
    (
        "h5sc-1-formaction",
        '<form id="test"></form><button form="test" formaction="javascript:alert(1)">X</button>',
    ),
    ("h5sc-37-comment", '<!--<img src="--><img src=x onerror=alert(37)//">'),
    (
        "h5sc-50-object-data",
        '<object data="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="></object>',
    ),
    (
        "h5sc-51-embed-data",
        '<embed src="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="></embed>',
    ),
    (
        "h5sc-139-iframe-srcdoc",
        '<iframe srcdoc="&lt;img src&equals;x:x onerror&equals;alert&lpar;1&rpar;&gt;" />',
    ),
    ("portswigger-button-formaction", "<form><button formaction=javascript:alert(1)>XSS"),
    ("portswigger-form-action", "<form action=javascript:alert(1)><input type=submit value=XSS>"),
    (
        "portswigger-base-relative",
        '<base href="javascript:/a/-alert(1)///////"><a href=../lol/safari.html>test</a>',
    ),
    ("portswigger-clobber-location", '<a id="location" href="javascript:alert(1)">click</a>'),
    (
        "portswigger-clobber-constructor",
        '<img id="constructor"><img id="constructor" onerror=alert(1) src=x>',
    ),
    ("portswigger-mxss-noscript", "<noscript><img src=x onerror=alert(1)></noscript>"),
    (
        "portswigger-mxss-textarea",
        "<textarea><!--</textarea><script>alert(1)</script>--></textarea>",
    ),
]

# Markdown-specific vectors.
# cujanovic/Markdown-XSS-Payloads: Markdown-XSS-Payloads.txt (one vector per line; the
#   long base64 PNG in the danlec vector is shortened here).
# PayloadsAllTheThings "XSS Injection/README.md" ("XSS in Markdown").
# The remaining "md-" cases (reference links, autolinks, title break-outs) are the
# classic Markdown shapes of the same javascript: payloads listed above.
MARKDOWN = [
    ("cujanovic-link", "[a](javascript:prompt(document.cookie))"),
    (
        "cujanovic-link-spaced",
        "[a](j    a   v   a   s   c   r   i   p   t:prompt(document.cookie))",
    ),
    ("cujanovic-image", "![a](javascript:prompt(document.cookie))\\"),
    ("cujanovic-autolink", "<javascript:prompt(document.cookie)>"),
    ("cujanovic-autolink-hex", f"<{_HEX}>"),
    (
        "cujanovic-image-data",
        "![a](data:text/html;base64,PHNjcmlwdD5hbGVydCgnWFNTJyk8L3NjcmlwdD4K)\\",
    ),
    ("cujanovic-link-data", "[a](data:text/html;base64,PHNjcmlwdD5hbGVydCgnWFNTJyk8L3NjcmlwdD4K)"),
    ("cujanovic-link-hex", f"[a]({_HEX})"),
    ("cujanovic-image-alt-breakout", "![a'\"`onerror=prompt(document.cookie)](x)\\"),
    ("cujanovic-reference-definition", "[citelol]: (javascript:prompt(document.cookie))"),
    (
        "cujanovic-onerror-throw",
        "[notmalicious](javascript:window.onerror=alert;throw%20document.cookie)",
    ),
    ("cujanovic-comment-crlf", "[test](javascript://%0d%0aprompt(1))"),
    ("cujanovic-comment-crlf-com", "[test](javascript://%0d%0aprompt(1);com)"),
    (
        "cujanovic-comment-crlf-throw",
        "[notmalicious](javascript://%0d%0awindow.onerror=alert;throw%20document.cookie)",
    ),
    ("cujanovic-vbscript", "[clickme](vbscript:alert(document.domain))"),
    (
        "cujanovic-danlec-style",
        "_http://danlec_@.1 style=background-image:url(data:image/png;base64,"
        "iVBORw0KGgoAAAANSUhEUgAAAIAAAABACAMAAADlCI9NAAACcFBMVEX);"
        "background-repeat:no-repeat;display:block;width:100%;height:100px; "
        "onclick=alert(unescape(/Oh%20No!/.source));return(false);//",
    ),
    (
        "cujanovic-danlec-meta",
        '<http://\\<meta\\ http-equiv=\\"refresh\\"\\ content=\\"0;\\ url=http://danlec.com/\\"\\>>',
    ),
    ("cujanovic-danlec-title", '[text](http://danlec.com " [@danlec](/danlec) ")'),
    ("cujanovic-this", "[a](javascript:this;alert(1))"),
    ("cujanovic-this-entity", "[a](javascript:this;alert(1&#41;)"),
    ("cujanovic-colon-entity", "[a](javascript&#58this;alert(1&#41;)"),
    ("cujanovic-c-entity", "[a](Javas&#99;ript:alert(1&#41;)"),
    ("cujanovic-noncharacter", "[a](javascript:alert&#65534;(1&#41;)"),
    ("patt-md-throw", "[a](javascript:window.onerror=alert;throw%201)"),
    ("md-reference-link", "[x][1]\n\n[1]: javascript:alert(1)"),
    ("md-reference-image", "![x][1]\n\n[1]: javascript:alert(1)"),
    ("md-reference-titled", '[x][1]\n\n[1]: javascript:alert(1) "title"'),
    ("md-angle-destination", "[a](<javascript:alert(1)>)"),
    ("md-title-breakout", '[a](http://x "onmouseover=alert(1)")'),
    ("md-title-quote-breakout", '[a](http://x "\\" onmouseover=\\"alert(1)")'),
    ("md-href-quote-breakout", '[a](https://x.org" onmouseover="alert(1))'),
    ("md-autolink-quote-breakout", '<https://x.org/"onmouseover="alert(1)>'),
    ("md-image-in-link", "[![img](javascript:alert(1))](javascript:alert(2))"),
    ("md-image-relative", "![x](/uploads/x.png)"),
    ("md-image-protocol-relative", "![x](//evil.example/x.png)"),
    ("md-image-mailto", "![x](mailto:a@b.c)"),
    ("md-bare-url-breakout", 'https://x.org/"><script>alert(1)</script>'),
    ("md-fence-info-attrs", "```python {.x onclick=alert(1)}\ncode\n```"),
    ("md-fence-lang-breakout", '```"><script>alert(1)</script>\ncode\n```'),
    ("md-inline-html-in-emphasis", "*<img src=x onerror=alert(1)>*"),
    (
        "md-table-cell-html",
        "| a | b |\n|---|---|\n| <script>alert(1)</script> | <img src=x onerror=alert(1)> |",
    ),
]

# Polyglots.
# OWASP XSS Filter Evasion Cheat Sheet ("XSS Locator (Polyglot)").
# PayloadsAllTheThings "XSS Injection/README.md" ("Polyglot XSS": 0xsobky, Ashar Javed,
#   Mathias Karlsson, Rsnake).
POLYGLOTS = [
    (
        "owasp-locator",
        "javascript:/*--></title></style></textarea></script></xmp>\n"
        "<svg/onload='+/\"`/+/onmouseover=1/+/[*/[]/+alert(42);//'>",
    ),
    (
        "patt-0xsobky",
        "jaVasCript:/*-/*`/*\\`/*'/*\"/**/(/* */oNcliCk=alert() )//%0D%0A%0D%0A//</stYle/</titLe/"
        "</teXtarEa/</scRipt/--!>\\x3csVg/<sVg/oNloAd=alert()//>\\x3e",
    ),
    (
        "patt-ashar-javed",
        '">><marquee><img src=x onerror=confirm(1)></marquee>" ></plaintext\\></|\\><plaintext/'
        "onmouseover=prompt(1) ><script>prompt(1)</script>@gmail.com<isindex formaction=javascript:"
        'alert(/XSS/) type=submit>\'-->" ></script><script>alert(1)</script>">'
        '<img/id="confirm&lpar; 1)"/alt="/"src="/"onerror=eval(id&%23x29;>\'">'
        '<img src="http: //i.imgur.com/P8mL8.jpg">',
    ),
    ("patt-mathias-karlsson", '" onclick=alert(1)//<button ‘ onclick=alert(1)//> */ alert(1)//'),
    (
        "patt-rsnake",
        "';alert(String.fromCharCode(88,83,83))//';alert(String. fromCharCode(88,83,83))//\";"
        'alert(String.fromCharCode (88,83,83))//";alert(String.fromCharCode(88,83,83))//-- >'
        "</SCRIPT>\">'><SCRIPT>alert(String.fromCharCode(88,83,83)) </SCRIPT>",
    ),
]

VECTOR_GROUPS = {
    "script": SCRIPT_TAGS,
    "event": EVENT_HANDLERS,
    "url": DANGEROUS_URLS,
    "svg-mathml": SVG_MATHML,
    "raw-html": RAW_HTML,
    "markdown": MARKDOWN,
    "polyglot": POLYGLOTS,
}
VECTORS = [
    pytest.param(payload, id=f"{group}:{name}")
    for group, vectors in VECTOR_GROUPS.items()
    for name, payload in vectors
]


def test_vector_count_and_unique_ids():
    assert len(VECTORS) >= 80
    ids = [param.id for param in VECTORS]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("payload", VECTORS)
def test_vector_is_neutralized(payload):
    rendered = render_markdown(payload)
    assert_safe(rendered.html)
    assert rendered.version == MARKUP_VERSION


@pytest.mark.parametrize("payload", VECTORS)
def test_vector_is_neutralized_inside_markdown_structure(payload):
    # The same payload inside a list item, a blockquote and a table cell.
    source = f"- item {payload}\n\n> quoted {payload}\n\n| h |\n|---|\n| {payload} |\n"
    assert_safe(render_markdown(source).html)


def test_assert_safe_rejects_known_bad_html():
    # Guard against a collector that silently accepts everything.
    bad = [
        "<script>alert(1)</script>",
        '<a href="javascript:alert(1)" rel="nofollow noopener ugc">x</a>',
        '<a href="jav&#x09;ascript:alert(1)" rel="nofollow noopener ugc">x</a>',
        '<a href="https://x.org">no rel</a>',
        '<img src="/relative.png">',
        '<p onclick="x">x</p>',
        '<p style="color:red">x</p>',
        "<svg></svg>",
    ]
    for fragment in bad:
        with pytest.raises(AssertionError):
            assert_safe(fragment)


def test_raw_script_is_escaped_not_dropped():
    rendered = render_markdown("Before <script>alert(1)</script> after")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered.html
    assert "<script" not in rendered.html
    assert "<script>alert(1)</script>" in rendered.text


def test_raw_html_block_is_escaped():
    rendered = render_markdown('<iframe src="https://example.org"></iframe>\n\nText')
    assert "&lt;iframe" in rendered.html
    assert not any(tag == "iframe" for tag, _ in _elements(rendered.html))


def test_javascript_link_keeps_text_but_loses_href():
    rendered = render_markdown("[click me](javascript:alert(1))")
    assert "click me" in rendered.html
    assert "javascript" not in rendered.html
    assert "href" not in rendered.html


def test_non_web_image_becomes_alt_text():
    rendered = render_markdown("![a diagram](/uploads/x.png) and ![evil](javascript:alert(1))")
    assert "<img" not in rendered.html
    assert "a diagram" in rendered.html
    assert "evil" in rendered.html


# ---------------------------------------------------------------------------
# Ordinary Markdown survives.
# ---------------------------------------------------------------------------


def test_fenced_code_with_language():
    rendered = render_markdown("```python\nif a < b:\n    print('<b>hi</b>')\n```")
    assert '<pre><code class="language-python">' in rendered.html
    assert "&lt;b&gt;hi&lt;/b&gt;" in rendered.html
    assert "a &lt; b" in rendered.html
    assert_safe(rendered.html)


def test_fenced_code_without_language_has_no_class():
    rendered = render_markdown("```\nplain\n```")
    assert "<pre><code>plain" in rendered.html


def test_inline_code():
    rendered = render_markdown("Use `<b>` and `x_y_z` here")
    assert "<code>&lt;b&gt;</code>" in rendered.html
    assert "<code>x_y_z</code>" in rendered.html


def test_table():
    rendered = render_markdown("| Method | Rate |\n|:--|--:|\n| IUD | 99% |\n| Pill | 91% |")
    html_out = rendered.html
    assert "<table>" in html_out
    assert '<th align="left">Method</th>' in html_out
    assert '<td align="right">99%</td>' in html_out
    assert "style" not in html_out
    assert_safe(html_out)


def test_lists_ordered_unordered_nested():
    rendered = render_markdown("3. three\n4. four\n\n- a\n    - nested\n- b")
    html_out = rendered.html
    assert '<ol start="3">' in html_out
    assert "<li>three</li>" in html_out
    assert re.search(r"<ul>\s*<li>a\s*<ul>\s*<li>nested</li>", html_out)
    assert_safe(html_out)


def test_emphasis():
    rendered = render_markdown("*em* **strong** _also em_ __also strong__")
    assert "<em>em</em>" in rendered.html
    assert "<strong>strong</strong>" in rendered.html
    assert "<em>also em</em>" in rendered.html
    assert "<strong>also strong</strong>" in rendered.html


def test_link():
    rendered = render_markdown("[WHO](https://www.who.int/)")
    assert '<a href="https://www.who.int/" rel="nofollow noopener ugc">WHO</a>' in rendered.html


def test_link_with_title():
    rendered = render_markdown('[WHO](https://www.who.int/ "World Health Organization")')
    assert 'title="World Health Organization"' in rendered.html
    assert_safe(rendered.html)


def test_an_image_from_another_site_is_a_link_the_reader_chooses_to_open():
    """No tracking pixel, no bytes spent before the reader asks: the image is a link."""
    rendered = render_markdown('Stock card: ![the chart](https://example.org/chart.png "Chart")'
                               " and ![](http://pixel.example/p.gif)")
    assert "<img" not in rendered.html
    links = [dict(attrs) for tag, attrs in _elements(rendered.html) if tag == "a"]
    assert [link["href"] for link in links] == ["https://example.org/chart.png",
                                                "http://pixel.example/p.gif"]
    assert links[0]["title"] == "Chart"
    assert ">the chart (image: example.org)</a>" in rendered.html
    assert ">image: pixel.example</a>" in rendered.html


def test_mailto_link():
    rendered = render_markdown("[write](mailto:help@example.org) or <help@example.org>")
    assert 'href="mailto:help@example.org"' in rendered.html
    assert rendered.html.count("<a ") == 2
    assert_safe(rendered.html)


def test_relative_link():
    rendered = render_markdown("[question](/questions/1) and [anchor](#answer-2)")
    assert '<a href="/questions/1" rel="nofollow noopener ugc">question</a>' in rendered.html
    assert 'href="#answer-2"' in rendered.html


def test_angle_bracket_autolink():
    rendered = render_markdown("<https://example.org/a_b>")
    assert 'href="https://example.org/a_b"' in rendered.html


def test_bare_url_autolink_without_trailing_dot():
    rendered = render_markdown("see https://example.org/fp.")
    expected = (
        '<a href="https://example.org/fp" rel="nofollow noopener ugc">https://example.org/fp</a>.'
    )
    assert expected in rendered.html


def test_bare_url_trailing_punctuation_and_parentheses():
    rendered = render_markdown(
        "(see https://example.org/a), https://example.org/b, and "
        "https://en.wikipedia.org/wiki/Contraception_(disambiguation)!"
    )
    html_out = rendered.html
    assert 'href="https://example.org/a"' in html_out
    assert 'href="https://example.org/b"' in html_out
    assert 'href="https://en.wikipedia.org/wiki/Contraception_(disambiguation)"' in html_out
    assert_safe(html_out)


def test_bare_url_with_query_and_underscores():
    rendered = render_markdown("https://example.org/a_b_c?x=1&y=2 _done_")
    assert 'href="https://example.org/a_b_c?x=1&amp;y=2"' in rendered.html
    assert "<em>done</em>" in rendered.html
    assert "<em>b</em>" not in rendered.html


def test_www_autolink():
    rendered = render_markdown("Visit www.example.org today")
    assert '<a href="https://www.example.org" rel="nofollow noopener ugc">www.example.org</a>' in (
        rendered.html
    )


def test_no_autolink_in_code():
    rendered = render_markdown("`https://example.org/x`\n\n```\nhttps://example.org/y\n```")
    assert "<a " not in rendered.html
    assert "https://example.org/x" in rendered.html
    assert "https://example.org/y" in rendered.html


def test_no_autolink_inside_existing_link():
    rendered = render_markdown("[see https://a.example](https://b.example)")
    assert rendered.html.count("<a ") == 1
    assert 'href="https://b.example"' in rendered.html


def test_link_text_with_brackets_and_images():
    rendered = render_markdown("[a [b] c](/x) and [![logo](https://example.org/l.png)](/home)")
    assert '<a href="/x" rel="nofollow noopener ugc">a [b] c</a>' in rendered.html
    # An image inside a link is that link's text: never a link inside a link.
    assert '<a href="/home" rel="nofollow noopener ugc">logo (image: example.org)</a>' in (
        rendered.html)


def test_unclosed_title_does_not_duplicate_text():
    # Python-Markdown's getLink returns index -1 here; it must not rewind the parser.
    rendered = render_markdown('[a](https://x.org" onmouseover="alert(1))')
    assert rendered.text.count("onmouseover") == 1
    assert_safe(rendered.html)


def test_no_autolink_for_other_schemes_or_bare_prefix():
    rendered = render_markdown("ftp://example.org and https:// and www. alone")
    assert "<a " not in rendered.html


def test_headings():
    rendered = render_markdown("# Title\n\n## Section\n\n### Sub")
    assert "<h1>Title</h1>" in rendered.html
    assert "<h2>Section</h2>" in rendered.html
    assert "<h3>Sub</h3>" in rendered.html
    assert "id=" not in rendered.html


def test_blockquote():
    rendered = render_markdown("> quoted *text*")
    assert re.search(r"<blockquote>\s*<p>quoted <em>text</em></p>\s*</blockquote>", rendered.html)


def test_horizontal_rule_and_hard_break():
    rendered = render_markdown("one  \ntwo\n\n---\n\nthree")
    assert "<br>" in rendered.html
    assert "<hr>" in rendered.html


def test_single_newline_is_not_a_break():
    rendered = render_markdown("one\ntwo")
    assert "<br" not in rendered.html


def test_unicode_text_preserved():
    source = "Planification familiale : « contraception d’urgence » — ça marche ? 日本語 😀 العربية"
    rendered = render_markdown(source)
    assert source in rendered.html
    assert rendered.text == source


def test_entities_in_text_render_sensibly():
    rendered = render_markdown("AT&T &amp; friends &copy; 2024 &#x263A;")
    assert "AT&amp;T &amp; friends © 2024 ☺" in rendered.html
    assert rendered.text == "AT&T & friends © 2024 ☺"


def test_text_is_plain():
    rendered = render_markdown(
        "# Title\n\nSome **bold** and [a link](https://example.org) &amp; more.\n\n"
        "- one\n- two\n\n```\ncode\n```"
    )
    assert "<" not in rendered.text
    assert rendered.text == "Title Some bold and a link & more. one two code"


def test_html_to_text():
    assert html_to_text("<p>a&amp;b</p><p>c\n\n  d</p><ul><li>e</li><li>f</li></ul>") == (
        "a&b c d e f"
    )
    assert html_to_text("") == ""
    assert html_to_text("<p>x<script>hidden()</script>y</p>") == "xy"


def test_rendered_is_frozen_and_versioned():
    rendered = render_markdown("hi")
    assert isinstance(rendered, Rendered)
    assert rendered.version == MARKUP_VERSION
    assert isinstance(MARKUP_VERSION, int)
    with pytest.raises(dataclasses.FrozenInstanceError):
        rendered.html = "<script></script>"  # type: ignore[misc]


# ---------------------------------------------------------------------------
# Totality: any input returns a Rendered.
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("", id="empty"),
        pytest.param("   \n\n\t", id="whitespace"),
        pytest.param("a\x00b\x00<scr\x00ipt>", id="nul"),
        pytest.param("\ud800", id="lone-surrogate"),
        pytest.param("x\udfffy\ud83d", id="surrogates-mixed"),
        pytest.param("\x01\x02\x03\x07\x1b[31m\x7f", id="control-chars"),
        pytest.param("\x02wzxhzdk:0\x03 \x02klzzwxh:0\x03", id="markdown-placeholders"),
        pytest.param("\ufeff\u202e\u200b\ufffe\U0010ffff", id="odd-unicode"),
        pytest.param("[" * 5000 + "]" * 5000, id="deep-brackets"),
        pytest.param("> " * 3000 + "deep", id="deep-quotes"),
        pytest.param("*" * 10000, id="stars"),
    ],
)
def test_total_on_garbage(source):
    rendered = render_markdown(source)
    assert isinstance(rendered, Rendered)
    assert "\x00" not in rendered.html
    assert "\x00" not in rendered.text
    rendered.html.encode("utf-8")  # no lone surrogates survive
    rendered.text.encode("utf-8")
    assert_safe(rendered.html)


def test_total_on_random_garbage():
    rng = random.Random(1234)
    for _ in range(20):
        source = "".join(chr(rng.randrange(0, 0x10FFFF)) for _ in range(2000))
        rendered = render_markdown(source)
        rendered.html.encode("utf-8")
        assert_safe(rendered.html)


def test_total_on_large_markdown_input():
    source = ("Para with *emphasis*, https://example.org/x and `code`.\n\n" * 4000)[:190_000]
    rendered = render_markdown(source)
    assert "<em>emphasis</em>" in rendered.html  # still rendered as Markdown
    assert_safe(rendered.html)


def test_total_on_200kb_input():
    # Beyond the backstop limit the source is shown as escaped plain paragraphs.
    source = ("Para with *emphasis* <b>x</b> https://example.org/x.\n\n" * 4000)[: 200 * 1024]
    assert len(source) == 200 * 1024
    rendered = render_markdown(source)
    assert rendered.html.startswith("<p>Para with *emphasis* &lt;b&gt;x&lt;/b&gt;")
    assert "Para with *emphasis* <b>x</b>" in rendered.text
    assert_safe(rendered.html)


def test_total_on_200kb_hostile_input():
    source = "<script>alert(1)</script>[" * (200 * 1024 // 26)
    rendered = render_markdown(source)
    assert "&lt;script&gt;" in rendered.html
    assert_safe(rendered.html)


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("[" * 50000, id="open-brackets"),
        pytest.param("[a](" * 12000, id="open-links"),
        pytest.param("# x\n" * 12000, id="many-headings"),
    ],
)
def test_pathological_input_is_fast(source):
    # Stock Python-Markdown needs minutes for 50 000 "[": the bounded scanners fix that.
    start = time.perf_counter()
    render_markdown(source)
    assert time.perf_counter() - start < 10


def test_non_str_input_does_not_raise():
    assert render_markdown(None).html == ""  # type: ignore[arg-type]
    assert "hi" in render_markdown(b"**hi** \xff").html  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# Bounded cost (issue 10, finding 1; docs/markup.md): the worst inputs found, each at the
# longest body a question may have, render well under a second, and the long runs of one
# block kind that used to be quadratic still render as Python-Markdown renders them.
# ---------------------------------------------------------------------------

LONGEST = qa.BODY_MAX


def _fit(unit: str, n: int, head: str = "") -> str:
    """`head`, then `unit` repeated, cut to exactly n characters."""
    return (head + unit * ((n - len(head)) // len(unit) + 1))[:n]


def _backtick_runs(n: int) -> str:
    """Runs of 1, 2, 3, ... backticks: none has a partner of its length after it."""
    return "".join("`" * k + "a" for k in range(1, 400))[:n]


def _wide_table(n: int) -> str:
    """A 1 000-column header over rows of a single "|": each row padded to 1 000 cells."""
    return _fit("|\n", n, "|" + "a|" * 1000 + "\n|" + "-|" * 1000 + "\n")


_LONG_URL = "http://x.example/" + "a" * 2000

# Before the fix (forum/markup.py of issue 9), at 50 000 characters: see docs/markup.md.
WORST = {
    "setext-headings": lambda n: _fit("a\n=\n", n),  # 7.9 s
    "rules-after-text": lambda n: _fit("a\n* * *\n", n),  # 2.1 s
    "list-item-rules": lambda n: _fit("- ---\n", n),  # 2.4 s
    "reference-definitions-between-lines": lambda n: _fit("a\n[r]: /u\n", n),  # 5.5 s
    "indented-code-between-lines": lambda n: _fit("    a\n[r]: /u\n", n),  # 5.8 s
    "table-header-over-setext-lines": lambda n: _fit("a|b\n-\n", n),  # 6.8 s
    "table-padded-from-a-wide-header": _wide_table,  # over 2 minutes
    "nested-ordered-lists": lambda n: _fit("1. ", n),  # 0.5 s
    "nested-quotes": lambda n: _fit("> ", n),  # 0.3 s
    "31-deep-lists-on-every-line": lambda n: _fit("- " * 31 + "a\n", n),  # 0.5 s
    "one-line-paragraphs": lambda n: _fit("a\n\n", n),  # 0.35 s
    "emphasis-everywhere": lambda n: _fit("*a* ", n),
    "emphasis-built-in-one-match": lambda n: _fit('**"-*=', n),  # 1.5 s
    "escapes-after-an-emoji": lambda n: _fit("\\*", n, "\U0001f600"),  # 2.4 s
    "unpaired-backticks": lambda n: _fit("``a`", n),  # 9 s
    "backtick-runs-of-every-length": _backtick_runs,  # 0.4 s
    "one-reference-used-everywhere": lambda n: _fit("[a][r] ", n, f"[r]: {_LONG_URL}\n\n"),
    "open-brackets": lambda n: _fit("[", n),
}


def _render_seconds(source: str) -> float:
    """The fastest of up to three renders: a busy machine only ever slows one down."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        render_markdown(source)
        best = min(best, time.perf_counter() - start)
        if best < 0.5:
            break
    return best


@pytest.mark.parametrize("family", list(WORST))
def test_worst_inputs_at_the_longest_body_render_well_under_a_second(family, record_property):
    source = WORST[family](LONGEST)
    assert len(source) == LONGEST
    seconds = _render_seconds(source)
    record_property("render_seconds", round(seconds, 3))
    print(f"{family}: {seconds:.3f} s")
    assert seconds < 1.0, f"{family}: {seconds:.2f} s"


def test_the_costliest_body_still_rendered_is_well_under_a_second(record_property):
    # Just under the budget (forum/markup.py): every one of these becomes an <em>.
    source = "*a* " * 9_900
    assert "<em>a</em> " * 9_900 in render_markdown(source).html
    seconds = _render_seconds(source)
    record_property("render_seconds", round(seconds, 3))
    print(f"9 900 emphasized words: {seconds:.3f} s")
    assert seconds < 1.0


def test_long_runs_of_one_block_kind_render_as_before():
    # The shapes that were quadratic, below the budget: the same HTML as a few of them.
    assert render_markdown("a\n=\n" * 3000).html == "\n".join(["<h1>a</h1>"] * 3000)
    assert render_markdown("a\n-\n" * 3000).html == "\n".join(["<h2>a</h2>"] * 3000)
    assert render_markdown("a\n* * *\n" * 2000).html == "\n".join(["<p>a</p>\n<hr>"] * 2000)
    assert render_markdown("- ---\n" * 3000).html == "\n".join(["<hr>"] * 3000)
    assert render_markdown("a\n[r]: /u\n" * 2000).html == "\n".join(["<p>a</p>"] * 2000)
    assert render_markdown("    a\nb\n=\n" * 1000).html == "\n".join(
        ["<pre><code>a\n</code></pre>\n<h1>b</h1>"] * 1000)
    assert render_markdown("# a\nb\n" * 2000).html == "\n".join(["<h1>a</h1>\n<p>b</p>"] * 2000)


def test_lists_and_quotes_nest_at_most_32_deep():
    quotes = render_markdown("> " * 40 + "deep").html
    assert quotes.count("<blockquote>") == 32
    assert "<p>&gt; &gt; &gt; &gt; &gt; &gt; &gt; &gt; deep</p>" in quotes
    assert render_markdown("- " * 40 + "deep").html.count("<ul>") == 32
    assert render_markdown("> " * 32 + "deep").html.count("<blockquote>") == 32


def test_a_table_of_more_than_10_000_cells_stays_text():
    small = render_markdown("|" + "a|" * 10 + "\n|" + "-|" * 10 + "\n" + "|\n" * 50)
    assert small.html.count("<td></td>") == 500
    wide = render_markdown(_wide_table(5000))
    assert "<table>" not in wide.html and wide.html.startswith("<p>|a|a|a|")


def test_a_document_past_its_budget_is_shown_as_plain_text():
    rendered = render_markdown("*a* " * 12_500)
    assert rendered.html == "<p>" + ("*a* " * 12_500).strip() + "</p>"
    assert "<em>" not in rendered.html and rendered.version == MARKUP_VERSION


def test_a_reference_cannot_multiply_a_long_url():
    source = WORST["one-reference-used-everywhere"](LONGEST)
    assert len(render_markdown(source).html) < 2 * LONGEST  # 19 MB before
    # A reference used a few times still works.
    assert render_markdown(f"[a][r] [b][r]\n\n[r]: {_LONG_URL}").html.count(_LONG_URL) == 2


def test_code_spans_are_found_where_python_markdown_finds_them():
    # forum/markup.py's _BacktickProcessor answers from regular expressions what upstream
    # finds by walking the text; both must agree on every start in every text.
    upstream, ours = BacktickInlineProcessor(BACKTICK_RE), _BacktickProcessor(BACKTICK_RE)
    rng = random.Random(10)
    for _ in range(3000):
        text = "".join("`" * rng.randint(1, 9) + rng.choice(["a", " ", "\\", "\n", "bc", ""])
                       for _ in range(rng.randint(1, 10)))
        for start in range(len(text)):
            assert ours.find_code_spans(start, text) == upstream.find_code_spans(start, text), (
                text, start)


@pytest.mark.parametrize("source", [
    "a|b\n-|-\n*x*|`y`\n\n> q &amp; &lt;b&gt;",
    '[a](http://x "t>b") ![i](http://y.png "a>b<c") &nbsp;&#60;',
    "# T\n\n- one\n- two\n\n1. x\n\n```py\nx < 1 && y > 2\n```\n\n---\n\na  \nb",
    "<script>x</script> <!-- c --> <b>raw</b> \u00a0 \U0001f600",
])
def test_text_of_a_rendering_is_html_to_text_of_its_html(source):
    rendered = render_markdown(source)
    assert rendered.text == html_to_text(rendered.html)


def test_a_long_ordinary_post_renders_as_markdown_quickly():
    bodies = [spec["body"] for spec in demo_content.QUESTIONS]
    source = _fit("\n\n".join(bodies) + "\n\n", LONGEST)
    start = time.perf_counter()
    rendered = render_markdown(source)
    seconds = time.perf_counter() - start
    assert {"<li>", "<strong>", "<p>"} <= set(re.findall(r"<[a-z]+>", rendered.html))
    assert seconds < 1.0
