"""What a question asks for: its expected answer type, content terms and key names, without NLP parsing."""

import re
from dataclasses import dataclass
from functools import lru_cache

import Stemmer

DATE = frozenset({"DATE"})
TIME = frozenset({"DATE", "TIME"})
PERSON_ORG = frozenset({"PERSON", "ORG"})
PERSON = frozenset({"PERSON"})
ORG = frozenset({"ORG"})
PLACE = frozenset({"GPE", "LOC", "FAC"})
COUNT = frozenset({"CARDINAL", "QUANTITY"})
AMOUNT = frozenset({"MONEY", "QUANTITY", "PERCENT", "CARDINAL"})
MONEY = frozenset({"MONEY"})
PERCENT = frozenset({"PERCENT"})
DURATION = frozenset({"DATE", "TIME", "QUANTITY", "CARDINAL"})
PHRASE = frozenset({"NP"})  # any noun phrase

# (pattern over the lower-cased question, expected labels); the first match wins.
_RULES: list[tuple[str, frozenset[str]]] = [
    (r"\bhow many\b", COUNT),
    (r"\bhow much\b", AMOUNT),
    (r"\bhow long\b", DURATION),
    (r"\bhow old\b", DURATION),
    (r"\b(what|which) (percentage|percent|share|proportion)\b", PERCENT),
    (r"\b(what|which) (amount|price|cost|sum|value|funding|investment)\b", MONEY),
    (r"\b(what|which|in what|in which) (year|date|month|day|decade|quarter|century)\b", DATE),
    (r"\b(what|which) time\b", TIME),
    (r"^(when|since when|by when|until when)\b|\bwhen\b", DATE),
    (
        r"\b(what|which) (company|companies|firm|organi[sz]ation|agency|partner|university|institute|group|"
        r"bank|investor|regulator|business|manufacturer|startup|biotech)\b",
        ORG,
    ),
    (r"\b(what|which) (city|country|state|region|place|location|province|continent|town|site)\b", PLACE),
    (r"^(where)\b|\bwhere\b", PLACE),
    (
        r"\b(who|whom)\b.*\b(chief|ceo|cfo|cso|coo|president|chairman|chair|director|head|founder|professor|"
        r"dr|said|says|stated|signed|leads|led)\b",
        PERSON,
    ),
    (r"\b(what|which) (person|executive|scientist|researcher|officer|professor|doctor)\b", PERSON),
    (r"^(who|whom|whose)\b|\b(who|whom|whose)\b", PERSON_ORG),
]
_STOPWORDS = frozenset(
    (
        "a an the of in on at to for from by with and or is are was were be been being do does did has have "
        "had what which who whom whose when where why how that this these those it its their his her they "
        "them as into about than then there here will would can could should may might must shall also any "
        "some many much long old"
    ).split()
)
_WORD = re.compile(r"[\w’'-]+")


@dataclass(frozen=True)
class QuestionInfo:
    text: str
    expected: frozenset[str]
    terms: frozenset[str]  # stemmed content words
    key_terms: tuple[str, ...]  # names, acronyms and numbers the evidence must mention


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def stem_words(text: str) -> list[str]:
    """Lower-cased, stemmed content words of `text`, in order."""
    words = [w.strip("’'-").lower() for w in _WORD.findall(text)]
    return _stemmer().stemWords([w for w in words if w and w not in _STOPWORDS])


def expected_type(question: str) -> frozenset[str]:
    """The entity labels an answer to `question` should carry (PHRASE when no type is implied)."""
    lowered = question.lower().strip()
    for pattern, labels in _RULES:
        if re.search(pattern, lowered):
            return labels
    return PHRASE


def key_terms(question: str) -> tuple[str, ...]:
    """Capitalised names, acronyms and codes (not the first word, nor wh-words), lower-cased."""
    words = _WORD.findall(question)
    keys = []
    for position, word in enumerate(words):
        word = word.strip("’'-")
        if not word or word.lower() in _STOPWORDS:
            continue
        has_digit = any(ch.isdigit() for ch in word) and any(ch.isalpha() for ch in word)
        named = word[0].isupper() and (position > 0 or word.isupper())
        if has_digit or named:
            keys.append(re.sub(r"[’']s$", "", word.lower()))
    return tuple(dict.fromkeys(keys))


def analyze_question(question: str) -> QuestionInfo:
    return QuestionInfo(question, expected_type(question), frozenset(stem_words(question)), key_terms(question))
