"""Compare adapter training recipes quickly: train a LoRA adapter per recipe and score it with
a proxy of the real heads.

The shipped training (`earshot train --data`) fits the artifact's heads with n-gram blends,
specialists and temperature on the CPU encoder (~10 minutes on 2 cores, after the adapter's own
training). To compare
recipes (passes, learning rate, rank, depth, seed) this scores each adapter the same cheap
way instead: per task, a class-balanced softmax regression on the adapted encoder's pooled
layers (float32, on the training device), fitted on train with the L2 strength picked on val
from three values, and the headline val metric (TweetEval macro-recall, UMSAB macro-F1 over
the 8 languages without the specialists, offensive and hate macro-F1). The proxy ranks
recipes; it is not the shipped model's figure (docs/classifier.md, "Adapter recipes").

    python -m services.classifier.training.sweep --data ../shared/data --device cuda \
        --recipes shipped,e1,e1s14,e2 --out sweep.jsonl

One pass over the train splits took about a minute on one H100, ~22 min on 2 CPU cores with
AMX; scoring an adapter takes ~10 s on the GPU, ~8 min on 2 CPU cores. An `average` recipe
(`avg3`) averages the adapters of recipes trained earlier in the same run.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from services.classifier.models.heads import macro_f1
from services.classifier.training.data import Split, load_shared, near_duplicate_mask
from services.classifier.training.run import sentiment_scores

if TYPE_CHECKING:
    import numpy as np

SHIPPED_ADAPTER = "minilm-l3-lora-v1"
L2_GRID = (1e-5, 1e-4, 1e-3)


@dataclass(frozen=True)
class Recipe:
    name: str
    depth: int = 3
    epochs: float | Mapping[str, float] = 1.0
    lr: float = 5e-4
    rank: int = 16
    seed: int = 13
    reuse: str | None = None  # score this artifact's adapter instead of training one
    average: tuple[str, ...] = ()  # average these recipes' adapters (trained earlier in the run)


RECIPES = {
    r.name: r
    for r in (
        Recipe("shipped", reuse=SHIPPED_ADAPTER),
        Recipe("e1"),
        Recipe("e1s14", seed=14),
        Recipe("e1s15", seed=15),
        Recipe("e2", epochs=2.0),
        Recipe("e3", epochs=3.0),
        Recipe("off3", epochs={"sentiment": 1.0, "offensive": 3.0, "hate": 3.0}),
        Recipe("e2r32", epochs=2.0, rank=32),
        Recipe("e2lr1e3", epochs=2.0, lr=1e-3),
        Recipe("d2e1", depth=2),
        Recipe("d2e1s14", depth=2, seed=14),
        Recipe("d2e2", depth=2, epochs=2.0),
        Recipe("avg3", average=("e1", "e1s14", "e1s15")),
    )
}


@dataclass
class TaskSplits:
    classes: int
    train_texts: list[str]
    train_labels: np.ndarray
    val_texts: list[str]
    val_labels: np.ndarray
    val_groups: np.ndarray


def task_splits(data: Path, limit: int = 0) -> dict[str, TaskSplits]:
    """The three tasks' train splits without val near-duplicates (as `earshot train` uses
    them) and their val splits; `limit` > 0 keeps the first that many of each (smoke runs)."""
    import numpy as np

    shared = load_shared(data)
    out = {}
    for name, train, val, classes in (
        ("sentiment", shared.sentiment_train, shared.sentiment_val, 3),
        ("offensive", shared.offensive_train, shared.offensive_val, 2),
        ("hate", shared.hate_train, shared.hate_val, 2),
    ):
        keep = np.flatnonzero(~np.asarray(near_duplicate_mask(train, val)))
        if limit:
            keep, val = keep[:limit], _head(val, limit)
        out[name] = TaskSplits(
            classes=classes,
            train_texts=[train.texts[i] for i in keep],
            train_labels=np.asarray([train.labels[i] for i in keep]),
            val_texts=list(val.texts),
            val_labels=np.asarray(val.labels),
            val_groups=np.asarray(val.groups),
        )
    return out


def _head(split: Split, n: int) -> Split:
    return Split(texts=split.texts[:n], labels=split.labels[:n], groups=split.groups[:n])


def task_score(task: str, y: np.ndarray, pred: np.ndarray, groups: np.ndarray) -> dict[str, float]:
    """The headline val metric(s) of a task; `select` is what the L2 strength is picked on
    (for sentiment the mean of the English and the multilingual figure, as in training)."""
    if task != "sentiment":
        f1 = macro_f1(y, pred, 2)
        return {"macro_f1": f1, "select": f1}
    found = sentiment_scores(y, groups, pred)
    scores = {
        "tweeteval": found.get("tweeteval_macro_recall", 0.0),
        "umsab": found.get("umsab_macro_f1", 0.0),
    }
    scores["select"] = (scores["tweeteval"] + scores["umsab"]) / 2
    return scores


def fit_predict(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray,
    classes: int,
    l2: float,
    device: str = "cpu",
) -> np.ndarray:
    """Class-balanced softmax regression (full-batch L-BFGS); the val predictions."""
    import torch

    x = torch.tensor(x_train, device=device)
    y = torch.tensor(y_train, device=device)
    counts = torch.bincount(y, minlength=classes).float().clamp(min=1)
    class_weight = len(y_train) / (classes * counts)
    w = torch.zeros((x.shape[1], classes), device=device, requires_grad=True)
    b = torch.zeros(classes, device=device, requires_grad=True)
    optimiser = torch.optim.LBFGS(
        [w, b], lr=1, max_iter=300, history_size=20, line_search_fn="strong_wolfe"
    )

    def closure() -> Any:
        optimiser.zero_grad()
        logits = x @ w + b
        loss = torch.nn.functional.cross_entropy(logits, y, weight=class_weight)
        loss = loss + l2 * (w * w).sum()
        loss.backward()
        return loss

    optimiser.step(closure)
    with torch.no_grad():
        return (torch.tensor(x_val, device=device) @ w + b).argmax(1).cpu().numpy()


def pooled_layers(
    model: Any, tokenizer: Any, texts: Sequence[str], depth: int, device: str
) -> np.ndarray:
    """The embedding the heads read: per block, the mean over real tokens, L2-normalised;
    blocks 1..depth side by side (as `encoder.py` pools, here in float32 on `device`)."""
    import numpy as np
    import torch

    from services.classifier.models.encoder import _pad

    encodings = tokenizer.encode_batch(list(texts))
    order = np.argsort([len(e.ids) for e in encodings], kind="stable")
    out = np.zeros((len(texts), 384 * depth), dtype=np.float32)
    with torch.no_grad():
        for start in range(0, len(texts), 512):
            idx = order[start : start + 512]
            padded = _pad([encodings[i].ids for i in idx])
            ids, mask = (torch.from_numpy(a).to(device) for a in padded)
            states = model(input_ids=ids, attention_mask=mask, output_hidden_states=True)
            weights = mask.unsqueeze(-1).float()
            parts = [
                torch.nn.functional.normalize(
                    (h.float() * weights).sum(1) / weights.sum(1).clamp(min=1e-9), dim=1
                )
                for h in states.hidden_states[1 : depth + 1]
            ]
            out[idx] = torch.cat(parts, 1).cpu().numpy()
    return out


def proxy_scores(
    adapter: Path, depth: int, tasks: Mapping[str, TaskSplits], device: str
) -> dict[str, dict[str, float]]:
    """Per task: the best val score over `L2_GRID` of a softmax regression on the adapted
    encoder's pooled layers."""
    from transformers import AutoModel

    from services.classifier.models import encoder

    model_dir = encoder.package_model_dir()
    model = AutoModel.from_pretrained(
        str(model_dir), local_files_only=True, attn_implementation="eager"
    )
    encoder.truncate(model, depth)
    encoder.merge_adapter(model, adapter)
    model.to(device).eval()
    tokenizer = encoder.load_tokenizer(model_dir)
    results = {}
    for name, task in tasks.items():
        x_train = pooled_layers(model, tokenizer, task.train_texts, depth, device)
        x_val = pooled_layers(model, tokenizer, task.val_texts, depth, device)
        best: dict[str, float] | None = None
        for l2 in L2_GRID:
            pred = fit_predict(x_train, task.train_labels, x_val, task.classes, l2, device)
            scores = task_score(name, task.val_labels, pred, task.val_groups)
            if best is None or scores["select"] > best["select"]:
                best = scores | {"l2": l2}
        assert best is not None
        results[name] = {k: v if k == "l2" else round(v, 4) for k, v in best.items()}
    return results


def run_recipe(
    recipe: Recipe,
    tasks: Mapping[str, TaskSplits],
    device: str,
    trained: dict[str, tuple[dict[str, np.ndarray], float]] | None = None,
    log: Any = print,
) -> dict[str, Any]:
    """Train (or reuse, or average) the recipe's adapter and score it. `trained` collects the
    adapters trained so far in this run, by recipe name (what `average` recipes read)."""
    from services.classifier.models import artifact_dir
    from services.classifier.models.encoder import ADAPTER_FILE
    from services.classifier.training import adapter as lora
    from services.classifier.training.run import _reused_adapter

    trained = {} if trained is None else trained
    started = time.time()
    train_seconds = None
    row: dict[str, Any] = {"recipe": recipe.name}
    with tempfile.TemporaryDirectory(prefix="earshot-sweep-") as tmp:
        if recipe.reuse is not None:
            path, record = _reused_adapter(artifact_dir(recipe.reuse))  # digest checked
            depth = int(record.get("depth", 6))
            row |= {"reuse": recipe.reuse, "depth": depth, "digest": record["digest"]}
        else:
            if recipe.average:
                missing = [n for n in recipe.average if n not in trained]
                if missing:
                    raise ValueError(
                        f"{recipe.name} averages {', '.join(recipe.average)}: list "
                        f"{', '.join(missing)} before it in the same run"
                    )
                weights, scale = lora.average([trained[n] for n in recipe.average])
                row |= {"average": list(recipe.average)}
            else:
                weights, scale = lora.train_adapter(
                    [
                        lora.TaskData(n, t.train_texts, [int(v) for v in t.train_labels], t.classes)
                        for n, t in tasks.items()
                    ],
                    seed=recipe.seed,
                    epochs=recipe.epochs,
                    lr=recipe.lr,
                    rank=recipe.rank,
                    depth=recipe.depth,
                    device=device,
                    log=log,
                )
                train_seconds = round(time.time() - started, 1)
                trained[recipe.name] = (weights, scale)
                row |= {
                    "epochs": recipe.epochs,
                    "lr": recipe.lr,
                    "rank": recipe.rank,
                    "seed": recipe.seed,
                }
            depth = RECIPES[recipe.average[0]].depth if recipe.average else recipe.depth
            row["depth"] = depth
            path = Path(tmp) / ADAPTER_FILE
            lora.save(path, weights, scale)  # float16, as an artifact stores it
        scored = time.time()
        scores = proxy_scores(path, depth, tasks, device)
    return row | {
        "train_s": train_seconds,
        "score_s": round(time.time() - scored, 1),
        **scores,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="shared dataset layout")
    parser.add_argument("--device", default="cpu", help="cpu or a CUDA device (cuda, cuda:1)")
    parser.add_argument(
        "--recipes",
        default="shipped,e1,e1s14",
        help=f"comma-separated; known: {', '.join(RECIPES)}",
    )
    parser.add_argument("--out", type=Path, help="append one JSON line per recipe here")
    parser.add_argument("--limit", type=int, default=0, help="first N examples per split (smoke)")
    args = parser.parse_args(argv)
    names = [n for n in args.recipes.split(",") if n]
    unknown = [n for n in names if n not in RECIPES]
    if unknown:
        parser.error(f"unknown recipe(s) {', '.join(unknown)}; known: {', '.join(RECIPES)}")
    tasks = task_splits(args.data, args.limit)
    trained: dict[str, Any] = {}
    for name in names:
        row = run_recipe(RECIPES[name], tasks, args.device, trained)
        line = json.dumps(row)
        print(line, flush=True)
        if args.out is not None:
            with args.out.open("a", encoding="utf-8") as fh:
                fh.write(line + "\n")


if __name__ == "__main__":
    main()
