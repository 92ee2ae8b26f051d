"""Translations: the French catalog covers every string in the source, compiles, and is served.

The messages are extracted from the current source exactly as documented:

    pybabel extract -F babel.cfg -k _l -k lazy_gettext -o messages.pot .
    pybabel update -i messages.pot -d forum/translations -l fr --no-fuzzy-matching

A failure lists every msgid to add or fix in forum/translations/fr/LC_MESSAGES/messages.po.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

pytestmark = pytest.mark.dbless  # the same on every database: SQLite pass only

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "forum" / "translations"
FRENCH_PO = TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.po"
EXTRA_KEYWORDS = ("_l", "lazy_gettext")

# A printf-style conversion: %(name)s, %(n)d, %s, %5.2f, and the escaped %%.
CONVERSION = re.compile(r"%(?:\((?P<name>[^)]*)\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?"
                        r"(?P<type>[diouxXeEfFgGcrsa%])")


def _read_catalog(path, locale=None):
    with open(path, "rb") as handle:
        return read_po(handle, locale=locale)


def _forms(value):
    """A msgid or msgstr as a tuple of strings (plural entries hold several)."""
    if isinstance(value, (tuple, list)):
        return tuple(value)
    return (value,)


def _placeholders(text):
    """The conversions in `text` (without %%), and whether a stray % is left over."""
    found = set()
    for match in CONVERSION.finditer(text):
        if match["type"] != "%":
            found.add(match.group(0))
    stray = "%" in CONVERSION.sub("", text)
    return found, stray


def _describe(message):
    where = ", ".join(f"{file}:{line}" for file, line in message.locations[:3])
    first = _forms(message.id)[0]
    return f"{first!r}" + (f" ({where})" if where else "")


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """The messages extracted from the current source into a fresh .pot file."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    keywords = [arg for keyword in EXTRA_KEYWORDS for arg in ("-k", keyword)]
    result = subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "--quiet", "extract",
         "-F", "babel.cfg", *keywords, "-o", str(pot), "."],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, f"pybabel extract failed:\n{result.stdout}\n{result.stderr}"
    catalog = _read_catalog(pot)
    assert len([m for m in catalog if m.id]) > 0, "extraction found no messages"
    return catalog


@pytest.fixture(scope="module")
def french():
    return _read_catalog(FRENCH_PO, locale="fr")


@pytest.fixture(scope="module")
def compiled_translations(tmp_path_factory, french):
    """The French catalog compiled from the .po into a translations folder of its own."""
    folder = tmp_path_factory.mktemp("translations")
    target = folder / "fr" / "LC_MESSAGES"
    target.mkdir(parents=True)
    with open(target / "messages.mo", "wb") as handle:
        write_mo(handle, french)
    return folder


def test_french_catalog_covers_every_message_in_the_source(template, french):
    missing, untranslated, fuzzy = [], [], []
    for message in template:
        if not message.id:
            continue
        entry = french.get(message.id, message.context)
        if entry is None:
            missing.append(_describe(message))
        elif entry.fuzzy:
            fuzzy.append(_describe(message))
        elif not all(_forms(entry.string)) or len(_forms(entry.string)) < len(
            _forms(message.id)
        ):
            untranslated.append(_describe(message))
    problems = []
    if missing:
        problems.append("not in the French catalog (run pybabel update):\n  "
                        + "\n  ".join(missing))
    if untranslated:
        problems.append("without a French translation:\n  " + "\n  ".join(untranslated))
    if fuzzy:
        problems.append("marked fuzzy (check, then remove the flag):\n  " + "\n  ".join(fuzzy))
    assert not problems, f"{FRENCH_PO.relative_to(ROOT)}:\n" + "\n".join(problems)


def test_french_catalog_header_is_not_fuzzy(french):
    # pybabel compile skips a whole catalog whose header is fuzzy: nothing would be French.
    assert not french.fuzzy, "remove '#, fuzzy' above the header of the French catalog"


def test_french_translations_keep_the_placeholders(french):
    wrong = []
    for message in french:
        if not message.id or not message.string:
            continue
        expected, not_a_format = _placeholders(" ".join(_forms(message.id)))
        if not_a_format:  # a lone % in the msgid: the string is never %-formatted
            continue
        for form in _forms(message.string):
            if not form:
                continue
            found, stray = _placeholders(form)
            if found != expected or stray:
                detail = f"expected {sorted(expected)}, found {sorted(found)}"
                if stray:
                    detail += ", and a lone % (write %% for a percent sign)"
                wrong.append(f"{_describe(message)}: {detail}")
    assert not wrong, "placeholders differ between msgid and msgstr:\n  " + "\n  ".join(wrong)


def test_french_catalog_compiles_without_errors(french, tmp_path):
    errors = [f"{_describe(message)}: {error}"
              for message, problems in french.check() for error in problems]
    assert not errors, "\n".join(errors)
    mo = tmp_path / "messages.mo"
    with open(mo, "wb") as handle:
        write_mo(handle, french)
    with open(mo, "rb") as handle:
        translations = Translations(handle)
    assert translations.gettext("Log in") == "Se connecter"
    subject = translations.gettext("Reset your Tacit password")
    assert "mot de passe" in subject.lower()
    body = translations.gettext(
        "Hello %(name)s,\n\nSomeone (we hope you) asked to reset the password of your Tacit "
        "account. Open this link within an hour to choose a new password:\n\n%(link)s\n\n"
        "The link works once. If you did not ask for this, ignore this email: your "
        "password stays as it is.\n"
    )
    rendered = body % {"name": "Awa", "link": "https://example.org/r/x"}
    assert rendered.startswith("Bonjour Awa,\n\n")
    assert "\n\nhttps://example.org/r/x\n\n" in rendered


@pytest.fixture
def app_config(compiled_translations):
    """Serve the catalog compiled from the .po above, not a possibly stale build output."""
    return {"BABEL_TRANSLATION_DIRECTORIES": str(compiled_translations)}


def test_pages_are_in_english_by_default(anon_client):
    html = anon_client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "<h1>Log in</h1>" in html
    assert "Se connecter" not in html


def test_lang_parameter_shows_the_page_in_french(anon_client):
    html = anon_client.get("/login?lang=fr").get_data(as_text=True)
    assert '<html lang="fr">' in html
    assert "<h1>Se connecter</h1>" in html
    assert "Mot de passe oublié" in html
    assert ">Mot de passe</label>" in html  # a lazy form label
    assert "<h1>Log in</h1>" not in html


def test_browser_language_is_followed(anon_client):
    html = anon_client.get("/", headers={"Accept-Language": "fr-SN,fr;q=0.9"}).get_data(
        as_text=True
    )
    assert '<html lang="fr">' in html
    assert "S'inscrire" in html or "S&#39;inscrire" in html
