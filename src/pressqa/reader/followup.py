"""Follow-up questions: "and orphan drug designation?" or "who leads it?" read with the previous question.

A chat follow-up often lacks its own subject. Rather than guess inside retrieval, the follow-up is rewritten into
a whole question ("When did CT041 receive orphan drug designation?") that the user is shown and can correct;
everything downstream then works on an ordinary question. The rules are word-level on purpose: a question is a
handful of words, and its subject is the name or product code it asks about.
"""

import re

from pressqa.reader.question import ORG, PERSON, expected_type

_WORD = re.compile(r"[\w][\w.’'&-]*|[^\w\s]")
_WH = frozenset("what when who whom whose where which why how".split())
_AUX = frozenset("is are was were did does do has have had can could will would should may".split())
_LEAD_INS = ("and what about ", "what about ", "how about ", "and also ", "and ", "also ", "plus ")
_PREPOSITIONS = frozenset("of for at by with from in on to".split())
# Words that stand for the previous question's subject; "its" becomes a possessive.
_PRONOUNS = frozenset("it its they their them he him his she her".split())
_PERSONAL = frozenset("he him his she her".split())
_MAX_ANSWER_WORDS = 8
# "the company" is the subject itself; "that study" is the subject's study ("CARsgen’s study"), unless the subject
# is a product code and the words name a product ("the drug" of "CT041" is CT041).
_HOLDERS = "company|firm|business|defendant|organization|organisation|agency|university|hospital|bank|group"
_PRODUCTS = "drug|product|therapy|candidate|treatment|vaccine|device|compound|medicine"
_THINGS = (
    "study|trial|research|report|paper|survey|settlement|case|lawsuit|deal|agreement|acquisition|merger|offering|"
    "financing|program|programme|grant|contract|partnership|collaboration|investigation|rule|plan|project|scheme"
)
_STAND_INS = re.compile(rf"\b(?:the|this|that) ({_HOLDERS}|{_PRODUCTS}|{_THINGS})\b", re.IGNORECASE)
_HOLDER_STAND_IN = re.compile(rf"\b(?:the|this|that) (?:{_HOLDERS})\b", re.IGNORECASE)
_HOLDER_WORDS = frozenset(_HOLDERS.split("|"))
_PRODUCT_WORDS = frozenset(_PRODUCTS.split("|"))
_MAX_FRAGMENT_WORDS = 8
_MAX_WH_WORDS = 2  # "and when?", "and how much?": the previous question, asking another thing
_TITLES = frozenset(
    "president vice secretary assistant deputy chairman chairwoman chair director chief executive officer ceo cfo "
    "coo cto cso cmo attorney general judge dr mr ms mrs commissioner administrator governor senator minister "
    "ambassador surgeon acting".split()
)
_LAWS = frozenset("act law rule regulation code".split())
_PEOPLE = frozenset("co-chair cochair chairperson spokesperson founder co-founder partner manager officer".split())
_CALENDAR = frozenset(
    "january february march april may june july august september october november december monday tuesday "
    "wednesday thursday friday saturday sunday".split()
)
_MAX_OBJECT_WORDS = 5  # "receive orphan drug designation": a verb and what it asks about
# "What about Filefax - how much did its receiver agree to pay?": another subject, then a question about it.
_NAMED_THEN_ASKED = re.compile(
    r"^(?:and |also |what about |how about |and what about )?(?P<name>[^,;:–—]+?)\s*(?:,|;|:|–|—| - )\s*"
    r"(?:.*(?:,|;|:|–|—| - )\s*)?(?P<question>(?:what|when|who|whom|whose|where|which|why|how|up to)\b[^,;:–—]*)$",
    re.IGNORECASE,
)


def resolve_followup(
    question: str, previous: str, release_title: str | None = None, answer: str | None = None
) -> str | None:
    """The follow-up `question` as a whole question, using `previous`; None when it stands on its own.

    A fragment ("and orphan drug designation?") takes the place of what the previous question asked about, or of
    its subject when it is itself a name or code ("and CT053?"). A question that names nothing of its own but
    says "it", "its" or "the company" gets the previous question's subject in their place. When the previous
    question names nothing either, the subject comes from the title of the release that answered it. When the
    previous question asked for a person or an organisation and `answer` (its answer) names one, "he", "she",
    "it" and "they" stand for that answer ("Who did ONAR appoint?" "Dan Gay" "What company did he co-found?")."""
    named = _named_then_asked(question)
    if named:
        return named
    fragment = _fragment(question)
    if fragment is None:
        question = _question_after_lead_in(question)  # "and how many of its hospitals …?": a question
    words = _words(question)
    subject = _subject(_words(previous))
    if subject is None and release_title and fragment is None:
        subject = _subject(_words(release_title))
    if fragment and subject is None and fragment.split()[0].lower() in _PREPOSITIONS and not _like_subject(fragment):
        resolved = _with_phrase(" ".join(previous.split()).rstrip("?.! ").split(), fragment)  # needs no subject
        return resolved[:1].upper() + resolved[1:]
    if not words or subject is None:
        return None
    if fragment is not None:
        resolved = _with_fragment(previous, subject, fragment)
    elif _has_subject(words) and not _HOLDER_STAND_IN.search(question):  # "the company": always the last subject
        return None
    else:
        resolved = _with_subject(question, _answered_subject(previous, answer, question) or subject)
    return resolved[:1].upper() + resolved[1:] if resolved else None


def _answered_subject(previous: str, answer: str | None, question: str) -> str | None:
    """The previous answer, when it is whom the follow-up's pronoun means: a name given for a "who" question
    (for "he", "she", "his", "her"), or for a "which company / organisation …" question (for "it", "its")."""
    if not answer or len(answer.split()) > _MAX_ANSWER_WORDS or any(c.isdigit() for c in answer):
        return None
    if not any(w[:1].isupper() for w in answer.split()):
        return None  # not a name: "a cell therapy"
    asked = expected_type(previous)
    pronouns = {w.strip("?.!,").lower() for w in question.split()} & _PRONOUNS
    if pronouns & _PERSONAL and asked & PERSON:
        return answer
    if pronouns - _PERSONAL and asked == ORG:
        return answer
    return None


def _named_then_asked(question: str) -> str | None:
    """ "What about Filefax - how much did its receiver agree to pay?" → "How much did Filefax’s receiver agree to
    pay?": a follow-up naming its own subject before asking; None for any other follow-up."""
    match = _NAMED_THEN_ASKED.match(" ".join(question.split()))
    if not match:
        return None
    name = match.group("name").strip()
    if not any(w[:1].isupper() or _code(w) for w in name.split()) or len(name.split()) > _MAX_FRAGMENT_WORDS:
        return None
    resolved = _with_subject(match.group("question").rstrip("?.! ") + "?", name)
    return resolved[:1].upper() + resolved[1:] if resolved else None  # no "it" to bind: asked as it was typed


def _words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text) if w.strip("?.!,")]


def _is_name(word: str, position: int) -> bool:
    """A product code ("CT041"), an acronym ("FDA") or a capitalised name not opening the question."""
    if _code(word):
        return True
    return word[:1].isupper() and (position > 0 or word.isupper()) and word.lower() not in _WH | _AUX


def _possessive(name: str) -> str:
    """ "CARsgen’s", "Alveo Therapeutics’" """
    return f"{name}’" if name.endswith("s") else f"{name}’s"


def _bare(word: str) -> str:
    """The word without its possessive ("BARDA’s" → "BARDA")."""
    return re.sub(r"[’']s$", "", word)


def _code(word: str) -> bool:
    return any(c.isdigit() for c in word) and any(c.isalpha() for c in word)


def _runs(words: list[str]) -> list[tuple[int, int]]:
    """(start, end) word ranges of consecutive names; a product code stands alone ("CT041 Orphan Drug")."""
    runs, start = [], None
    for i, word in enumerate(words + [""]):
        named = bool(word) and _is_name(word, i)
        if start is not None and (not named or _code(word) or _code(words[i - 1])):
            runs.append((start, i))
            start = None
        if named and start is None:
            start = i
    return runs


def _subject(words: list[str]) -> str | None:
    """What a question is about: its first run holding a product code, else its first run that is not only an
    acronym ("FDA" grants; "CT041" and "CARsgen" are what questions are about), else its first run."""
    runs = _runs(words)
    if not runs:
        return None

    def code(run: tuple[int, int]) -> bool:
        return any(_code(w) for w in words[run[0] : run[1]])

    def acronym(run: tuple[int, int]) -> bool:
        return all(_bare(w).isupper() and not _code(w) for w in words[run[0] : run[1]])

    def title(run: tuple[int, int]) -> bool:  # "the President", "the False Claims Act": not what it is about
        named = [_bare(w).lower().rstrip(".") for w in words[run[0] : run[1]]]
        return all(w in _TITLES or w in _CALENDAR for w in named) or named[-1] in _LAWS

    runs = [r for r in runs if not title(r)] or runs
    best = next((r for r in runs if code(r)), None) or next((r for r in runs if not acronym(r)), runs[0])
    return " ".join(words[best[0] : best[1]]).rstrip("’'")  # "OptimumBank Holdings' net earnings"


def _split_lead_in(question: str) -> tuple[str | None, str]:
    """("and ", "orphan drug designation") for "and orphan drug designation?"; (None, text) without one."""
    text = " ".join(question.split()).rstrip("?.! ")
    lead = next((p for p in _LEAD_INS if text.lower().startswith(p)), None)
    return lead, (text[len(lead) :] if lead else text).strip(" ,")


def _fragment(question: str) -> str | None:
    """The phrase of a fragment follow-up ("and orphan drug designation?" → "orphan drug designation"), or a
    bare question word ("and when?"); None for a question ("and how many of its hospitals were involved?")."""
    lead, phrase = _split_lead_in(question)
    words = phrase.split()
    if not words:
        return None
    asks = words[0].lower() in _WH | _AUX
    if asks and (lead is None or len(words) > _MAX_WH_WORDS):
        return None
    if len(words) > _MAX_WH_WORDS and any(w.lower() in _WH for w in words[1:3]):
        return None  # "in what year was it made?", "about how many patients …?": a question, not a phrase
    if lead is None and len(words) > _MAX_FRAGMENT_WORDS:
        return None
    return phrase


def _question_after_lead_in(question: str) -> str:
    """ "and how many of its hospitals were involved?" → "how many of its hospitals were involved?" """
    lead, phrase = _split_lead_in(question)
    return f"{phrase}?" if lead and phrase else question


def _has_subject(words: list[str]) -> bool:
    """Whether a question names something itself: a name or code after its first word, not only an acronym
    ("Who is its CEO?", "When did the FDA approve it?" still lean on the last subject)."""
    return any(not all(w.isupper() and not _code(w) for w in words[a:b]) for a, b in _runs(words))


def _like_subject(phrase: str) -> bool:
    """A fragment that is another subject: names or codes only (after an optional preposition, "of Moderna"),
    and not only acronyms ("RMAT" is what was asked about, not who)."""
    words = phrase.split()
    if words and words[0].lower() in _PREPOSITIONS:
        words = words[1:]
    return bool(words) and all(_is_name(w, 1) for w in words) and not all(w.isupper() and not _code(w) for w in words)


def _with_fragment(previous: str, subject: str, fragment: str) -> str | None:
    text = " ".join(previous.split()).rstrip("?.! ")
    words = text.split()
    if fragment.split()[0].lower() in _WH:  # "and when?": the same question, asking another thing
        aux = next((i for i, w in enumerate(words) if w.lower() in _AUX), None)
        return f"{fragment} {' '.join(words[aux:])}?" if aux else None
    if _like_subject(fragment):  # "and CT053?": the same question about another subject
        parts = fragment.split()
        name = " ".join(parts[1:]) if parts[0].lower() in _PREPOSITIONS else fragment
        return f"{text.replace(subject, name, 1)}?"
    swapped = _acronym_swapped(words, fragment)  # "And HRSA?" after "How much did SAMHSA award …?"
    if swapped:
        return swapped
    if fragment.split()[0].lower() in _PREPOSITIONS:  # "and in Phase 2?": the same question, of another case
        return _with_phrase(words, fragment)
    return _in_place_of_object(text, subject, fragment) or _asked_of(previous, subject, fragment)


def _acronym_swapped(words: list[str], fragment: str) -> str | None:
    """The previous question with the acronym it opens on ("did SAMHSA award") replaced by the fragment's."""
    if len(fragment.split()) != 1 or not fragment.isupper() or _code(fragment):
        return None
    for i, word in enumerate(words[1:], start=1):
        if words[i - 1].lower() in _AUX and _bare(word).isupper() and not _code(word) and len(_bare(word)) > 1:
            return " ".join(words[:i] + [word.replace(_bare(word), fragment)] + words[i + 1 :]) + "?"
    return None


def _with_phrase(words: list[str], fragment: str) -> str:
    """The previous question with its phrase of the fragment's preposition replaced by the fragment ("… provide
    to Opiant for …" → "… provide to Diassess for …"), or the fragment added at its end when it has none."""
    preposition = fragment.split()[0].lower()
    at = next((i for i, w in enumerate(words) if w.lower() == preposition and i > 1), None)
    if at is None:
        return f"{' '.join(words)} {fragment}?"
    end = next((i for i in range(at + 1, len(words)) if words[i].lower() in _PREPOSITIONS), len(words))
    return " ".join(words[:at] + fragment.split() + words[end:]) + "?"


def _in_place_of_object(text: str, subject: str, fragment: str) -> str | None:
    """ "When did CT041 receive RMAT" (the subject after the question's verb, then a verb and what was asked
    about), "… grant CT041 Orphan Drug designation" (a verb, the subject, a name) or "Who is the chairman of
    CARsgen" (what was asked about, then the subject's preposition): the fragment in place of what was asked
    about; None for any other shape."""
    at = text.find(subject)
    before, after = text[:at].split(), text[at + len(subject) :].split()
    if not before:
        return None
    if after:
        if len(after) > _MAX_OBJECT_WORDS:
            return None
        if before[-1].lower() in _AUX and after[0][:1].islower() and len(after) > 1:
            return f"{text[: at + len(subject)]} {after[0]} {fragment}?"
        if before[-1][:1].islower() and after[0][:1].isupper():
            return f"{text[: at + len(subject)]} {fragment}?"
        return None
    if before[-1].lower() not in _PREPOSITIONS:
        return None
    start = next((i + 1 for i, w in enumerate(before) if w.lower() in _AUX), 1)
    return f"{' '.join(before[:start] + [fragment] + before[-1:] + [subject])}?"


def _asked_of(previous: str, subject: str, fragment: str) -> str:
    """ "And the fine?" after "How long a prison sentence did Volkswagen's manager receive?" → "What was the fine
    for Volkswagen?": the fragment asked of the subject, in the previous question's tense, by the previous
    question's word for a person or an amount."""
    lowered = previous.lower()
    head = _bare(fragment.split()[-1]).lower()
    person = head in _TITLES or head.endswith(("chair", "man", "woman", "person", "er", "or")) and head in _PEOPLE
    wh = "Who" if person else "How much" if lowered.startswith("how much") else "What"
    past = bool(re.search(r"\b(did|was|were|had)\b", lowered))
    plural = fragment.split()[-1].lower().endswith("s") and not fragment.lower().endswith("ss")
    verb = ("were" if plural else "was") if past else ("are" if plural else "is")
    about = "" if subject.lower() in fragment.lower() else f" for {subject}"
    return f"{wh} {verb} {fragment}{about}?"


def _with_subject(question: str, subject: str) -> str | None:
    """The question with its pronoun or "the company" replaced by the previous subject."""
    found = _STAND_INS.search(question)
    if found:
        noun = found.group(1).lower()
        standalone = noun in _HOLDER_WORDS or (noun in _PRODUCT_WORDS and _code(subject))
        name = subject if standalone else f"{_possessive(subject)} {found.group(1)}"
        return question[: found.start()] + name + question[found.end() :]
    words = question.split()
    for i, word in enumerate(words):
        bare = word.strip("?.!,").lower()
        if bare in _PRONOUNS:
            tail = word[len(word.rstrip("?.!,")) :]
            name = _possessive(subject) if bare in {"its", "their", "his"} else subject
            return " ".join(words[:i] + [name + tail] + words[i + 1 :])
    return None
