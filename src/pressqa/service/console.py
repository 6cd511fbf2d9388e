"""The `/ask` response as text for a terminal (`pressqa ask`)."""

from pressqa.service.api_models import AskResponse


def answer_lines(response: AskResponse) -> list[tuple[str, bool]]:
    """(line, bold) pairs: the answer or "The releases don't say.", then each cited passage."""
    answer = response.answer
    lines = [(f"{answer.text}   (score {answer.score:.2f})" if answer else "The releases don't say.", True)]
    for n, p in enumerate(response.passages, start=1):
        cited = answer and p.chunk_id == answer.chunk_id
        where = (
            f"{p.doc_id}, answer at chars {answer.start}–{answer.end}"
            if cited
            else f"{p.doc_id}, chars {p.start}–{p.end}"
        )
        snippet = p.text if len(p.text) < 300 else p.text[:297] + "…"
        lines.append((f"  [{n}]{'*' if cited else ' '} {p.title} ({where}, score {p.score:.3f})", False))
        lines.append((f'       "{snippet}"', False))
        if p.also_published_by:
            others = ", ".join(d.url or d.source or d.doc_id for d in p.also_published_by)
            lines.append((f"       also published by: {others}", False))
    return lines
