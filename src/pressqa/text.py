"""Word n-grams ("shingles") of a text: what near-duplicate tests compare."""

import re

SHINGLE_WORDS = 5
_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[bytes]:
    """The distinct runs of `size` words of `text` (the whole text when shorter)."""
    w = words(text)
    return {" ".join(w[i : i + size]).encode() for i in range(max(1, len(w) - size + 1))}


def contained(part: str, whole: set[bytes], share: float) -> bool:
    """Whether at least `share` of `part`'s shingles are among `whole` (another text's shingles)."""
    mine = shingles(part)
    return len(mine & whole) >= share * len(mine)
