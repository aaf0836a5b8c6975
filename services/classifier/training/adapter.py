"""A LoRA adapter for the MiniLM encoder, fine-tuned on sentiment, offensive and hate at once.

The frozen encoder's embeddings cap what linear heads can learn; fine-tuning the whole encoder
would make the artifact ~90 MB. Low-rank adapters (LoRA: W + s * B @ A on every linear layer
of the six transformer blocks, rank 16) add 0.66 M numbers, ~1.3 MB in float16, and are merged
into the weights when the encoder loads, so inference costs nothing extra.

Training: one pass over the three tasks' train splits (val near-duplicates already removed),
batches of one task each in a seeded random order, class-balanced cross-entropy on a linear
head per task over the mean-pooled last layer, AdamW with warm-up and linear decay, bfloat16
autocast on the training device (the CPU, or a CUDA GPU with `earshot train --device cuda`).
The task heads used here are thrown away: the artifact's heads are fitted afterwards on the
adapted encoder's embeddings, as for the frozen one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

RANK = 16
ALPHA = 32.0


@dataclass(frozen=True)
class TaskData:
    name: str
    texts: Sequence[str]
    labels: Sequence[int]
    classes: int


def save(path: Path, weights: dict[str, np.ndarray], scale: float) -> None:
    import numpy as np

    arrays = {k: v.astype(np.float16) for k, v in weights.items()}
    np.savez_compressed(path, scale=np.float32(scale), **arrays)


def average(
    adapters: Sequence[tuple[dict[str, np.ndarray], float]],
) -> tuple[dict[str, np.ndarray], float]:
    """One adapter whose update is the mean of the given ones' (each W + s * B @ A): their A
    stacked along the rank, their B side by side and divided by their number, so B' @ A' is
    the mean of the B @ A. Merged at load like any adapter (no inference cost); its rank is
    the sum of theirs."""
    import numpy as np

    if not adapters:
        raise ValueError("nothing to average")
    scales = {scale for _, scale in adapters}
    keys = {frozenset(weights) for weights, _ in adapters}
    if len(scales) != 1 or len(keys) != 1:
        raise ValueError("adapters to average must share their scale and their modules")
    n = len(adapters)
    out = {}
    for key in adapters[0][0]:
        parts = [weights[key] for weights, _ in adapters]
        out[key] = (
            np.concatenate(parts, axis=0)
            if key.endswith(".A")
            else np.concatenate(parts, axis=1) / n
        )
    return out, scales.pop()


def train_adapter(
    tasks: Sequence[TaskData],
    *,
    seed: int = 13,
    epochs: float | Mapping[str, float] = 1.0,
    batch_size: int = 32,
    lr: float = 5e-4,
    threads: int | None = None,
    max_tokens: int = 128,
    depth: int = 6,
    rank: int = RANK,
    device: str = "cpu",
    log: Any = print,
) -> tuple[dict[str, np.ndarray], float]:
    """Fine-tune LoRA weights; returns ({module.A / module.B: array}, scale). `depth`: train
    the encoder cut to its first `depth` blocks (the task heads read the last of them).
    `epochs`: passes over each task's train split (one number, or one per task name).
    `device`: where torch trains ("cpu", "cuda"). The initial weights and the batch order come
    from the seed alone on any device; dropout masks come from the device's own random stream
    and the arithmetic differs, so a CPU and a GPU run of the same seed give different
    adapters (within the seed-to-seed spread, docs/classifier.md "Adapter recipes")."""
    if isinstance(epochs, Mapping) and set(epochs) != {t.name for t in tasks}:
        raise ValueError(
            f"epochs per task must name exactly the tasks {sorted(t.name for t in tasks)}, "
            f"got {sorted(epochs)}"
        )
    import os

    import numpy as np
    import torch
    from torch import nn
    from tqdm import tqdm
    from transformers import AutoModel

    from services.classifier.models.encoder import (
        adapted_modules,
        load_tokenizer,
        package_model_dir,
        truncate,
    )

    torch.manual_seed(seed)
    torch.set_num_threads(threads or min(os.cpu_count() or 1, 8))
    model_dir = package_model_dir()
    model = AutoModel.from_pretrained(
        str(model_dir), local_files_only=True, attn_implementation="eager"
    )
    truncate(model, depth)
    for p in model.parameters():
        p.requires_grad_(False)
    scale = ALPHA / rank

    class LoRALinear(nn.Module):
        def __init__(self, base: Any) -> None:
            super().__init__()
            self.base = base
            self.A = nn.Parameter(torch.randn(rank, base.in_features) / math.sqrt(base.in_features))
            self.B = nn.Parameter(torch.zeros(base.out_features, rank))

        def forward(self, x: Any) -> Any:
            return self.base(x) + (x @ self.A.t() @ self.B.t()) * scale

    adapters: dict[str, LoRALinear] = {}
    modules = dict(model.named_modules())
    for name in adapted_modules(depth):
        parent_name, _, attr = name.rpartition(".")
        adapters[name] = LoRALinear(modules[name])
        setattr(modules[parent_name], attr, adapters[name])
    heads = nn.ModuleDict({t.name: nn.Linear(384, t.classes) for t in tasks})
    model.to(device)
    heads.to(device)
    params = [p for a in adapters.values() for p in (a.A, a.B)] + list(heads.parameters())
    optimiser = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)

    rng = np.random.default_rng(seed)
    weights = {}
    batches: list[tuple[str, np.ndarray]] = []
    for task in tasks:
        y = np.asarray(task.labels)
        counts = np.bincount(y, minlength=task.classes).astype(np.float64)
        weights[task.name] = torch.tensor(
            len(y) / (task.classes * np.clip(counts, 1, None)), dtype=torch.float32
        ).to(device)
        passes = epochs[task.name] if isinstance(epochs, Mapping) else epochs
        order = rng.permutation(len(y))
        rounds = max(1, math.ceil(passes))
        order = np.concatenate([order] + [rng.permutation(len(y)) for _ in range(rounds - 1)])
        order = order[: int(len(y) * passes)]
        batches += [
            (task.name, order[i : i + batch_size]) for i in range(0, len(order), batch_size)
        ]
    batches = [batches[i] for i in rng.permutation(len(batches))]
    by_name = {t.name: t for t in tasks}
    tokenizer = load_tokenizer(model_dir)
    tokenizer.enable_truncation(max_length=max_tokens)
    total = len(batches)
    warmup = max(1, total // 20)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser,
        lambda step: min((step + 1) / warmup, max(0.0, (total - step) / (total - warmup))),
    )
    model.train()
    running = torch.zeros((), device=device)  # smoothed loss, kept on the device (no sync)
    progress = tqdm(batches, desc="fine-tuning the encoder adapter", unit="batch")
    for step, (name, idx) in enumerate(progress):
        task = by_name[name]
        encodings = tokenizer.encode_batch([task.texts[i] for i in idx])
        width = max(len(e.ids) for e in encodings)
        ids = torch.zeros((len(idx), width), dtype=torch.long)
        mask = torch.zeros((len(idx), width), dtype=torch.long)
        for row, e in enumerate(encodings):
            ids[row, : len(e.ids)] = torch.tensor(e.ids)
            mask[row, : len(e.ids)] = 1
        ids, mask = ids.to(device), mask.to(device)
        labels = torch.tensor([task.labels[i] for i in idx]).to(device)
        with torch.autocast(torch.device(device).type, dtype=torch.bfloat16):
            hidden = model(input_ids=ids, attention_mask=mask).last_hidden_state
        w = mask.unsqueeze(-1).float()
        pooled = (hidden.float() * w).sum(1) / w.sum(1).clamp(min=1e-9)
        loss = nn.functional.cross_entropy(heads[name](pooled), labels, weight=weights[name])
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
        running = 0.98 * running + 0.02 * loss.detach() if step else loss.detach()
        if step % 50 == 0:
            progress.set_postfix(loss=f"{float(running):.3f}")
    log(f"adapter: {total} batches, final smoothed loss {float(running):.3f}")
    out = {}
    for name, adapter in adapters.items():
        out[f"{name}.A"] = adapter.A.detach().float().cpu().numpy().copy()
        out[f"{name}.B"] = adapter.B.detach().float().cpu().numpy().copy()
    return out, scale
