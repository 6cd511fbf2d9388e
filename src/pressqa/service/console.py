"""The `/ask` response as text for a terminal (`pressqa ask`)."""

from pressqa.service.api_responses import AskResponse, TimelineResponse


def answer_lines(response: AskResponse) -> list[tuple[str, bool]]:
    """(line, bold) pairs: the answer (a numbered list for several) or "The releases don't say.", then each
    passage, the cited ones starred."""
    answer = response.answer
    understood = [(f"Understood as: {response.understood_as}", False)] if response.understood_as else []
    if len(response.answers) > 1:
        lines = [(f"{len(response.answers)} answers, each from its own release:", True)]
        for n, a in enumerate(response.answers, start=1):
            where = f"{a.date or 'undated'} · {a.title or a.doc_id}"
            lines.append((f"  {n}. {a.text}   ({where}, score {a.score:.2f})", True))
    else:
        lines = [(f"{answer.text}   (score {answer.score:.2f})" if answer else "The releases don't say.", True)]
    lines = understood + lines
    cited_chunks = {a.chunk_id for a in response.answers}
    for n, p in enumerate(response.passages, start=1):
        cited = p.chunk_id in cited_chunks
        answer = next((a for a in response.answers if a.chunk_id == p.chunk_id), None)
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


def timeline_lines(response: TimelineResponse) -> list[tuple[str, bool]]:
    """(line, bold) pairs: each release's date and title, then the sentence that says what happened."""
    if not response.total:
        return [(f"No release mentions {response.query!r}.", True)]
    shown = f"{response.offset + 1}–{response.offset + len(response.items)}" if response.items else "none"
    lines = [(f"{response.total} releases mention {response.query!r}, newest first (showing {shown}):", True)]
    for item in response.items:
        lines.append((f"{item.date or 'undated':<10}  {item.title}  ({item.doc_id})", True))
        lines.append((f"            {item.sentence}", False))
        if item.also_published_by:
            others = ", ".join(d.url or d.source or d.doc_id for d in item.also_published_by)
            lines.append((f"            also published by: {others}", False))
    return lines
