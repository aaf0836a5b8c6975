"""`earshot classify` and `earshot train`: the classifier's command-line entry points.

A typer sub-app (`app`), registered by the main CLI. Heavy imports happen inside commands.
"""

from __future__ import annotations

import functools
import json
import queue
import sys
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer

app = typer.Typer(help="Classify mentions and train the classifier.", no_args_is_help=True)


def _input_from(record: dict[str, Any], line_no: int) -> Any:
    from services.classifier.models import ClassifierInput

    followers = record.get("author_followers")
    keywords = record.get("brand_urgent_keywords") or ()
    thread = record.get("thread_recent_mentions")
    return ClassifierInput(
        id=str(record.get("id", line_no)),
        text=str(record.get("text") or ""),
        lang_hint=record.get("lang") or record.get("lang_hint"),
        author_followers=int(followers) if isinstance(followers, int | float) else None,
        brand=record.get("brand"),
        source=record.get("source"),
        brand_urgent_keywords=tuple(str(k) for k in keywords) if isinstance(keywords, list) else (),
        thread_recent_mentions=int(thread) if isinstance(thread, int | float) else None,
    )


def classify_stream(
    replicas: Sequence[Any], source: TextIO, sink: TextIO, *, batch_size: int = 256
) -> tuple[int, int]:
    """Classify JSONL from `source` into `sink`; returns (classified, rejected) counts.

    `replicas` are copies of one classifier: each scores one batch at a time, side by side
    on consecutive batches, and the output keeps the input's order (a batch is written as
    soon as it and every batch before it are done). A line that is not a JSON object is
    answered with `{"id", "error"}` in its place instead of stopping the run: one bad record
    must not lose the rest of the file.
    """
    if not replicas:
        raise ValueError("classify_stream needs at least one classifier")
    idle: queue.SimpleQueue[Any] = queue.SimpleQueue()
    for replica in replicas:
        idle.put(replica)

    def score(entries: list[Any]) -> tuple[list[str], int]:
        """The batch's output lines (a rejected record's error line stays in its place)
        and how many records were classified."""
        items = [entry for entry in entries if not isinstance(entry, str)]
        results: list[Any] = []
        if items:
            replica = idle.get()
            try:
                results = replica.classify(items)
            finally:
                idle.put(replica)
        if len(results) != len(items):
            raise RuntimeError(f"the classifier answered {len(results)} of {len(items)} items")
        scored = iter(results)
        lines = [
            entry
            if isinstance(entry, str)
            else json.dumps({"id": entry.id, **next(scored).model_dump(mode="json")}) + "\n"
            for entry in entries
        ]
        return lines, len(items)

    done = rejected = 0
    # Parsed records, and the error line of each rejected one in its place.
    batch: list[Any] = []
    pending: deque[Future[tuple[list[str], int]]] = deque()  # oldest first

    def write(keep: int) -> None:
        """Write the oldest batches while they are done, and beyond that (waiting for them)
        until at most `keep` are left: the read-ahead stays bounded."""
        nonlocal done
        while pending and (len(pending) > keep or pending[0].done()):
            lines, classified = pending.popleft().result()
            sink.writelines(lines)
            done += classified

    pool = ThreadPoolExecutor(max_workers=len(replicas), thread_name_prefix="classify")
    try:
        for line_no, line in enumerate(source, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                if not isinstance(record, dict):
                    raise ValueError("expected a JSON object")
                batch.append(_input_from(record, line_no))
            except (ValueError, TypeError, OverflowError) as exc:
                batch.append(json.dumps({"id": str(line_no), "error": str(exc)}) + "\n")
                rejected += 1
            if len(batch) >= batch_size:
                pending.append(pool.submit(score, batch))
                batch = []
                # One batch queued per replica beyond the ones running keeps them all busy
                # without reading the whole input ahead.
                write(keep=2 * len(replicas))
        if batch:
            pending.append(pool.submit(score, batch))
        write(keep=0)
    finally:
        # On an error, batches not started yet are dropped rather than scored for nothing.
        pool.shutdown(wait=True, cancel_futures=True)
    sink.flush()
    return done, rejected


@app.command()
def classify(
    model: Annotated[
        str,
        typer.Option(
            help="'default' (shipped artifact), an artifact version or folder, 'vader', or an "
            "HF name/path"
        ),
    ] = "default",
    threads: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="CPU threads for inference, all replicas together (default: the usable "
            "cores, at most 8)",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Classifier replicas scoring batches side by side, sharing the threads "
            "(default: one per thread, at most 4, for an artifact on the ONNX encoder; else 1)",
        ),
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1)] = 256,
) -> None:
    """Read JSONL mentions on stdin, write one JSONL classification per line on stdout.

    Input: {"id", "text", optional "lang", "author_followers", "brand",
    "brand_urgent_keywords", "thread_recent_mentions"}.
    """
    from services.classifier.models import load_classifier, replica_plan

    count, each = replica_plan(model, threads=threads, workers=workers)
    load = functools.partial(load_classifier, model, threads=each)
    first = load()  # fails here, before any output, if it must
    replicas = [first, *(LazyReplica(load, first.model_version) for _ in range(count - 1))]
    done, rejected = classify_stream(replicas, sys.stdin, sys.stdout, batch_size=batch_size)
    typer.echo(f"classified {done}, rejected {rejected} ({first.model_version})", err=True)


class LazyReplica:
    """A classifier replica loaded on its first batch, in the worker thread that scores it:
    an input of one batch never pays for the other replicas (~0.3-0.4 s each on 2 cores),
    and a longer one loads them while the first replica is already at work."""

    def __init__(self, load: Callable[[], Any], model_version: str) -> None:
        self._load = load
        self._loaded: Any = None
        self.model_version = model_version

    def classify(self, items: Sequence[Any]) -> list[Any]:
        if self._loaded is None:  # one worker thread holds a replica at a time
            self._loaded = self._load()
        return list(self._loaded.classify(items))


@app.command()
def train(
    data: Annotated[
        Path | None, typer.Option(help="Dataset folder in the shared layout (see docs)")
    ] = None,
    csv: Annotated[
        Path | None, typer.Option(help="CSV or JSONL with text,label for brand fine-tuning")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Artifact folder to write")] = None,
    version: Annotated[str | None, typer.Option(help="Artifact version name")] = None,
    base: Annotated[
        str,
        typer.Option(
            help="With --csv or --corrections: artifact to start from (default or a path)"
        ),
    ] = "default",
    seed: Annotated[int, typer.Option()] = 13,
    threads: Annotated[int | None, typer.Option()] = None,
    make_default: Annotated[
        bool,
        typer.Option(
            help="Point artifacts/default.txt (with --encoder: default-<encoder>.txt) at the "
            "new version"
        ),
    ] = False,
    corrections: Annotated[
        bool,
        typer.Option(
            "--corrections",
            help="Tune an organisation's heads on its responders' label corrections "
            "(PostgreSQL: EARSHOT_DATABASE_URL, else the embedded one); --data is then the "
            "dataset whose val splits gate activation",
        ),
    ] = False,
    organisation: Annotated[
        str, typer.Option(help="With --corrections: the organisation id")
    ] = "default",
    activate: Annotated[
        bool,
        typer.Option(help="With --corrections: activate the new version if val is no worse"),
    ] = True,
    adapter: Annotated[
        bool,
        typer.Option(
            help="With --data: fine-tune a LoRA adapter for the encoder first (~30 min on 2 "
            "cores); --no-adapter fits the heads on the frozen encoder only"
        ),
    ] = True,
    adapter_from: Annotated[
        str | None,
        typer.Option(
            help="With --data: reuse this artifact's encoder adapter (a version or a path) "
            "instead of training one; only the heads are refitted"
        ),
    ] = None,
    specialists: Annotated[
        bool,
        typer.Option(
            help="With --data: per-language sentiment specialists for the non-English "
            "languages in the data"
        ),
    ] = True,
    specialist_embedding: Annotated[
        bool,
        typer.Option(
            help="With --data: the specialists also read the sentence embedding beside "
            "their n-grams; --no-specialist-embedding fits n-grams and cues only"
        ),
    ] = True,
    tolerance: Annotated[
        float, typer.Option(help="With --corrections: val drop still counted as no worse")
    ] = 0.0,
    encoder: Annotated[
        str | None,
        typer.Option(
            help="With --data: fit the heads on this encoder's embeddings, `torch` (bfloat16) "
            "or `onnx` (int8); default: this machine's (EARSHOT_CLASSIFIER_ENCODER)"
        ),
    ] = None,
    depth: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=6,
            help="With --data: transformer blocks of the encoder to run (1-6; default: the "
            "--adapter-from adapter's, else 6); the adapter and heads are trained on that "
            "many, and inference costs about depth/6 of the full encoder",
        ),
    ] = None,
    device: Annotated[
        str,
        typer.Option(
            help="With --data: where PyTorch trains the new adapter, `cpu` or a CUDA device "
            "(`cuda`, `cuda:1`) with bfloat16; a pass took about a minute on one H100 against "
            "~22 min on 2 CPU cores with AMX. The heads are fitted on the CPU encoder either way"
        ),
    ] = "cpu",
) -> None:
    """Train the classifier heads from a dataset folder (--data), a labelled file (--csv), or
    an organisation's label corrections (--corrections)."""
    from services.classifier.models import artifact_dir
    from services.classifier.training.finetune import train_from_csv
    from services.classifier.training.run import train_from_shared

    if depth is not None and (corrections or data is None):
        raise typer.BadParameter("--depth goes with --data (other training keeps the base's)")
    if encoder is not None and (corrections or data is None):
        raise typer.BadParameter("--encoder goes with --data (other training uses the base's)")
    if encoder is not None and encoder not in ("torch", "onnx"):
        raise typer.BadParameter("--encoder is torch or onnx")
    device = device.strip().lower()
    if device not in ("cpu", "cpu:0"):
        if corrections or data is None or adapter_from is not None or not adapter:
            raise typer.BadParameter(
                "--device goes with --data when a new adapter is trained (not with "
                "--adapter-from or --no-adapter)"
            )
        _check_training_device(device)
    if corrections:
        from services.classifier.bench import default_data
        from services.classifier.training.corrections import train_from_database

        if csv is not None or adapter_from is not None:
            raise typer.BadParameter("--corrections goes with neither --csv nor --adapter-from")
        outcome = train_from_database(
            organisation,
            data=data or default_data(),
            base=base,
            out=out,
            version=version,
            seed=seed,
            threads=threads,
            activate=activate,
            tolerance=tolerance,
        )
        typer.echo(
            json.dumps(
                {
                    "artifact": str(outcome.path),
                    "version": outcome.version,
                    "activated": outcome.activated,
                    "held_back": outcome.holdout,
                    "val_base": outcome.val_base,
                    "val_new": outcome.val_new,
                    "worse_than_base": outcome.worse,
                },
                indent=2,
            )
        )
        return
    if (data is None) == (csv is None):
        raise typer.BadParameter("give exactly one of --data or --csv")
    if adapter_from is not None and (csv is not None or not adapter):
        raise typer.BadParameter("--adapter-from goes with --data, and not with --no-adapter")
    if data is not None:
        path = train_from_shared(
            data,
            out=out,
            version=version,
            seed=seed,
            threads=threads,
            make_default=make_default,
            adapter=adapter,
            adapter_from=None if adapter_from is None else artifact_dir(adapter_from),
            specialists=specialists,
            specialist_embedding=specialist_embedding,
            depth=depth,
            encoder_backend=encoder,
            adapter_device=device,
        )
    else:
        assert csv is not None
        path = train_from_csv(csv, base=base, out=out, version=version, seed=seed, threads=threads)
    typer.echo(f"artifact written to {path}")


def _check_training_device(device: str) -> None:
    """Refuse a device PyTorch cannot name or does not have, before any data is read."""
    try:
        import torch
    except ImportError as exc:
        raise typer.BadParameter("--device needs PyTorch: pip install 'earshot[train]'") from exc
    try:
        parsed = torch.device(device)
    except RuntimeError as exc:
        raise typer.BadParameter(f"--device {device!r}: {exc}") from exc
    if parsed.type != "cuda":
        raise typer.BadParameter(f"--device is cpu or a CUDA device (cuda, cuda:N), not {device!r}")
    if not torch.cuda.is_available():
        raise typer.BadParameter(f"--device {device}: PyTorch sees no CUDA device on this machine")
    if not torch.cuda.is_bf16_supported():
        raise typer.BadParameter(f"--device {device}: the GPU has no bfloat16 support")
    if parsed.index is not None and parsed.index >= torch.cuda.device_count():
        raise typer.BadParameter(
            f"--device {device}: this machine has {torch.cuda.device_count()} CUDA device(s)"
        )
