"""Whether a sentence is about what the question asks: the same quarter, year, trial phase and role.

Most near misses on corporate releases are facts of the right type about the wrong thing: last quarter's net
loss for "the first quarter of 2024", the CEO for "Who is the CTO …?", a Phase 2 enrolment for "… Phase 3
study". A sentence that names a quarter (year, phase, role) of its own and not the one the question names is
about something else; its answer's score is lowered (`BindingCheck.penalty`), not dropped, so that a release
whose only sentence with the figure is worded differently can still answer.
"""

import re
from dataclasses import dataclass

from pressqa.reader.question import PHRASE, TIME, QuestionInfo, proper_names

_ORDINAL = {"first": "1", "1st": "1", "second": "2", "2nd": "2", "third": "3", "3rd": "3", "fourth": "4", "4th": "4"}
_QUARTER = re.compile(
    r"\b(?:(first|second|third|fourth|1st|2nd|3rd|4th)[\s-]+(?:fiscal[\s-]+)?quarter|q([1-4])|([1-4])q)\b", re.I
)
_HALF = re.compile(r"\b(?:(first|second)[\s-]+half|h([12]))\b", re.I)
_YEAR = re.compile(r"\b(?:fy\s?|fiscal\s+(?:year\s+)?)?((?:19|20)\d{2})\b", re.I)
_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4"}
_PHASE = re.compile(r"\bphase[\s-]*(iv|iii|ii|i|[1-4])[ab]?(?:\s*/\s*(iv|iii|ii|i|[1-4])[ab]?)?\b", re.I)
_ROLES = {
    "ceo": r"ceo|chief executive(?: officer)?",
    "cfo": r"cfo|chief financial officer",
    "coo": r"coo|chief operating officer",
    "cto": r"cto|chief technology officer|chief technical officer",
    "cso": r"cso|chief scien(?:ce|tific) officer",
    "cmo": r"cmo|chief medical officer|chief marketing officer",
    "cco": r"cco|chief commercial officer",
    "chair": r"chair(?:man|woman|person)?",
    "president": r"president",
    "founder": r"(?:co-?)?founder",
}
_ROLE = {name: re.compile(rf"\b(?:{pattern})\b", re.I) for name, pattern in _ROLES.items()}


def quarters(text: str) -> set[str]:
    found = set()
    for match in _QUARTER.finditer(text):
        word, q_number, number_q = match.groups()
        found.add(_ORDINAL[word.lower()] if word else q_number or number_q)
    return found


def halves(text: str) -> set[str]:
    return {(_ORDINAL[m.group(1).lower()] if m.group(1) else m.group(2)) for m in _HALF.finditer(text)}


def years(text: str) -> set[str]:
    return {m.group(1) for m in _YEAR.finditer(text)}


def phases(text: str) -> set[str]:
    """Trial phases, "Phase 2/3" being both."""
    return {_ROMAN.get(n.lower(), n) for m in _PHASE.finditer(text) for n in m.groups() if n}


def roles(text: str) -> set[str]:
    # "Chairman and CEO of X": both; "Vice President" is not the president.
    text = re.sub(r"\bvice[\s-]+president\b", " ", text, flags=re.I)
    return {name for name, pattern in _ROLE.items() if pattern.search(text)}


ASPECTS = {"quarter": quarters, "half": halves, "year": years, "phase": phases, "role": roles}
_PERIODS = frozenset({"quarter", "half", "year"})


def conflicts(question: str, evidence: str, expected: frozenset[str] = PHRASE, context: str = "") -> list[str]:
    """The aspects (quarter, half, year, phase, role) the question names and `evidence` names otherwise, and
    "holder" when the question asks for a named company's role and `evidence` never names the company.

    The evidence is the answer's sentence; `context`, the sentence it was read after (which says who "it" is).
    A question asking for a date names periods to say which event it means, not the date's own period ("When
    was the man charged in 2015 arrested?"): only its phase and role are checked."""
    out = []
    for name, extract in ASPECTS.items():
        if expected & TIME and name in _PERIODS:
            continue
        asked = extract(question)
        if not asked:
            continue
        said = extract(f"{context} {evidence}")
        if said and not asked & said:
            out.append(name)
    if _holder_missing(question, evidence, context):
        out.append("holder")
    return out


def _holder_missing(question: str, sentence: str, context: str) -> bool:
    """A role asked of a named company ("Who is the CEO of Moderna?") read in a sentence that never names it: the
    role there is someone else's ("CARsgen's leadership, embodied by CEO and CSO Zonghai Li, …"). The sentence
    before counts only when this one says "its" or "the company": a role is written beside its holder."""
    names = proper_names(question)
    if not names or not roles(question):
        return False
    said = f"{context} {sentence}" if _HOLDER_ANAPHOR.search(sentence) else sentence
    return not any(name in said.lower() for name in names)


_HOLDER_ANAPHOR = re.compile(r"\b(its|their|the (?:company|firm|group|bank|agency))\b", re.I)


@dataclass(frozen=True)
class BindingCheck:
    """Lowers an answer's score when its sentence is about another period, phase or role than the question's."""

    penalty: float = 0.1  # the score is multiplied by this for a sentence in conflict

    def factor(self, info: QuestionInfo, sentence: str, context: str = "") -> float:
        if self.penalty >= 1.0:
            return 1.0
        return self.penalty if conflicts(info.text, sentence, info.expected, context) else 1.0
