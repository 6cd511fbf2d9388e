"""Reader adapter for a local transformers question-answering model (AutoModelForQuestionAnswering)."""

from functools import cached_property

import numpy as np

from pressqa.reader.question import QuestionInfo
from pressqa.retrieval.retrieve import Retrieved
from pressqa.schema import Answer, Span


class TransformersReader:
    """Scores spans of each passage with a QA model from a local folder; no download is attempted."""

    def __init__(self, model_dir: str, max_answer_tokens: int = 30, max_length: int = 384) -> None:
        self.model_dir = model_dir
        self.max_answer_tokens = max_answer_tokens
        self.max_length = max_length

    @cached_property
    def _model(self):
        from transformers import AutoModelForQuestionAnswering, AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(self.model_dir, local_files_only=True)
        model = AutoModelForQuestionAnswering.from_pretrained(self.model_dir, local_files_only=True)
        return tokenizer, model.eval()

    def read(
        self, info: QuestionInfo, query_vector: np.ndarray | None, retrieved: Retrieved, per_release: int | None = None
    ) -> list[Answer]:
        """One candidate from each passage (so every release is read, whatever `per_release` asks)."""
        answers = [a for p in retrieved.passages if (a := self._read_passage(info.text, p.chunk))]
        return sorted(answers, key=lambda a: -a.score)

    def _read_passage(self, question: str, chunk) -> Answer | None:
        import torch

        tokenizer, model = self._model
        max_length = min(self.max_length, getattr(model.config, "max_position_embeddings", self.max_length))
        enc = tokenizer(
            question,
            chunk.text,
            truncation="only_second",
            max_length=max_length,
            return_offsets_mapping=True,
            return_tensors="pt",
        )
        offsets = enc.pop("offset_mapping")[0].tolist()
        context = [i for i, s in enumerate(enc.sequence_ids(0)) if s == 1]
        if not context:
            return None
        with torch.no_grad():
            out = model(**enc)
        start_p = torch.softmax(out.start_logits[0], -1).numpy()
        end_p = torch.softmax(out.end_logits[0], -1).numpy()
        best = max(
            ((start_p[i] * end_p[j], i, j) for i in context for j in context if i <= j < i + self.max_answer_tokens),
            default=None,
        )
        if best is None:
            return None
        score, i, j = best
        start, end = chunk.start + offsets[i][0], chunk.start + offsets[j][1]
        text = chunk.text[offsets[i][0] : offsets[j][1]]
        return Answer(text, float(score), chunk.doc_id, start, end, chunk.chunk_id, Span(start, end))
