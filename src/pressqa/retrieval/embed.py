"""Sentence-transformers embedding of passages and questions, offline, loaded on first use."""

import contextlib
import logging
import os
import threading
from functools import cached_property
from pathlib import Path

import numpy as np

from pressqa.config import Settings
from pressqa.progress import LineProgress, on_terminal

log = logging.getLogger(__name__)
PROBE = ["When did the FDA grant the therapy RMAT designation?"]


class Embedder:
    """Wraps a local SentenceTransformer folder; vectors come out L2-normalised as float32."""

    def __init__(
        self,
        model_path: str,
        threads: int = 2,
        batch_size: int = 32,
        precision: str = "auto",
        query_backend: str = "onnx",
        cache_dir: Path | None = None,
        device: str = "cpu",
    ) -> None:
        self.model_path = model_path
        self.device = device
        self.threads = threads
        self.batch_size = batch_size
        self.precision = precision
        self.query_backend = query_backend
        self.cache_dir = cache_dir or default_cache_dir()
        # The fast tokenizer is not thread-safe, and torch already uses every core for one call:
        # server threads take turns with the model (the learned reader holds this lock too).
        self.lock = threading.RLock()

    @classmethod
    def from_settings(cls, s: Settings) -> "Embedder":
        """The embedder the settings name (model, threads, batch size, precision, query backend, cache)."""
        return cls(s.resolved_model_path(), s.threads, s.batch_size, s.precision, s.query_backend, s.cache_dir)

    @cached_property
    def model(self):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        import transformers
        from sentence_transformers import SentenceTransformer

        transformers.utils.logging.disable_progress_bar()  # the weight-loading bar is noise on every start
        torch.set_num_threads(self.threads)
        return SentenceTransformer(self.model_path, device=self.device, local_files_only=True)

    @property
    def dimension(self) -> int:
        return int(self.model.get_embedding_dimension())

    @property
    def max_tokens(self) -> int:
        return int(self.model.max_seq_length)

    def count_tokens(self, text: str) -> int:
        """Word-piece tokens of `text`, without the special tokens."""
        with self.lock:
            # verbose=False: counting a long paragraph's tokens (to split it) is not feeding it to the model, so the
            # tokenizer's "longer than the specified maximum sequence length" warning would only alarm.
            return len(self.model.tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"])

    @cached_property
    def bf16(self) -> bool:
        """Whether batches run in bfloat16: 'auto' means where the CPU has native bfloat16 (AMX, AVX512-BF16)."""
        if self.device != "cpu":
            return False
        if self.precision == "auto":
            return bf16_native()
        return self.precision == "bfloat16"

    def autocast(self):
        """Matrix products in bfloat16 when `bf16`; a no-op context otherwise."""
        if not self.bf16:
            return contextlib.nullcontext()
        import torch

        return torch.autocast("cpu", dtype=torch.bfloat16)

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Batches of passages: in bfloat16 where the CPU has it (twice as fast; cosine to float32 > 0.9999)."""
        with self.autocast():
            return self._encode(texts, progress)

    def _encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Vectors of `texts`; with `progress`, a bar on a terminal or a line every few seconds in a log."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if progress and not on_terminal():
            # Slices of a few batches each, so that a log learns how far a long ingest is.
            step = self.batch_size * 16
            lines = LineProgress("embedded texts", len(texts))
            parts = []
            for start in range(0, len(texts), step):
                parts.append(self._encode(texts[start : start + step]))
                lines.update(len(parts[-1]))
            return np.concatenate(parts)
        with self.lock:
            vectors = self.model.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=progress,
            )
        return np.asarray(vectors, dtype=np.float32)

    @cached_property
    def query_encoder(self):
        """The ONNX Runtime copy of the model for questions, or None (setting, or it disagrees with torch)."""
        if self.query_backend != "onnx":
            return None
        from pressqa.retrieval.query_encoder import QueryEncoder

        encoder = QueryEncoder(self.model, self.model_path, self.cache_dir, self.threads)
        try:
            agreement = float(encoder.encode(PROBE)[0] @ self._encode(PROBE)[0])
        except Exception as err:  # no onnxruntime, or a cache folder we cannot write
            log.warning("ONNX query encoder unavailable (%s); questions are embedded with torch", err)
            return None
        if agreement < 0.9999:
            log.warning("ONNX query vectors differ from torch (cosine %.5f); using torch", agreement)
            return None
        return encoder

    def encode_query(self, question: str) -> np.ndarray:
        """One question, in float32: through ONNX Runtime where available (half the time of torch here)."""
        with self.lock:
            encoder = self.query_encoder
            if encoder is not None:
                return np.asarray(encoder.encode([question])[0], dtype=np.float32)
        return self._encode([question])[0]


def default_cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pressqa"


def bf16_native() -> bool:
    import torch

    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def passage_text(title: str, text: str) -> str:
    """What is embedded for a chunk: the title keeps the subject of "it earned RMAT" sentences."""
    return f"{title}\n\n{text}" if title else text
