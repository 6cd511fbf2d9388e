"""Train the span reader (the encoder's top layers and the span head) on QAMR, releases and QA paragraphs; seeded."""

import copy
import json
import random
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from pressqa.progress import on_terminal
from pressqa.reader.span_model import TUNED_LAYERS, SpanModel, load_model, new_span_model, pack_state
from pressqa.retrieval.embed import Embedder
from pressqa.retrieval.manifest import atomic_write
from pressqa.training.curve import plot_curve
from pressqa.training.encoding import Encoded, encode_examples, evaluate_model, length_batches, pad_batch
from pressqa.training.gather import TrainingData

BATCH = 64


@dataclass
class TrainingOptions:
    """What to train on and how: one place for every default of `pressqa train`."""

    sources: tuple[str, ...] = ("qamr",)
    init: Path | None = None  # start from these weights (else a new head on the encoder's top layers)
    epochs: int = 3
    seed: int = 13
    limit: int | None = None  # at most this many questions (or texts) per source
    qamr_sample: int | None = None
    learning_rate: float = 5e-5  # the tuned layers'; the head's is 40 times as high
    int8: bool = True  # the saved file's matrices; float16 otherwise
    tuned_layers: int | None = None  # None: TUNED_LAYERS, or as many as `init` has
    hidden: int = 96  # the span head's width
    swap_negatives: float = 0.0
    synthetic: Path | None = None
    checkpoint_minutes: float = 8.0
    batch_size: int = BATCH


def train(data: TrainingData, out: Path, embedder: Embedder, options: TrainingOptions | None = None, log=print) -> dict:
    """Train (from `init`'s weights when given) and save the best held-out evaluation to `out`.

    Every `checkpoint_minutes` and at each epoch's end the held-out sets are scored (a point of the
    learning curve, kept in `out`.curve.json) and a checkpoint is written beside `out`; a run that finds
    one continues from it, mid-epoch included, so a long training is several short runs of one command.
    `tuned_layers` above `init`'s count of them widens the model downwards with copies of the encoder's
    own layers (`--tuned-layers 6` on a four-layer model: the whole encoder).
    """
    o = options or TrainingOptions()
    epochs, seed, init, int8, batch_size = o.epochs, o.seed, o.init, o.int8, o.batch_size
    started = time.time()
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    rng = random.Random(seed)
    encoder = embedder.model[0].auto_model
    model = _starting_model(encoder, init, o.hidden, o.tuned_layers, log)
    hidden, tuned = model.head.end.in_features // 2, len(model.layers)
    train_data = encode_examples(data.train, data.spans, embedder, tuned)
    held_data = {name: encode_examples(ex, data.spans, embedder, tuned) for name, ex in data.held.items()}
    log(f"encoded {len(train_data)} training pairs in {time.time() - started:.0f} s; {tuned} tuned layers")
    optimizer = torch.optim.AdamW(
        [
            {"params": model.head.parameters(), "lr": 2e-3 * o.learning_rate / 5e-5},
            {"params": model.layers.parameters(), "lr": o.learning_rate},
        ],
        weight_decay=1e-4,
    )
    steps = epochs * -(-len(train_data) // batch_size)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: max(0.0, 1.0 - step / steps))
    run = _Run(out, {"hidden": hidden, "tuned_layers": tuned, "seed": seed}, int8, log)
    position = run.resume(model, optimizer, schedule, rng)
    if init and not run.curve:  # the curve's first point: where training starts from (kept if never beaten)
        run.evaluate(model, held_data, "start")
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(position.epoch, epochs + 1):
        epoch_rng = rng.getstate()  # (restored by `resume`): this epoch's shuffle can be made again
        groups = length_batches(train_data, batch_size, rng)
        total, skip = 0.0, position.batch if epoch == position.epoch else 0
        last_save = time.time()
        bar = tqdm(groups[skip:], desc=f"epoch {epoch}", leave=False, disable=not on_terminal())
        for n, group in enumerate(bar, start=skip + 1):
            loss = _step(model, [train_data[i] for i in group], embedder, loss_fn, optimizer, schedule)
            total += loss
            run.examples += len(group)
            if n % 100 == 0:  # a line every few minutes in a log, where the bar is not shown
                log(f"epoch {epoch}: {n}/{len(groups)} batches, loss {total / (n - skip):.3f}, {_minutes(started)} min")
            if n < len(groups) and time.time() - last_save >= 60 * o.checkpoint_minutes:
                run.evaluate(model, held_data, f"checkpoint in epoch {epoch} after batch {n}/{len(groups)}")
                run.save_checkpoint(model, optimizer, schedule, _Position(epoch, n, epoch_rng))
                last_save = time.time()
        log(f"epoch {epoch}: loss {total / max(1, len(groups) - skip):.3f}")
        run.evaluate(model, held_data, f"epoch {epoch}")
        run.save_checkpoint(model, optimizer, schedule, _Position(epoch + 1, 0, rng.getstate()))
    shipped = {name: evaluate_model(load_model(encoder, out), held) for name, held in held_data.items()}
    log(f"the saved file ({'int8' if int8 else 'float16'} matrices) on held-out: {_describe(shipped)}")
    out.with_suffix(".checkpoint").unlink(missing_ok=True)
    size = out.stat().st_size / 1e6
    log(f"best: {run.best['at']}; saved {out} ({size:.1f} MB) in {_minutes(started)} min (this run)")
    return run.best


def _starting_model(encoder, init: Path | None, hidden: int, tuned: int | None, log) -> SpanModel:
    if init is None:
        return new_span_model(encoder, hidden=hidden, tuned=tuned or TUNED_LAYERS)
    model = load_model(encoder, init).train()
    if tuned and tuned > len(model.layers):
        log(f"widening {init} from {len(model.layers)} to {tuned} tuned layers")
        model = widened(model, encoder, tuned)
    return model


def widened(model: SpanModel, encoder, tuned: int) -> SpanModel:
    """`model` with `tuned` tuned layers: copies of the encoder's layers below its own, then its own."""
    below = encoder.encoder.layer[len(encoder.encoder.layer) - tuned : len(encoder.encoder.layer) - len(model.layers)]
    model.layers = nn.ModuleList([*(copy.deepcopy(layer) for layer in below), *model.layers])
    return model.train()


def _step(model: SpanModel, batch: list[Encoded], embedder: Embedder, loss_fn, optimizer, schedule) -> float:
    states, mask, features, allowed, targets = pad_batch(batch)
    with embedder.autocast():  # the tuned layers' matrix products; weights and gradients stay float32
        contextual = model.contextualize(states, mask)
    start, end = model.head(contextual.float(), features, allowed)
    loss = loss_fn(start, targets[:, 0]) + loss_fn(end, targets[:, 1])
    optimizer.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 5.0)
    optimizer.step()
    schedule.step()
    return loss.item()


@dataclass
class _Position:
    """Where training stands: the epoch, the batches of it already done, and the shuffle's seed state."""

    epoch: int = 1
    batch: int = 0
    epoch_rng: tuple | None = None


class _Run:
    """A training run's bookkeeping: the learning curve, the best weights so far, and its checkpoints."""

    def __init__(self, out: Path, meta: dict, int8: bool, log) -> None:
        self.out, self.meta, self.int8, self.log = out, meta, int8, log
        self.checkpoint = out.with_suffix(".checkpoint")
        self.curve_file = out.with_suffix(".curve.json")
        self.best: dict = {"score": -1.0, "at": None}
        self.curve: list[dict] = []
        self.examples = 0
        self.minutes_before = 0.0
        self.started = time.time()

    def resume(self, model, optimizer, schedule, rng: random.Random) -> _Position:
        if not self.checkpoint.exists():
            return _Position()
        saved = torch.load(self.checkpoint, weights_only=False)
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        schedule.load_state_dict(saved["schedule"])
        torch.set_rng_state(saved["torch_rng"])
        self.best, self.curve, self.examples = saved["best"], saved["curve"], saved["examples"]
        self.minutes_before = saved["minutes"]
        position = _Position(**saved["position"])
        rng.setstate(position.epoch_rng)
        self.log(f"resuming in epoch {position.epoch} after batch {position.batch} from {self.checkpoint}")
        return position

    def minutes(self) -> float:
        return self.minutes_before + (time.time() - self.started) / 60

    def evaluate(self, model: SpanModel, held_data: dict, at: str) -> None:
        """A point of the learning curve; the weights are saved when they are the best so far."""
        scores = {name: evaluate_model(model, held) for name, held in held_data.items()}
        score = selection_score(scores)
        self.curve.append({"at": at, "examples": self.examples, "minutes": round(self.minutes(), 2), **scores})
        atomic_write(self.curve_file, lambda tmp: tmp.write_text(json.dumps(self.curve, indent=1)))
        plot_curve(self.curve, self.curve_file.with_suffix(".png"))
        self.log(f"{at}: {self.examples} examples, {self.minutes():.1f} min; held-out {_describe(scores)}")
        if score > self.best["score"]:
            self.best = {"score": score, "at": at, **scores}
            self.out.parent.mkdir(parents=True, exist_ok=True)
            state = {"state_dict": pack_state(model, self.int8), **self.meta, "held_out": self.best}
            _atomic_save(state, self.out)

    def save_checkpoint(self, model, optimizer, schedule, position: _Position) -> None:
        state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "schedule": schedule.state_dict()}
        extra = {"torch_rng": torch.get_rng_state(), "best": self.best, "curve": self.curve}
        extra |= {"examples": self.examples, "minutes": self.minutes(), "position": vars(position)}
        _atomic_save({**state, **extra}, self.checkpoint)


def _atomic_save(state: dict, path: Path) -> None:
    """A checkpoint cut off mid-write would lose the run: written aside, then renamed over."""
    atomic_write(path, lambda tmp: torch.save(state, tmp))


def selection_score(scores: dict[str, dict[str, float]]) -> float:
    """Mean over held-out sets of answer F1 and no-answer accuracy: both halves of reading a sentence."""
    return sum(s["f1"] + s["no_answer_accuracy"] for s in scores.values()) / (2 * max(len(scores), 1))


def _describe(scores: dict[str, dict[str, float]]) -> str:
    return "; ".join(
        f"{name} EM {s['em']:.1f} F1 {s['f1']:.1f} no-answer {s['no_answer_accuracy']:.1f}"
        for name, s in scores.items()
    )


def _minutes(started: float) -> str:
    return f"{(time.time() - started) / 60:.1f}"
