"""Classifier benchmark: val quality and `earshot classify` throughput, into docs/BENCHMARKS.md.

    python -m services.classifier.bench [--data ../shared/data] [--model default] [--n 10000]
                                        [--runs 3]

Quality goes through the same `classify` path the service uses (text normalisation,
dedup, calibrated heads). Throughput runs `earshot classify` as a child process on JSONL
(start-up included: interpreter, imports, model load) and also reports the steady state,
each `--runs` times (medians, every run listed).
Both encoder backends are measured where the CPU runs bfloat16 natively (AMX), else int8 only.
Only this CPU kind's section of docs/BENCHMARKS.md is rewritten ("## Classifier — CPU with
AMX" or "## Classifier — CPU without AMX"), so runs on the two kinds stand side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
BENCHMARKS = REPO / "docs" / "BENCHMARKS.md"
SECTION = "## Classifier"


def section_title(amx: bool, exact_int8_kernels: bool = False) -> str:
    """The docs/BENCHMARKS.md heading for runs on this kind of CPU: with AMX, without AMX
    (int8 on VNNI), or without VNNI either, where int8 runs ONNX Runtime's slower exact
    kernels (`encoder.cpu_int8_products_saturate`)."""
    if amx:
        return f"{SECTION} — CPU with AMX"
    return f"{SECTION} — CPU without AMX" + (" or VNNI" if exact_int8_kernels else "")


def default_data() -> Path:
    for candidate in (REPO.parent / "shared" / "data", Path("/work/shared/data")):
        if candidate.is_dir():
            return candidate
    return REPO.parent / "shared" / "data"


def quality(model_spec: str, data: Path, encoder: str | None = None) -> dict[str, Any]:
    import numpy as np

    from services.classifier.models import ClassifierInput, load_classifier
    from services.classifier.models.heads import expected_calibration_error, macro_f1
    from services.classifier.training.data import load_shared
    from services.classifier.training.run import sentiment_metrics

    shared = load_shared(data)
    classifier = load_classifier(model_spec, encoder=encoder)

    def run(texts: list[str], hints: list[str] | None = None) -> list[Any]:
        langs: list[str | None] = list(hints) if hints else [None] * len(texts)
        items = [
            ClassifierInput(str(i), text, lang_hint=hint)
            for i, (text, hint) in enumerate(zip(texts, langs, strict=True))
        ]
        return classifier.classify(items)

    val = shared.sentiment_val
    order = ("negative", "neutral", "positive")

    def sentiment(hints: list[str] | None) -> dict[str, float]:
        results = run(val.texts, hints)
        probs = np.array([[r.sentiment.scores[k] for k in order] for r in results])
        return sentiment_metrics(val, probs)

    out: dict[str, Any] = {"model_version": classifier.model_version, "encoder": encoder}
    out["sentiment"] = sentiment(None)  # language detected from the text
    out["sentiment_hinted"] = sentiment(val.languages())  # the platform's language hint
    for task in ("offensive", "hate"):
        split = getattr(shared, f"{task}_val")
        scores = np.array([getattr(r.abuse, task) for r in run(split.texts)])
        two = np.stack([1 - scores, scores], axis=1)
        out[task] = {
            "macro_f1": round(
                macro_f1(np.asarray(split.labels), (scores >= 0.5).astype(int), 2), 4
            ),
            "ece": round(expected_calibration_error(split.labels, two), 4),
        }
    return out


def throughput(
    model_spec: str, data: Path, n: int, threads: int | None, encoder: str, runs: int = 3
) -> dict[str, Any]:
    """`earshot classify` on n tweets as a child process (start-up included), `runs` times;
    where it runs several replicas (`replica_plan`), each run is paired with one with
    `--workers 1`, in alternating order, for the comparison. Then in-process, `runs` rounds
    of the steady state (one classifier, batches of 256) each followed by 100 service-sized
    batches. Medians of the runs, every run listed, batch latencies pooled: this shared
    machine's speed drifts between minutes."""
    from services.classifier.models import replica_plan

    texts = tweet_pool(data, n)
    payload = "".join(
        json.dumps({"id": str(i), "text": t, "author_followers": i % 50_000}) + "\n"
        for i, t in enumerate(texts)
    )
    cmd = [sys.executable, "-c", "from services.classifier.commands import app; app()", "classify"]
    cmd += ["--model", model_spec] + (["--threads", str(threads)] if threads else [])
    env = dict(os.environ, EARSHOT_CLASSIFIER_ENCODER=encoder)
    workers, _ = replica_plan(model_spec, threads=threads, encoder=encoder)

    def cli_run(extra: list[str]) -> float:
        started = time.perf_counter()
        proc = subprocess.run(
            cmd + extra,
            input=payload,
            capture_output=True,
            text=True,
            cwd=REPO,
            check=True,
            env=env,
        )
        wall = time.perf_counter() - started
        lines = proc.stdout.count("\n")
        if lines != len(texts):
            raise RuntimeError(
                f"expected {len(texts)} output lines, got {lines}: {proc.stderr[-500:]}"
            )
        return wall

    walls, one_worker_walls = [], []
    for run in range(runs):
        if workers > 1 and run % 2:
            one_worker_walls.append(cli_run(["--workers", "1"]))
        walls.append(cli_run([]))
        if workers > 1 and not run % 2:
            one_worker_walls.append(cli_run(["--workers", "1"]))
    # Steady state, in-process: model already loaded, same batches as the CLI.
    from services.classifier.models import ClassifierInput, load_classifier

    classifier = load_classifier(model_spec, threads=threads, encoder=encoder)
    classifier.classify([ClassifierInput("warm", "warm up")])
    items = [ClassifierInput(str(i), t) for i, t in enumerate(texts)]
    size = service_batch_max(encoder)  # the service's default batches with this encoder
    steady: list[float] = []
    latencies: list[float] = []
    for _ in range(runs):
        t0 = time.perf_counter()
        for start in range(0, len(items), 256):
            classifier.classify(items[start : start + 256])
        steady.append(len(items) / (time.perf_counter() - t0))
        for start in range(0, min(len(items), 100 * size), size):
            t1 = time.perf_counter()
            classifier.classify(items[start : start + size])
            latencies.append((time.perf_counter() - t1) * 1000)
    cli_rates = [len(texts) / wall for wall in walls]
    one_worker_rates = [len(texts) / wall for wall in one_worker_walls]
    return {
        "encoder": encoder,
        "tweets": len(texts),
        "unique_texts": len(set(texts)),
        "cli_workers": workers,
        "cli_wall_s": round(statistics.median(walls), 1),
        "cli_tweets_per_s": round(statistics.median(cli_rates), 1),
        "cli_runs_tweets_per_s": [round(r, 1) for r in cli_rates],
        "cli_one_worker_runs_tweets_per_s": [round(r, 1) for r in one_worker_rates],
        "steady_tweets_per_s": round(statistics.median(steady), 1),
        "steady_runs_tweets_per_s": [round(r, 1) for r in steady],
        **batch_latency(latencies, size),
    }


def tweet_pool(data: Path, n: int) -> list[str]:
    """The benchmark's tweets: every val split, topped up from sentiment train, first n."""
    from services.classifier.training.data import load_shared

    shared = load_shared(data)
    pool = shared.sentiment_val.texts + shared.offensive_val.texts + shared.hate_val.texts
    pool += shared.sentiment_train.texts[: max(0, n - len(pool))]
    return pool[:n]


def percentiles(ms: list[float]) -> tuple[float, float]:
    """p50 and p99 of latencies (milliseconds), rounded to 0.1."""
    ordered = sorted(ms)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return round(ordered[len(ordered) // 2], 1), round(p99, 1)


def service_batch_max(encoder: str) -> int:
    """The classifier service's default batch size with this encoder (unset
    EARSHOT_CLASSIFIER_BATCH_MAX)."""
    from services.classifier.settings import batch_max_for

    return batch_max_for(encoder)


def batch_latency(ms: list[float], size: int) -> dict[str, Any]:
    """p50 / p99 of service-sized batch latencies (milliseconds) and how many there were."""
    p50, p99 = percentiles(ms)
    return {
        "service_batch_max": size,
        "service_p50_ms": p50,
        "service_p99_ms": p99,
        "service_batches": len(ms),
    }


def compare(models: list[str], data: Path, n: int, rounds: int = 3) -> list[dict[str, Any]]:
    """Steady-state speed of several models in one process, in alternating rounds, so that
    a shared machine's drift hits them alike: tweets/s in batches of 256 (median of the
    rounds) and the latency of service-sized batches (all rounds pooled)."""
    from services.classifier.models import ClassifierInput, load_classifier

    items = [ClassifierInput(str(i), t) for i, t in enumerate(tweet_pool(data, n))]
    from services.classifier.models.encoder import encoder_backend

    size = service_batch_max(encoder_backend())
    if len(items) < size:
        raise ValueError(f"compare needs at least {size} tweets (--n)")
    loaded = {spec: load_classifier(spec) for spec in models}
    for model in loaded.values():
        model.warm_up()  # lazy loading (language models, hashers) out of the timings
    rates: dict[str, list[float]] = {spec: [] for spec in models}
    latencies: dict[str, list[float]] = {spec: [] for spec in models}
    for _ in range(rounds):
        for spec, model in loaded.items():
            started = time.perf_counter()
            for start in range(0, len(items), 256):
                model.classify(items[start : start + 256])
            rates[spec].append(len(items) / (time.perf_counter() - started))
            for start in range(0, min(len(items), 50 * size), size):
                t1 = time.perf_counter()
                model.classify(items[start : start + size])
                latencies[spec].append((time.perf_counter() - t1) * 1000)
    return [
        {
            "model_version": model.model_version,
            "tweets": len(items),
            "rounds": [round(r, 1) for r in rates[spec]],
            "steady_tweets_per_s": round(statistics.median(rates[spec]), 1),
            **batch_latency(latencies[spec], size),
        }
        for spec, model in loaded.items()
    ]


def service_batches(
    sizes: list[int], model: Any, texts: list[str], rounds: int = 2
) -> list[dict[str, Any]]:
    """The service's trade-off between batch size (EARSHOT_CLASSIFIER_BATCH_MAX) and batch
    latency: the texts classified in batches of each size, sizes alternating within each
    round; tweets/s per round, and p50 / p99 batch latency over all rounds."""
    from services.classifier.models import ClassifierInput

    if not sizes or min(sizes) < 1:
        raise ValueError("batch sizes must be positive")
    items = [ClassifierInput(str(i), t) for i, t in enumerate(texts)]
    model.warm_up()
    rates: dict[int, list[float]] = {size: [] for size in sizes}
    latencies: dict[int, list[float]] = {size: [] for size in sizes}
    for _ in range(rounds):
        for size in sizes:
            started = time.perf_counter()
            for start in range(0, len(items), size):
                t1 = time.perf_counter()
                model.classify(items[start : start + size])
                latencies[size].append((time.perf_counter() - t1) * 1000)
            rates[size].append(len(items) / (time.perf_counter() - started))
    rows = []
    for size in sizes:
        p50, p99 = percentiles(latencies[size])
        rows.append(
            {
                "batch_max": size,
                "tweets": len(items),
                "rounds_tweets_per_s": [round(r, 1) for r in rates[size]],
                "tweets_per_s": round(statistics.median(rates[size]), 1),
                "p50_ms": p50,
                "p99_ms": p99,
                "batches": len(latencies[size]),
            }
        )
    return rows


def render(command: str, results: dict[str, Any]) -> str:
    amx = bool(results.get("amx"))
    no_vnni = bool(results.get("int8_products_saturate"))
    lines = [
        section_title(amx, no_vnni),
        "",
        f"- command: `{command}`",
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- machine: {os.cpu_count()} CPU cores, {platform.machine()}, Python "
        f"{platform.python_version()}, no GPU; 1-minute load average when the run began: "
        f"{results.get('load_before', 'n/a')}",
        f"- CPU: {results.get('cpu', 'n/a')}; "
        + (
            "AMX bfloat16 units, so the PyTorch bfloat16 encoder is the default"
            if amx
            else "no AMX, so the int8 encoder is the default and the only one measured"
        )
        + (
            "; no VNNI either, so int8 runs ONNX Runtime's exact uint8 x uint8 kernels"
            if no_vnni
            else ""
        ),
        "",
        "| model | TweetEval val macro-recall (goal 0.72) "
        "| UMSAB val macro-F1, 8 langs (goal 0.60): language detected / hinted "
        "| offensive val macro-F1 (goal 0.80) | hate val macro-F1 | sentiment ECE |",
        "|---|---|---|---|---|---|",
    ]
    nan = float("nan")
    for q in results["quality"]:
        s, hinted = q["sentiment"], q.get("sentiment_hinted", {})
        lines.append(
            f"| {_name(q)} | {s.get('tweeteval_macro_recall', nan):.3f} "
            f"| {s.get('umsab_macro_f1', nan):.3f} / {hinted.get('umsab_macro_f1', nan):.3f} "
            f"| {q['offensive']['macro_f1']:.3f} "
            f"| {q['hate']['macro_f1']:.3f} | {s.get('ece', nan):.3f} |"
        )
    langs = [
        k
        for k in results["quality"][0]["sentiment"]
        if k.startswith("umsab_") and k != "umsab_macro_f1"
    ]
    if langs:
        lines += [
            "",
            "UMSAB val macro-F1 per language; *detected*: no hint, the classifier names the "
            "language itself (romanised Hindi only where its marker words show); *hinted*: "
            "each text carries its language as a platform hint:",
            "",
        ]
        lines.append("| model | " + " | ".join(k.split("_")[1] for k in langs) + " |")
        lines.append("|---|" + "---|" * len(langs))
        for q in results["quality"]:
            for mode, key in (("detected", "sentiment"), ("hinted", "sentiment_hinted")):
                if key in q:
                    cells = " | ".join(f"{q[key].get(k, nan):.3f}" for k in langs)
                    lines.append(f"| {_name(q)}, {mode} | {cells} |")
    runs = results["throughput"]
    lines += [
        "",
        f"Throughput of `earshot classify` (model `{results['quality'][0]['model_version']}`), "
        f"{runs[0]['tweets']} real tweets ({runs[0]['unique_texts']} unique), JSONL in/out; "
        "goal 1,000/s start-up included:",
        "",
        "| encoder | start-up included (child process, imports, model load): median of the runs "
        "| steady state (one classifier loaded, batches of 256): median of the runs "
        "| service batches (the encoder's default EARSHOT_CLASSIFIER_BATCH_MAX): size, "
        "latency p50 / p99 (goal p99 < 250 ms) |",
        "|---|---|---|---|",
    ]
    for t in runs:
        lines.append(
            f"| {ENCODER_NAMES[t['encoder']]} | **{t['cli_tweets_per_s']} tweets/s** "
            f"({t['cli_wall_s']} s wall; runs {_listed(t.get('cli_runs_tweets_per_s'))}"
            f"{_workers_note(t)}) "
            f"| {t['steady_tweets_per_s']} tweets/s "
            f"(runs {_listed(t.get('steady_runs_tweets_per_s'))}) "
            f"| {t['service_batch_max']}: {t['service_p50_ms']} / {t['service_p99_ms']} ms "
            f"({t['service_batches']} batches) |"
        )
    lines += [
        "",
        "Val figures: the val splits also chose the ensemble weights and temperatures, so they "
        "are slightly optimistic; the benchmarks' test splits are not in the project.",
        "",
    ]
    return "\n".join(lines)


ENCODER_NAMES = {"torch": "PyTorch bfloat16", "onnx": "ONNX Runtime int8"}


def _workers_note(t: dict[str, Any]) -> str:
    """The replicas the command ran, and `--workers 1` in the runs between (if measured)."""
    workers, single = t.get("cli_workers", 1), t.get("cli_one_worker_runs_tweets_per_s")
    if workers <= 1 or not single:
        return ""
    return (
        f"; {workers} replicas sharing the threads; `--workers 1` (one replica on all of "
        f"them), paired runs: median {statistics.median(single):g}, runs {_listed(single)}"
    )


def _listed(values: list[float] | None) -> str:
    return ", ".join(f"{v:g}" for v in values) if values else "n/a"


def _name(q: dict[str, Any]) -> str:
    encoder = q.get("encoder")
    return f"`{q['model_version']}`" + (f" ({ENCODER_NAMES[encoder]})" if encoder else "")


def write_section(text: str, path: Path = BENCHMARKS) -> None:
    """Replace the section headed by `text`'s first line (append it if there is none)."""
    title = text.splitlines()[0]
    current = path.read_text(encoding="utf-8") if path.is_file() else "# Benchmarks\n\n"
    pattern = re.compile(rf"^{re.escape(title)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(current):
        updated = pattern.sub(lambda _: text + "\n", current, count=1)
    else:
        updated = current.rstrip("\n") + "\n\n" + text + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(updated, encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=default_data())
    parser.add_argument("--model", default="default")
    parser.add_argument("--baseline", default="vader", help="also score this model ('' to skip)")
    parser.add_argument("--n", type=int, default=10_000, help="tweets for the throughput run")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument(
        "--runs", type=int, default=3, help="throughput runs per encoder (medians reported)"
    )
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument(
        "--compare",
        default="",
        help="comma-separated models: only compare their steady-state speed in one process "
        "(printed, not written)",
    )
    parser.add_argument(
        "--service-batches",
        default="",
        help="comma-separated batch sizes: only measure tweets/s and batch latency at each "
        "(printed, not written)",
    )
    args = parser.parse_args(argv)
    command = "python -m services.classifier.bench " + " ".join(argv or sys.argv[1:])
    if args.service_batches:
        sizes = [int(x) for x in args.service_batches.split(",") if x.strip()]
        from services.classifier.models import load_classifier

        texts = tweet_pool(args.data, args.n)
        rows = service_batches(sizes, load_classifier(args.model), texts)
        print(json.dumps(rows, indent=2))
        return
    if args.compare:
        specs = [m.strip() for m in args.compare.split(",") if m.strip()]
        rows = compare(specs, args.data, args.n)
        print(json.dumps(rows, indent=2))
        return
    from services.classifier.models.encoder import (
        cpu_has_bf16_matrix_units,
        cpu_int8_products_saturate,
        cpu_model,
    )

    # Both backends where this CPU runs bfloat16 natively; the int8 one everywhere.
    amx = cpu_has_bf16_matrix_units()
    encoders = ["torch", "onnx"] if amx else ["onnx"]
    # Other work on the box slows every figure below; the load average says how busy it was.
    results: dict[str, Any] = {
        "load_before": round(os.getloadavg()[0], 2),
        "cpu": cpu_model(),
        "amx": amx,
        "int8_products_saturate": cpu_int8_products_saturate(),
    }
    results["quality"] = [quality(args.model, args.data, e) for e in encoders]
    if args.baseline:
        results["quality"].append(quality(args.baseline, args.data))
    results["throughput"] = [
        throughput(args.model, args.data, args.n, args.threads, e, args.runs) for e in encoders
    ]
    print(json.dumps(results, indent=2))
    if not args.no_write:
        section = render(command.strip(), results)
        write_section(section)
        print(f"wrote the {section.splitlines()[0]!r} section of {BENCHMARKS}", file=sys.stderr)


if __name__ == "__main__":
    main()
