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

# The noun a "what/which …" question names its answer by: "Which federal judge", "What Las Vegas company".
_NOUN_TYPES: dict[str, frozenset[str]] = {
    **dict.fromkeys("year date month day decade quarter century deadline birthday".split(), DATE),
    "time": TIME,
    **dict.fromkeys(
        "company companies firm organization organisation agency partner university institute group bank investor "
        "regulator business manufacturer startup biotech clinic pharmacy hospital corporation nonprofit charity "
        "gang tribe exchange school center centre practice laboratory lab distributor contractor cartel newspaper "
        "union provider insurer subsidiary entity department office court publisher journal".split(),
        ORG,
    ),
    **dict.fromkeys(
        "city country state region place location province continent town site county island village "
        "neighborhood district street airport port nation hometown".split(),
        PLACE,
    ),
    **dict.fromkeys(
        "person executive scientist researcher officer professor doctor judge justice attorney prosecutor agent "
        "physician nurse pharmacist owner official leader employee defendant man woman ceo chairman president "
        "sheriff senator principal neighbor".split(),
        PERSON,
    ),
    **dict.fromkeys("name nickname alias".split(), PERSON_ORG),
    **dict.fromkeys(
        "amount price cost sum value funding investment penalty fine restitution forfeiture settlement payment "
        "fee bribe bribes kickback kickbacks loss losses damages judgment bail bond salary".split(),
        MONEY,
    ),
    **dict.fromkeys("sentence term".split(), DURATION),
    **dict.fromkeys("percentage percent share proportion".split(), PERCENT),
}
# "What is the maximum sentence …": the copula and article say nothing of the type.
_WH_PHRASE = re.compile(r"\b(?:what|which|whose)\b(?: (?:is|was|are|were) the)?((?: [\w.'’-]+){1,4})")
# The phrase ends where its verb begins: "What company did …", "Which firm paid …" (and any word in -ed).
_PHRASE_END = frozenset(
    "did does do was were is are has have had will would can could may must should paid got made took gave "
    "sold ran led won said told bought built lost brought sent kept held found".split()
)

_HEAD_ENDS = frozenset("for of in on at to with by from about".split())

# (pattern over the lower-cased question, expected labels); the first match wins.
_BEFORE_NOUNS: list[tuple[str, frozenset[str]]] = [
    (r"\bhow many\b", COUNT),
    (r"\bhow much (?:prison|jail) time\b", DURATION),
    (r"\bhow much\b", AMOUNT),
    (r"\bhow long\b", DURATION),
    (r"\bhow old\b", DURATION),
]
_AFTER_NOUNS: list[tuple[str, frozenset[str]]] = [
    (r"^(when|since when|by when|until when)\b", DATE),
    (r"^(where)\b|\bwhere\b", PLACE),
    (
        r"\b(who|whom)\b.*\b(chief|ceo|cfo|cso|coo|president|chairman|chair|director|head|headed|founder|professor|"
        r"dr|said|says|stated|signed|leads|led)\b",
        PERSON,
    ),
    (r"^(who|whom|whose)\b|\b(who|whom|whose)\b", PERSON_ORG),
    (r"^(?!what\b|which\b).*\bwhen\b", DATE),  # "What was his job when …" asks for a job
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
    names: tuple[str, ...] = ()  # proper names (not acronyms): a release naming none of them is about others


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
    for pattern, labels in _BEFORE_NOUNS:
        if re.search(pattern, lowered):
            return labels
    named = _named_type(lowered)
    if named:
        return named
    for pattern, labels in _AFTER_NOUNS:
        if re.search(pattern, lowered):
            return labels
    return PHRASE


def _named_type(lowered: str) -> frozenset[str] | None:
    """The type named by the last typed noun of the first what/which phrase ("which state agency": ORG)."""
    match = _WH_PHRASE.search(lowered)
    if not match:
        return None
    words = []
    for word in match.group(1).split():
        # The phrase's head comes before its verb, and before a preposition ("the deadline for tribes").
        if word in _PHRASE_END or word in _HEAD_ENDS or (words and word.endswith("ed")):
            break
        words.append(re.sub(r"[’']s?$", "", word.strip(".")))
    for word in reversed(words):
        labels = _NOUN_TYPES.get(word) or _NOUN_TYPES.get(_singular(word))  # "Which hospitals …" asks for ORGs
        if labels:
            return labels
    return None


def _singular(word: str) -> str:
    if word.endswith("ies"):
        return word[:-3] + "y"
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


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


def proper_names(question: str) -> tuple[str, ...]:
    """Capitalised words after the first that are neither acronyms ("CEO", "FDA") nor codes, lower-cased."""
    words = [re.sub(r"[’']s$", "", w.strip("’'-")) for w in _WORD.findall(question)[1:]]
    names = [
        w.lower()
        for w in words
        if len(w) >= 3 and w[0].isupper() and not w.isupper() and w.isalpha() and w.lower() not in _STOPWORDS
    ]
    return tuple(dict.fromkeys(names))


# Plural nouns a "which/what …" question can name its answers by; words in -s that are not plurals stay out.
_NOT_PLURAL = frozenset("is was has does this us news status series basis analysis diagnosis biosimilars".split())
_LIST_START = re.compile(r"^(?:list|name|enumerate)\b|^who (?:were|are|have)\b|^(?:who|which) .*\bcases\b")
_PLURAL_WH = re.compile(r"^(?:in |from |of |by |for |on )?(?:which|what)((?: [\w'’-]+){1,4})", re.IGNORECASE)


def asks_for_list(question: str) -> bool:
    """Whether a question asks for several answers: "Which companies …", "Who were …", "List the …".

    A plural noun right after which/what ("Which drugs did the FDA approve?") asks for a list; after a
    copula ("What were the terms …") it names one answer's parts, so it does not."""
    spaced = " ".join(question.split())
    if _LIST_START.search(spaced.lower()):
        return True
    match = _PLURAL_WH.search(spaced[:1].lower() + spaced[1:])
    if not match:
        return False
    for word in match.group(1).split():
        lowered = word.lower()
        if lowered in {"and", "or"}:  # "Which gene and cell therapies …": one phrase
            continue
        if lowered in _PHRASE_END or lowered in _STOPWORDS:
            return False
        if word[0].isupper():  # a name ("Which Texas company …"), not a plural
            continue
        if lowered.endswith("s") and not lowered.endswith(("ss", "'s", "’s")) and lowered not in _NOT_PLURAL:
            return True
    return False


# Plural nouns whose items are names: a company, a drug, a person, a place is named, not described.
_NAME_NOUNS = frozenset(
    "companies firms organizations organisations agencies universities hospitals banks insurers manufacturers "
    "startups groups partners investors institutions distributors pharmacies clinics contractors subsidiaries "
    "drugs products therapies vaccines medicines treatments candidates devices brands "
    "people persons officials executives doctors physicians defendants individuals officers ministers leaders "
    "countries states cities territories counties nations regions sites".split()
)


def asks_for_names(question: str) -> bool:
    """Whether a list question's items are names ("Which companies …", "Who were …", "Which drugs …"): an item
    without a capital or a code ("vaccines and devices", "cells") is a description, not one of them."""
    spaced = " ".join(question.split())
    if re.match(r"(?i)who\b", spaced):
        return True
    match = _PLURAL_WH.search(spaced[:1].lower() + spaced[1:])
    return bool(match) and any(w.lower().strip(",") in _NAME_NOUNS for w in match.group(1).split())


def names_something(text: str) -> bool:
    """Whether a span holds a name or a code: a capitalised word that is not its first ("the FDA"), its first
    when more follow or it is an acronym, or a word of letters and digits ("CT041")."""
    words = text.split()
    return any(
        any(c.isdigit() for c in w) and any(c.isalpha() for c in w) or (w[:1].isupper() and w.lower() != "the")
        for w in words
    )


def repeats_question(info: QuestionInfo, text: str) -> bool:
    """Whether a span only says again what the question says: all its words are the question's, or its capitals
    spell one of the question's acronyms ("the Regenerative Medicine Advanced Therapy" for "… RMAT …")."""
    words = stem_words(text)
    if words and all(word in info.terms for word in words):
        return True
    initials = "".join(w[0] for w in _WORD.findall(text) if w[0].isupper()).lower()
    return len(initials) >= 3 and initials in info.key_terms


def analyze_question(question: str) -> QuestionInfo:
    return QuestionInfo(
        question,
        expected_type(question),
        frozenset(stem_words(question)),
        key_terms(question),
        proper_names(question),
    )
