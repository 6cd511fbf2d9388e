"""ONNX Runtime copy of the embedding model for single questions: the same vectors in half the time."""

import hashlib
import logging
import os
import warnings
from functools import cached_property
from pathlib import Path

import numpy as np
import torch
from torch import nn

log = logging.getLogger(__name__)
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class _Pooled(nn.Module):
    """The encoder plus the model's mean pooling and L2 normalisation, as one graph."""

    def __init__(self, encoder: nn.Module) -> None:
        super().__init__()
        self.encoder = encoder

    def forward(self, input_ids, attention_mask, token_type_ids):
        states = self.encoder(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        ).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(states.dtype)
        pooled = (states * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return nn.functional.normalize(pooled, dim=-1)


def fingerprint(model_path: str) -> str:
    """Names the exported file after the model folder's files and the torch version that exported it."""
    h = hashlib.sha1(torch.__version__.encode())
    for file in sorted(Path(model_path).rglob("*")):
        if file.is_file():
            stat = file.stat()
            h.update(f"{file.relative_to(model_path)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return h.hexdigest()[:16]


def export(encoder: nn.Module, tokenizer, out: Path) -> Path:
    """Write the pooled encoder as ONNX, atomically: concurrent exports each rename a whole file."""
    out.parent.mkdir(parents=True, exist_ok=True)
    sample = tokenizer(["a question", "a longer second question"], padding=True, return_tensors="pt")
    axes = {name: {0: "batch", 1: "tokens"} for name in INPUTS} | {"vector": {0: "batch"}}
    tmp = out.with_suffix(f".{os.getpid()}.tmp")
    training = encoder.training
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer notes about python control flow on shapes, which are static here
        torch.onnx.export(
            _Pooled(encoder).eval(),
            tuple(sample[name] for name in INPUTS),
            str(tmp),
            input_names=list(INPUTS),
            output_names=["vector"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )
    encoder.train(training)  # the exporter leaves the module in training mode
    os.replace(tmp, out)
    return out


class QueryEncoder:
    """Embeds one question at a time through ONNX Runtime; the file is exported once and cached."""

    def __init__(self, st_model, model_path: str, cache_dir: Path, threads: int = 2) -> None:
        self.st_model = st_model
        self.path = cache_dir / f"minilm-{fingerprint(model_path)}.onnx"
        self.threads = threads
        self.max_tokens = int(st_model.max_seq_length)

    @cached_property
    def session(self):
        import onnxruntime as ort

        if not self.path.exists():
            log.info("exporting the embedding model to %s", self.path)
            export(self.st_model[0].auto_model, self.st_model.tokenizer, self.path)
        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        # Spinning worker threads would steal the cores torch needs for the reader right after.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            return ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
        except Exception:  # a damaged cache file: export again once
            log.warning("re-exporting the damaged %s", self.path)
            export(self.st_model[0].auto_model, self.st_model.tokenizer, self.path)
            return ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])

    def encode(self, texts: list[str]) -> np.ndarray:
        feed = self.st_model.tokenizer(
            texts, padding=True, truncation=True, max_length=self.max_tokens, return_tensors="np"
        )
        return self.session.run(None, {name: feed[name].astype(np.int64) for name in INPUTS})[0]
