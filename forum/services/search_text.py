"""Text in index form, for the search index and for queries alike (see
forum/services/search.py): folded (case, accents, ligatures), split into words, and each word
folded by a small English/French suffix stripper (`stem`)."""

import re
import unicodedata
from functools import cache, lru_cache

MAX_WORD = 60  # longer "words" (hashes, base64) are not indexed

_WORD = re.compile(r"[^\W_]+")
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ø": "o", "đ": "d", "ł": "l", "ı": "i",
                            "ð": "d", "þ": "th"})
_VOWELS = frozenset("aeiouy")

STOP_WORDS = frozenset("""
a about an and are as at be been but by can could do does for from had has have how i if
in into is it its me my no not of on or our should so than that the their them then there
these they this those to us was we were what when where which who why will with would you
your
au aux avec ce ces cet cette d dans de des du elle elles en est et il ils j je l la le les
leur leurs lui mais me mes n ne nos notre nous ont ou par pour qu que quel quelle qui s sa
se ses son sont sur ta te tes ton tu un une vos votre vous y
""".split())


@cache
def _strip_marks_table() -> dict[int, None]:
    """A str.translate table deleting every combining mark (accents after NFKD)."""
    return {cp: None for cp in range(0x300, 0x20000) if unicodedata.combining(chr(cp))}


def fold(text: str) -> str:
    """Lower-case `text` and drop accents and ligatures ("Méthode" -> "methode")."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    return text.translate(_strip_marks_table()).translate(_LIGATURES)


def _undouble(word: str) -> str:
    if len(word) >= 2 and word[-1] == word[-2] and word[-1] not in _VOWELS \
            and word[-1] not in "lsz":
        return word[:-1]
    return word


@lru_cache(maxsize=65_536)
def stem(word: str) -> str:
    """Fold English and French word endings of a folded word, conservatively.

    vaccines/vaccine/vaccin -> vaccin, formations -> formation, méthodes -> method,
    hôpitaux -> hopital, planning/planned/plans -> plan, injecting/injected -> inject
    (but injection stays injection).
    """
    if len(word) <= 3 or not word.isascii() or not word.isalpha():
        return word
    # Plurals (English and French).
    if word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("eaux"):
        word = word[:-1]
    elif word.endswith("aux") and len(word) >= 6:
        word = word[:-3] + "al"
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    # English -ing and -ed, when a real stem (4+ letters with a vowel) is left.
    if word.endswith("ing") and len(word) >= 7 and _VOWELS.intersection(word[:-3]):
        word = _undouble(word[:-3])
    elif word.endswith("ed") and not word.endswith("eed") and len(word) >= 6 \
            and _VOWELS.intersection(word[:-2]):
        word = _undouble(word[:-2])
    # French feminine participles (formée -> formé), then a final mute e.
    if word.endswith("ee") and len(word) >= 5:
        word = word[:-1]
    if word.endswith("e") and len(word) >= 5:
        word = word[:-1]
    return word


def words(text: str) -> list[str]:
    """The folded (not yet stemmed) words of `text`."""
    return [w for w in _WORD.findall(fold(text or "")) if len(w) <= MAX_WORD]


def normalise(text: str, *, limit: int | None = None) -> str:
    """The indexed form of `text`: its stemmed words joined by single spaces."""
    found = words(text)
    if limit is not None:
        found = found[:limit]
    return " ".join(stem(w) for w in found)


