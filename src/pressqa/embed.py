"""Sentence-transformers embedding of passages and questions, offline, loaded on first use."""

import os
import threading
from functools import cached_property

import numpy as np


class Embedder:
    """Wraps a local SentenceTransformer folder; vectors come out L2-normalised as float32."""

    def __init__(self, model_path: str, threads: int = 2, batch_size: int = 32) -> None:
        self.model_path = model_path
        self.threads = threads
        self.batch_size = batch_size
        # The fast tokenizer is not thread-safe, and torch already uses every core for one call:
        # server threads take turns with the model (the learned reader holds this lock too).
        self.lock = threading.RLock()

    @cached_property
    def model(self):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        import transformers
        from sentence_transformers import SentenceTransformer

        transformers.utils.logging.disable_progress_bar()  # the weight-loading bar is noise on every start
        torch.set_num_threads(self.threads)
        return SentenceTransformer(self.model_path, device="cpu", local_files_only=True)

    @property
    def dimension(self) -> int:
        return int(self.model.get_embedding_dimension())

    @property
    def max_tokens(self) -> int:
        return int(self.model.max_seq_length)

    def count_tokens(self, text: str) -> int:
        """Word-piece tokens of `text`, without the special tokens."""
        with self.lock:
            return len(self.model.tokenizer(text, add_special_tokens=False)["input_ids"])

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self.lock:
            vectors = self.model.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=progress,
            )
        return np.asarray(vectors, dtype=np.float32)

    def encode_query(self, question: str) -> np.ndarray:
        return self.encode([question])[0]


def passage_text(title: str, text: str) -> str:
    """What is embedded for a chunk: the title keeps the subject of "it earned RMAT" sentences."""
    return f"{title}\n\n{text}" if title else text
