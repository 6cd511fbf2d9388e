"""Find a release's publication date in its dateline and return it as ISO 8601."""

import re
from datetime import date

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_MONTH = (
    r"(?P<month>Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?"
    r"|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_PATTERNS = [
    re.compile(rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}\b", re.IGNORECASE),  # July 31, 2021 / Feb. 2, 2017
    re.compile(rf"\b{_DAY}\s+{_MONTH},?\s+{_YEAR}\b", re.IGNORECASE),  # 20 March 2019
    re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<month>[01]\d)-(?P<day>[0-3]\d)\b"),  # 2019-03-20
]
# A dateline sits at the top of a release; dates further down are about events, not publication.
DATELINE_CHARS = 400


def parse_date(text: str) -> str | None:
    """The first full date (day, month, year) in `text`, as YYYY-MM-DD, or None."""
    found = []
    for pattern in _PATTERNS:
        for match in pattern.finditer(text):
            iso = _to_iso(match)
            if iso:
                found.append((match.start(), iso))
    return min(found)[1] if found else None


def dateline_date(text: str) -> str | None:
    """The publication date stated in the opening of a release, if any."""
    return parse_date(text[:DATELINE_CHARS])


def _to_iso(match: re.Match) -> str | None:
    month = match.group("month")
    month_num = int(month) if month.isdigit() else _MONTHS[month[:3].lower()]
    try:
        return date(int(match.group("year")), month_num, int(match.group("day"))).isoformat()
    except ValueError:
        return None
