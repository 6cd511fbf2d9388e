"""The learned reader's network: MiniLM's lower layers shared with retrieval, its top layers fine-tuned, and a
small start/end head; saved packed (int8 where it keeps the answers)."""

import copy
import warnings
from importlib import resources
from pathlib import Path

import torch
from torch import nn

from pressqa.reader.span_features import N_FEATURES

TUNED_LAYERS = 4  # the encoder's top layers are fine-tuned for reading; the rest stay shared with retrieval


def default_weights() -> Path:
    return Path(str(resources.files("pressqa") / "models" / "span_reader.pt"))


class SpanHead(nn.Module):
    """Projects token vectors plus features, runs a small BiGRU, and scores start and end positions."""

    def __init__(self, d_model: int = 384, hidden: int = 96) -> None:
        super().__init__()
        self.proj = nn.Sequential(nn.Linear(d_model + N_FEATURES, 2 * hidden), nn.GELU(), nn.Dropout(0.1))
        self.rnn = nn.GRU(2 * hidden, hidden, batch_first=True, bidirectional=True)
        self.start = nn.Linear(2 * hidden, 1)
        self.end = nn.Linear(2 * hidden, 1)

    def forward(self, states: torch.Tensor, features: torch.Tensor, allowed: torch.Tensor):
        x = self.proj(torch.cat([states, features], dim=-1))
        x, _ = self.rnn(x)
        mask = ~allowed
        start = self.start(x).squeeze(-1).masked_fill(mask, -1e4)
        end = self.end(x).squeeze(-1).masked_fill(mask, -1e4)
        return start, end


class SpanModel(nn.Module):
    """Fine-tuned copies of the encoder's top layers, then the span head."""

    def __init__(self, layers: nn.ModuleList, hidden: int = 96) -> None:
        super().__init__()
        self.layers = layers
        self.head = SpanHead(hidden=hidden)

    def forward(self, states, attention_mask, features, allowed):
        return self.head(self.contextualize(states, attention_mask), features, allowed)

    def contextualize(self, states: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """The tuned layers: the matrix-heavy part, which may run in bfloat16."""
        bias = attention_bias(attention_mask)
        for layer in self.layers:
            states = _layer(layer, states, bias)
        return states


def attention_bias(attention_mask: torch.Tensor) -> torch.Tensor:
    """The additive (batch, 1, 1, length) mask BERT layers take: padding gets a large negative bias."""
    return (1.0 - attention_mask[:, None, None, :].float()) * torch.finfo(torch.float32).min


def _layer(layer: nn.Module, states: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    out = layer(states, bias)
    return out[0] if isinstance(out, tuple) else out


def lower_states(encoder, inputs: dict[str, torch.Tensor], tuned: int = TUNED_LAYERS) -> torch.Tensor:
    """Token vectors after the shared lower layers of the encoder (the input of the tuned layers)."""
    with torch.inference_mode():
        states = encoder.embeddings(input_ids=inputs["input_ids"], token_type_ids=inputs.get("token_type_ids"))
        bias = attention_bias(inputs["attention_mask"])
        for layer in encoder.encoder.layer[: len(encoder.encoder.layer) - tuned]:
            states = _layer(layer, states, bias)
        return states


def packed_states(encoder, model: SpanModel, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
    """The tuned layers' output for a padded batch, computed as one sequence without the padding.

    The pairs are laid end to end, each attending only to itself and numbering its positions from 0,
    so the result equals the padded computation while the layers process only real tokens (a quarter
    fewer for the reader's four sentences).
    """
    mask = inputs["attention_mask"].bool()
    lengths = mask.sum(1)
    segment = torch.repeat_interleave(torch.arange(len(lengths)), lengths)
    positions = torch.cat([torch.arange(int(n)) for n in lengths])[None]
    apart = segment[:, None] != segment[None, :]
    bias = apart.float()[None, None] * torch.finfo(torch.float32).min
    with torch.inference_mode():
        states = encoder.embeddings(
            input_ids=inputs["input_ids"][mask][None],
            token_type_ids=inputs["token_type_ids"][mask][None],
            position_ids=positions,
        )
        for layer in [*encoder.encoder.layer[: len(encoder.encoder.layer) - len(model.layers)], *model.layers]:
            states = _layer(layer, states, bias)
        padded = states.new_zeros(*mask.shape, states.shape[-1])
        padded[mask] = states[0]
        return padded


def pack_state(model: SpanModel, int8: bool = True) -> dict[str, torch.Tensor]:
    """The model's weights for shipping: matrices as int8 rows with a float16 scale each, the rest float16.

    Per-row int8 keeps four tuned layers at 7.7 MB; without it (`int8=False`) every weight is float16 (14.6 MB).
    """
    packed = {}
    for name, value in model.state_dict().items():
        if int8 and value.ndim == 2 and name.startswith("layers."):
            scale = value.abs().amax(dim=1, keepdim=True).clamp(min=1e-8) / 127
            packed[name + ".int8"] = torch.round(value / scale).to(torch.int8)
            packed[name + ".scale"] = scale.half()
        else:
            packed[name] = value.half()
    return packed


def unpack_state(packed: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Float32 weights from `pack_state`'s output (or from a plain float16 state dict)."""
    state = {}
    for name, value in packed.items():
        if name.endswith(".int8"):
            base = name.removesuffix(".int8")
            state[base] = value.float() * packed[base + ".scale"].float()
        elif not name.endswith(".scale"):
            state[name] = value.float()
    return state


def dynamic_int8(layers: nn.ModuleList) -> nn.ModuleList:
    """The layers with their linear maps' weights in int8 and activations quantised per batch (CPU only).

    torch marks `torch.ao.quantization` deprecated in favour of torchao, which has no wheel matched to the
    pinned torch 2.13 here; the eager API still works in it, so its warnings are silenced here only."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.filterwarnings("ignore", message=".*quantize_per_tensor.*")
        return torch.ao.quantization.quantize_dynamic(layers, {nn.Linear}, dtype=torch.qint8)


def load_model(encoder, weights: Path) -> SpanModel:
    """The span model saved at `weights`, on top of `encoder`, ready for inference."""
    saved = torch.load(weights, map_location="cpu", weights_only=True)
    model = new_span_model(encoder, hidden=int(saved["hidden"]), tuned=int(saved["tuned_layers"]))
    model.load_state_dict(unpack_state(saved["state_dict"]))
    return model.eval()


def new_span_model(encoder, hidden: int = 96, tuned: int = TUNED_LAYERS) -> SpanModel:
    """A span model whose tuned layers start as copies of the encoder's top layers."""
    layers = nn.ModuleList(copy.deepcopy(layer) for layer in encoder.encoder.layer[-tuned:])
    return SpanModel(layers, hidden)
