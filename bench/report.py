"""bench/results/REPORT.md from the sections' results, with the targets beside them."""

from __future__ import annotations

import json
import time

from bench import common

TARGETS = {
    "speedup": 2.0,  # × the reference per epoch
    "comparison_fraction": 1 / 3,
    "first_chart_s": 3.0,
    "memory_mb": 1536.0,
}


def load(name: str) -> dict | None:
    path = common.RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def _mark(ok: bool | None) -> str:
    return "—" if ok is None else ("met" if ok else "**not met**")


def _quick(section: dict) -> str:
    return " — **quick run: a smoke test, not the figures**" if section.get("quick") else ""


def _pm(stats: dict, digits: int = 3) -> str:
    return f"{stats['mean']:.{digits}f} ± {stats['noise_pct']:.0f} %"


def _summary(get) -> list[str]:
    """The targets of issue 6, each beside its measured figure."""
    rows = []
    speed, comparison, startup, memory = (
        get("speed"),
        get("comparison"),
        get("startup"),
        get("memory"),
    )
    if speed:
        for cell, row in speed["summary"].items():
            speedup = row["speedup"]["mean"]
            worse = row["rnnstock_rmse"]["mean"] - row["reference_rmse"]["mean"]
            rows.append(
                f"| {cell}(125) per epoch vs the reference | ≥ 2× | {speedup:.2f}×"
                f" ({row['speedup']['min']:.2f}–{row['speedup']['max']:.2f}); RMSE"
                f" {row['rnnstock_rmse']['mean']:.2f} vs {row['reference_rmse']['mean']:.2f}"
                f" ({worse:+.2f}; seeds span {row['reference_rmse']['min']:.2f}–"
                f"{row['reference_rmse']['max']:.2f}) | {_mark(speedup >= TARGETS['speedup'])} |"
            )
    if comparison:
        fraction = comparison["fraction_of_reference"]["mean"]
        browser = ""
        if comparison.get("browser"):
            browser = (
                f", {comparison['browser']['fraction_of_reference']:.2f} from the click to the"
                " drawn results in Chromium"
            )
        rows.append(
            f"| LSTM-vs-GRU comparison vs the reference's time | ≤ 0.33 | {fraction:.2f} cold,"
            f" {comparison['warm_fraction_of_reference']['mean']:.2f} on warm workers{browser}"
            f" | {_mark(fraction <= TARGETS['comparison_fraction'])} |"
        )
    if startup and startup.get("runs"):
        first = min(r["first_chart_s"] for r in startup["runs"])
        tf_loaded = any(
            r["tensorflow_after_data_page"] or r["tensorflow_after_train_page"]
            for r in startup["runs"]
        )
        returning = [r["first_chart_s"] for r in startup.get("returning", [])]
        again = ""
        if returning:
            again = f"; {min(returning):.1f} s in a browser that has opened it before"
        floor = [r["first_chart_s"] for r in startup.get("floor", [])]
        if floor:
            again += f"; {min(floor):.1f} s for an app with only that chart (the floor)"
        rows.append(
            f"| first chart after `streamlit run` | ≤ 3 s | {first:.1f} s (best run){again}"
            f" | {_mark(first <= TARGETS['first_chart_s'])} |"
        )
        rows.append(
            f"| TensorFlow in the server before a training | never |"
            f" {'loaded' if tf_loaded else 'not loaded'} | {_mark(not tf_loaded)} |"
        )
    if memory:
        peak = memory["peak_sampled"]["tree_pss_mb"]
        growth = memory["growth_mb_per_training_second_half"].get("tree_pss_mb", 0.0)
        rows.append(
            f"| peak memory after {memory['trainings']} trainings (server + workers, PSS) |"
            f" ≤ 1.5 GB, not growing | {peak:.0f} MB, {growth:+.1f} MB per training |"
            f" {_mark(peak <= TARGETS['memory_mb'] and growth < 1.0)} |"
        )
    if not rows:
        return []
    return [
        "## Against the targets",
        "",
        "| target | wanted | measured | |",
        "|---|---|---|---|",
        *rows,
        "",
    ]


def build(results: dict | None = None) -> str:
    """Markdown for every section found in ``results`` (or in bench/results/*.json)."""
    results = results or {}
    get = lambda name: results.get(name) or load(name)  # noqa: E731
    lines = ["# rnnstock benchmarks", ""]
    meta = get("machine")
    if meta:
        lines += [
            f"Written {time.strftime('%Y-%m-%d %H:%M')} on {meta['cpu']} ({meta['cores']} cores),"
            f" TensorFlow {meta['tensorflow']}, Keras {meta['keras']}."
            + (
                " The last run was a **quick run** (few epochs, one repetition); sections"
                " marked so are a smoke test, not the figures."
                if meta.get("quick")
                else ""
            ),
            "Load average before/after each measurement is in the JSON files; ± is the"
            " half-range across repetitions (run-to-run noise).",
            "",
        ]

    lines += _summary(get)

    speed = get("speed")
    if speed:
        lines += [
            f"## 1. Training speed: tutorial reference vs run_experiment"
            f" ({speed['epochs']} epochs, {speed['reps']} repetition(s), alternating)"
            + _quick(speed),
            "",
            "| model | reference s/epoch | rnnstock s/epoch | speed-up (target ≥ 2×)"
            " | after epoch 1: ref / ours | RMSE ref | RMSE ours | persistence |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for cell, row in speed["summary"].items():
            ok = row["speedup"]["mean"] >= TARGETS["speedup"]
            lines.append(
                f"| {cell}(125) | {_pm(row['reference_s_per_epoch'])}"
                f" | {_pm(row['rnnstock_s_per_epoch'])}"
                f" | {row['speedup']['mean']:.2f}× ({row['speedup']['min']:.2f}–"
                f"{row['speedup']['max']:.2f}) {_mark(ok)}"
                f" | {row['reference_steady_epoch']['mean']:.3f} /"
                f" {row['rnnstock_steady_epoch']['mean']:.3f}"
                f" | {row['reference_rmse']['mean']:.2f} ({row['reference_rmse']['min']:.2f}–"
                f"{row['reference_rmse']['max']:.2f})"
                f" | {row['rnnstock_rmse']['mean']:.2f} ({row['rnnstock_rmse']['min']:.2f}–"
                f"{row['rnnstock_rmse']['max']:.2f})"
                f" | {row['persistence_rmse']:.2f} |"
            )
        lines += [
            "",
            "s/epoch is the whole fit's wall time over its epochs (the first epoch's tracing"
            " and compilation included). Repetition k uses seed 455 + k for both, so the RMSE"
            " range is the seed-to-seed noise.",
            "",
        ]

    comparison = get("comparison")
    if comparison:
        fraction = comparison["fraction_of_reference"]["mean"]
        with_manager = ""
        if comparison.get("rnnstock_with_manager_seconds"):
            with_manager = (
                "; counting the manager's making too, "
                f"{_pm(comparison['rnnstock_with_manager_seconds'], 1)} s"
            )
        lines += [
            f"## 2. Time to a comparison (LSTM + GRU, {comparison['epochs']} epochs each)"
            + _quick(comparison),
            "",
            "| reference, one after the other | rnnstock JobManager, end to end"
            " | fraction (target ≤ 1/3) | again, workers warm | fraction |",
            "|---|---|---|---|---|",
            f"| {_pm(comparison['reference_seconds'], 1)} s"
            f" | {_pm(comparison['rnnstock_seconds'], 1)} s"
            f" | {fraction:.2f} {_mark(fraction <= TARGETS['comparison_fraction'])}"
            f" | {_pm(comparison['rnnstock_warm_seconds'], 1)} s"
            f" | {comparison['warm_fraction_of_reference']['mean']:.2f} |",
            "",
            "The rnnstock figure starts at the click, right after the page's first render"
            " has made the JobManager (its workers still starting, TensorFlow's import"
            f" included){with_manager}. The reference's excludes its TensorFlow import."
            " 'Again' is a second comparison on the same manager, as a class's next one.",
            "",
        ]
        browser = comparison.get("browser")
        if browser:
            lines += [
                "**In the browser**, as a teacher runs it (`streamlit run server.py`, the CSV"
                " uploaded, the Compare page's DataCamp button, Compare 3 s later; Chromium on"
                " the same 2 cores): from the click to the drawn results"
                f" {_pm(browser['seconds'], 1)} s, {browser['fraction_of_reference']:.2f} of"
                " the reference's mean. The server used"
                f" {_pm(browser['server_cpu_s'], 1)} CPU s meanwhile (its workers not"
                " counted): the page's progress, polled every second, and the results.",
                "",
            ]

    startup = get("startup")
    if startup and startup.get("skipped"):
        lines += ["## 3. Start-up (headless Chromium)", "", f"Skipped: {startup['skipped']}.", ""]
    elif startup:
        runs = startup["runs"]
        first = [r["first_chart_s"] for r in runs]
        train = [r["train_page_usable_s"] for r in runs]
        tf_loaded = any(
            r["tensorflow_after_data_page"] or r["tensorflow_after_train_page"] for r in runs
        )
        lines += [
            "## 3. Start-up (headless Chromium)",
            "",
            "| figure | value | target |",
            "|---|---|---|",
            "| server answers /_stcore/health | "
            + ", ".join(f"{r['server_answers_s']:.1f}" for r in runs)
            + " s | |",
            "| Data page title shown (the script's imports done) | "
            + ", ".join(f"{r.get('data_title_s', float('nan')):.1f}" for r in runs)
            + " s | |",
            "| Data page chart drawn, from `streamlit run` | "
            + ", ".join(f"{v:.1f}" for v in first)
            + f" s | ≤ 3 s {_mark(min(first) <= TARGETS['first_chart_s'])} |",
            "| the same, a browser that has opened the app before (HTTP and code cache warm)"
            " | "
            + ", ".join(f"{r['first_chart_s']:.1f}" for r in startup.get("returning", []))
            + " s | |",
            "| the floor: an app with that chart and nothing else (bench/floor_app.py) | "
            + ", ".join(f"{r['first_chart_s']:.1f}" for r in startup.get("floor", []))
            + " s | |",
            "| Train page usable (Train button), from `streamlit run` | "
            + ", ".join(f"{v:.1f}" for v in train)
            + " s | |",
            "| Train page after navigating to /train | "
            + ", ".join(f"{r['train_page_after_navigation_s']:.1f}" for r in runs)
            + " s | |",
            f"| TensorFlow in the server (/proc/PID/maps) after both pages | "
            f"{'yes' if tf_loaded else 'no'} | no {_mark(not tf_loaded)} |",
            "| server RSS after the Train page | "
            + ", ".join(f"{r['server_rss_mb_after_train_page']:.0f}" for r in runs)
            + " MB | |",
        ]
        imports = startup.get("imports")
        if imports:
            slow = ", ".join(f"{name} {ms:.0f} ms" for name, ms in imports["slowest_imports_ms"])
            lines += [
                f"| `python -X importtime` of the pages' imports | {imports['seconds']:.1f} s,"
                f" TensorFlow {'imported' if imports['tensorflow_imported'] else 'not imported'}"
                f" | |",
                "",
                f"Slowest imports (cumulative): {slow}.",
            ]
        lines.append("")

    memory = get("memory")
    if memory:
        peak = memory["peak_sampled"]
        growth = memory["growth_mb_per_training_second_half"]
        ok = peak["tree_pss_mb"] <= TARGETS["memory_mb"]
        lines += [
            f"## 4. Memory after {memory['trainings']} trainings in one session" + _quick(memory),
            "",
            "| figure | value |",
            "|---|---|",
            f"| peak, server process alone (RSS) | {peak['parent_rss_mb']:.0f} MB |",
            f"| peak, server + manager + workers (PSS, target ≤ 1.5 GB) |"
            f" {peak['tree_pss_mb']:.0f} MB {_mark(ok)} |",
            f"| peak, server + manager + workers (RSS, shared libraries counted per process) |"
            f" {peak['tree_rss_mb']:.0f} MB |",
            f"| growth per training, second half (server RSS / tree PSS) |"
            f" {growth.get('parent_rss_mb', 0):+.1f} / {growth.get('tree_pss_mb', 0):+.1f}"
            f" MB |",
            "",
        ]

    repro = get("reproduction")
    if repro:
        lines += [
            "## 5. Reproduction table"
            + (
                " (quick: 1 epoch, batch ≥ 32; not the tutorials' figures)"
                if repro["quick"]
                else ""
            ),
            "",
            "| preset | data used | published RMSE | ours | persistence | epochs | seconds |",
            "|---|---|---|---|---|---|---|",
        ]
        for row in repro["rows"]:
            published = row["published"].get("RMSE")
            lines.append(
                f"| {row['preset']} | {row['data']}"
                f" | {published if published is not None else '— (none comparable)'}"
                f" | {row['rmse']:.2f} | {row['persistence_rmse']:.2f} | {row['epochs']}"
                f" | {row['fit_seconds']:.1f} |"
            )
        lines += [
            "",
            "The MSFT tutorial's 295.53 / 293.75 came from a wrong formula on mixed scales;"
            " Netflix and Google published no usable RMSE (see rnnstock/presets.py).",
            "",
        ]

    flops = get("flops")
    if flops:
        lines += [
            "## 6. Against the machine's limit" + _quick(flops),
            "",
            f"Peak: {flops['peak']}. FLOPs from the cell equations (bench/flops.py), training"
            " = 3 × forward.",
            "",
        ]
        matmul = flops.get("matmul_gflops")
        if matmul:
            threads = ", ".join(f"{gflops:.0f} on {n}" for n, gflops in matmul.items())
            lines += [
                "Measured ceiling: large matrix products (2048 × 2048 float32, TensorFlow)"
                f" run at {threads} thread(s), GFLOP/s. The trainings multiply far smaller"
                " matrices, one time step after another.",
                "",
            ]
        lines += [
            "| run | GFLOP/epoch | s/epoch | GFLOP/s | % of peak | % of measured products"
            " | after epoch 1: GFLOP/s |",
            "|---|---|---|---|---|---|---|",
        ]
        for row in flops["rows"]:
            measured = row.get("percent_of_measured")
            lines.append(
                f"| {row['run']} | {row['gflop_per_epoch']:.2f} | {row['seconds_per_epoch']:.3f}"
                f" | {row['gflops']:.1f} | {row['percent_of_peak']:.1f} %"
                f" | {f'{measured:.1f} %' if measured is not None else '–'}"
                f" | {row['steady_gflops']:.1f} |"
            )
        lines.append("")

    for name in ("levers-lstm", "levers-gru", "levers-lstm-selected", "levers-gru-selected"):
        levers = get(name)
        if not levers:
            continue
        lines += [
            f"## Levers{' (selected)' if name.endswith('selected') else ''}"
            f" ({levers['epochs']} epochs, {levers['reps']} repetition(s),"
            f" {levers['cell']}, each in a fresh process, interleaved)",
            "",
            "| lever | s/epoch | after epoch 1 | first epoch | vs before (wall) | CPU s/epoch"
            " after epoch 1 | CPU s epoch 1 | RMSE |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for row in levers["summary"]:
            lines.append(
                f"| {row['name']} | {_pm(row['seconds_per_epoch'])} | {row['steady_epoch']:.3f}"
                f" | {row['first_epoch']:.2f} | {row['speedup']:.2f}×"
                f" | {row.get('cpu_steady_epoch', float('nan')):.3f}"
                f" | {row.get('cpu_first_epoch', float('nan')):.2f} | {row['rmse']:.2f} |"
            )
        lines += [
            "",
            "CPU seconds (every thread of the process) are far less sensitive to other"
            " people's load than wall time on this shared machine.",
            "",
        ]
        if levers.get("early_stopping"):
            lines += [
                "Early stopping (10 % held out, patience 5) on the 50-epoch presets:",
                "",
                "| model | early stopping | epochs run | fit seconds | RMSE |",
                "|---|---|---|---|---|",
            ]
            for row in levers["early_stopping"]:
                stopping = f"patience {row['patience']}" if row["patience"] else "off"
                lines.append(
                    f"| {row['cell']} | {stopping}"
                    f" | {row['epochs_run']} | {row['fit_seconds']:.1f} | {row['rmse']:.2f} |"
                )
            lines.append("")
        if levers.get("parallel"):
            par = levers["parallel"]
            lines += [
                "Two trainings at once (LSTM + GRU):",
                "",
                "| how | seconds (both done) |",
                "|---|---|",
            ]
            for arm, stats in par["summary"].items():
                lines.append(f"| {arm} | {_pm(stats, 1)} |")
            lines.append("")
    return "\n".join(lines) + "\n"


def write(results: dict | None = None) -> str:
    text = build(results)
    common.RESULTS.mkdir(parents=True, exist_ok=True)
    (common.RESULTS / "REPORT.md").write_text(text)
    return text
