"""Users' feedback as a question set in the project's format, so that `pressqa eval` scores the next version on
the questions users actually asked."""

import json
from dataclasses import dataclass
from pathlib import Path

from pressqa.retrieval.feedback_table import Feedback


@dataclass
class FeedbackSet:
    questions: list[dict]  # {"id", "question", "answers", "source"} rows, one per question
    left_out: int  # questions whose only verdicts say "wrong" with no right span: nothing to score against


def feedback_questions(rows: list[Feedback]) -> FeedbackSet:
    """One question per distinct question: its answers are those judged right and the spans users selected.

    A "wrong" without a selected span says what is not the answer, not what is: such a question is left out
    (and counted), since the releases may well answer it."""
    by_question: dict[str, list[Feedback]] = {}
    for row in rows:
        by_question.setdefault(row.question, []).append(row)
    questions, left_out = [], 0
    for question, verdicts in by_question.items():
        answers = [(r.answer, r.doc_id) for r in verdicts if r.verdict == "right"]
        answers += [(r.correct, r.correct_doc_id) for r in verdicts if r.verdict == "wrong" and r.correct]
        if not answers:
            left_out += 1
            continue
        texts = list(dict.fromkeys(text for text, _ in answers))
        questions.append({"id": f"fb{verdicts[0].id}", "question": question, "answers": texts, "source": answers[0][1]})
    return FeedbackSet(questions, left_out)


def write_feedback_set(feedback_set: FeedbackSet, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(q, ensure_ascii=False) + "\n" for q in feedback_set.questions]
    path.write_text("".join(lines), encoding="utf-8")
