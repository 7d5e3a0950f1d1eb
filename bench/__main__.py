"""python -m bench [SECTION ...] [--quick] [--reps N] [--epochs N]

Sections: speed, comparison, class_load, startup, memory, reproduction, flops
(all seven by default, what `make bench` runs), and levers (run on its own: it
is long). Every figure is printed; results go to bench/results/<section>.json
(class_load: class-load.json) and the report to bench/results/REPORT.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

from bench import common, report
from bench.common import MASTERCARD_CSV, loadavg, save, spread

SECTIONS = ("speed", "comparison", "class_load", "startup", "memory", "reproduction", "flops")


def machine(quick: bool) -> dict:
    import importlib.metadata as metadata

    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "tensorflow": metadata.version("tensorflow-cpu"),
        "keras": metadata.version("keras"),
        "python": platform.python_version(),
        "quick": quick,
        "load": loadavg(),
    }


def section_speed(args) -> dict:
    from bench.speed import training_speed

    print(
        f"\n== 1. Training speed: reference vs run_experiment, {args.epochs} epochs,"
        f" {args.reps} repetition(s) ==",
        flush=True,
    )
    result = training_speed(epochs=args.epochs, reps=args.reps)
    for cell, row in result["summary"].items():
        ref, ours, speedup = (
            row["reference_s_per_epoch"],
            row["rnnstock_s_per_epoch"],
            row["speedup"],
        )
        print(
            f"  {cell}: reference {ref['mean']:.3f} s/epoch (±{ref['noise_pct']:.0f} %),"
            f" rnnstock {ours['mean']:.3f} (±{ours['noise_pct']:.0f} %)"
            f" → {speedup['mean']:.2f}× ({speedup['min']:.2f}–{speedup['max']:.2f});"
            f" after epoch 1 {row['steady_speedup']['mean']:.2f}×;"
            f" RMSE reference {row['reference_rmse']['mean']:.2f}"
            f" ({row['reference_rmse']['min']:.2f}–{row['reference_rmse']['max']:.2f}),"
            f" rnnstock {row['rnnstock_rmse']['mean']:.2f}"
            f" ({row['rnnstock_rmse']['min']:.2f}–{row['rnnstock_rmse']['max']:.2f}),"
            f" persistence {row['persistence_rmse']:.2f}"
        )
    return result


def section_comparison(args) -> dict:
    from bench.speed import time_to_comparison

    print(
        f"\n== 2. Time to a comparison: LSTM + GRU, {args.epochs} epochs each, cold and warm ==",
        flush=True,
    )
    result = time_to_comparison(epochs=args.epochs, reps=args.reps)
    ref, cold, warm = (
        result["reference_seconds"],
        result["rnnstock_seconds"],
        result["rnnstock_warm_seconds"],
    )
    target = report.TARGETS["comparison_fraction"]
    fraction = result["fraction_of_reference"]["mean"]
    print(
        f"  reference {ref['mean']:.1f} s (±{ref['noise_pct']:.0f} %);"
        f" rnnstock cold (JobManager made at the click) {cold['mean']:.1f} s"
        f" (±{cold['noise_pct']:.0f} %) → {fraction:.2f} of the reference's time"
        f" (target ≤ {target:.2f}: {'met' if fraction <= target else 'NOT MET'});"
        f" warm (workers had imported TensorFlow) {warm['mean']:.1f} s"
        f" (±{warm['noise_pct']:.0f} %) → {result['warm_fraction_of_reference']['mean']:.2f}"
    )
    from bench.startup import CHROMIUM, measure_comparison_in_browser

    if not os.path.exists(CHROMIUM):
        print(f"  in the browser: skipped, {CHROMIUM} is missing (apt-get install chromium)")
        return result
    runs = _repeat(
        lambda: measure_comparison_in_browser(args.epochs, str(MASTERCARD_CSV)),
        args.reps,
        lambda row: (
            f", in Chromium: click on Compare → results drawn {row['seconds']:.1f} s,"
            f" server CPU {row['server_cpu_s']:.1f} s ({'; '.join(row['progress'])}),"
            f" load {row['load_before'][0]:.1f}→{row['load_after'][0]:.1f}"
        ),
    )
    seconds = spread([row["seconds"] for row in runs])
    result["browser"] = {
        "runs": runs,
        "seconds": seconds,
        "server_cpu_s": spread([row["server_cpu_s"] for row in runs]),
        "fraction_of_reference": seconds["mean"] / ref["mean"],
    }
    print(
        f"  in Chromium {seconds['mean']:.1f} s (±{seconds['noise_pct']:.0f} %)"
        f" → {result['browser']['fraction_of_reference']:.2f} of the reference's time"
    )
    return result


def _repeat(measure, reps: int, describe, first: int = 1) -> list[dict]:
    """``measure()`` ``reps`` times, printing ``describe(row)`` after each run, and the
    CPU seconds of the run's processes beside every other process's."""
    rows = []
    for rep in range(reps):
        with common.cpu_watch() as cpu:
            row = measure()
        row.update(cpu)
        rows.append(row)
        print(
            f"  run {first + rep}{describe(row)}; CPU s: this run {cpu['own_cpu_s']:.0f},"
            f" other processes {cpu['others_cpu_s']:.0f}",
            flush=True,
        )
    return rows


def section_startup(args) -> dict:
    from bench.startup import (
        measure_floor,
        measure_returning_browser,
        measure_startup,
        server_import_time,
    )

    print("\n== 3. Start-up: streamlit run → Data page chart, Train page ==", flush=True)
    from bench.startup import CHROMIUM

    if not os.path.exists(CHROMIUM):
        print(f"  skipped: {CHROMIUM} is missing (apt-get install chromium)")
        return {"runs": [], "skipped": f"{CHROMIUM} is missing"}
    reps = max(1, min(args.reps, 3))
    kinds = {
        "runs": (
            measure_startup,
            lambda row: (
                f": server answers {row['server_answers_s']:.1f} s, Data title"
                f" {row['data_title_s']:.1f} s, first chart"
                f" {row['first_chart_s']:.1f} s (target ≤ 3), Train page usable"
                f" {row['train_page_usable_s']:.1f} s"
                f" ({row['train_page_after_navigation_s']:.1f} s after navigating),"
                " TensorFlow loaded in the server:"
                f" {row['tensorflow_after_data_page'] or row['tensorflow_after_train_page']},"
                f" server RSS {row['server_rss_mb_after_train_page']:.0f} MB,"
                f" load {row['load_before'][0]:.1f}"
            ),
        ),
        "returning": (
            measure_returning_browser,
            lambda row: (
                ", a browser that has opened the app before: first chart"
                f" {row['first_chart_s']:.1f} s from `streamlit run`,"
                f" load {row['load_before'][0]:.1f}"
            ),
        ),
        "floor": (
            measure_floor,
            lambda row: (
                ", an app with the price chart and nothing else (the floor): first chart"
                f" {row['first_chart_s']:.1f} s, load {row['load_before'][0]:.1f}"
            ),
        ),
    }
    # Interleaved (the order rotated every repetition): the first chart is judged
    # against the floor, so a drift in the machine's load must not favour either.
    measured: dict[str, list[dict]] = {kind: [] for kind in kinds}
    names = list(kinds)
    for rep in range(reps):
        for kind in names[rep % 3 :] + names[: rep % 3]:
            measure, describe = kinds[kind]
            measured[kind] += _repeat(measure, 1, describe, first=rep + 1)
    runs, returning, floor = measured["runs"], measured["returning"], measured["floor"]
    imports = server_import_time()
    print(
        f"  python -X importtime of the pages' modules: {imports['seconds']:.1f} s, TensorFlow"
        f" imported: {imports['tensorflow_imported']}; slowest: "
        + ", ".join(f"{n} {ms:.0f} ms" for n, ms in imports["slowest_imports_ms"][:4])
    )
    result = {"runs": runs, "returning": returning, "floor": floor, "imports": imports}
    versus = report.first_chart_versus_floor(result)
    print(
        f"  first chart {versus['first_chart_s']:.2f} s against the floor"
        f" {versus['floor_s']:.2f} s (medians, this run): {versus['difference_s']:+.2f} s"
        f" (target ≤ +{report.TARGETS['over_floor_s']:.1f} s:"
        f" {'met' if versus['met'] else 'NOT MET'})" + report.against_cold_floor(versus)
    )
    for row in runs:
        print(
            f"  after the Train page: TensorFlow in the server"
            f" {'YES' if row['tensorflow_after_train_page'] else 'no'}, still"
            f" {'YES' if row.get('tensorflow_in_server_at_end') else 'no'} once"
            f" {row.get('workers_with_tensorflow', 0)} of {row.get('workers_expected', '?')}"
            f" workers below it had it"
            + (
                f" ({row['workers_tensorflow_s_after_train_page']:.1f} s after the page)"
                if row.get("workers_tensorflow_s_after_train_page") is not None
                else ""
            )
        )
    result["versus_floor"] = versus
    return result


def section_memory(args) -> dict:
    from bench.common import run_isolated
    from bench.memory import twenty_trainings

    trainings = 6 if args.quick else 20
    epochs = 1 if args.quick else 2
    print(
        f"\n== 4. Memory: {trainings} trainings ({epochs} epochs each) through one JobManager ==",
        flush=True,
    )
    load = loadavg()
    with common.cpu_watch() as cpu:
        result = run_isolated(
            twenty_trainings, str(MASTERCARD_CSV), trainings=trainings, epochs=epochs
        )
    result.update(load_before=load, load_after=loadavg(), **cpu)
    peak = result["peak_sampled"]
    first, last = result["first"], result["last"]
    growth = result["growth_mb_per_training"]
    half = result["growth_mb_per_training_second_half"]
    print(
        f"  server RSS {first['parent_rss_mb']:.0f} → {last['parent_rss_mb']:.0f} MB,"
        f" workers RSS {first['workers_rss_mb']:.0f} → {last['workers_rss_mb']:.0f} MB"
        f" (PSS {first['workers_pss_mb']:.0f} → {last['workers_pss_mb']:.0f}), all processes"
        f" PSS {first['tree_pss_mb']:.0f} → {last['tree_pss_mb']:.0f} MB (after the first pair"
        f" → after the last); slope per training: server {growth['parent_rss_mb']:+.1f},"
        f" workers {growth['workers_rss_mb']:+.1f} MB RSS (second half {half['parent_rss_mb']:+.1f}"
        f" / {half['workers_rss_mb']:+.1f}); peak all processes {peak['tree_pss_mb']:.0f} MB PSS"
        f" (target ≤ 1536 MB); worker restarts {result['worker_restarts']}"
        f" ({result['worker_processes_seen']} worker processes seen,"
        f" {result['jobs_per_worker']} trainings each)"
    )
    at = result.get("peak_at")
    if at:
        print(
            f"  the peak: {at['seconds']:.1f} s in, {at['trainings_done']} trainings done;"
            f" server {at['parent_rss_mb']:.0f} MB RSS; RSS of the processes below it: "
            + ", ".join(f"{mb:.0f}" for mb in at["rss_mb_below_server"].values())
            + f" MB ({len(at['rss_mb_below_server'])} processes, {at['workers']} of them the"
            " cluster's workers as it last reported them)"
        )
    return result


def section_class_load(args) -> dict:
    from bench.class_load import TARGET_RATIO, class_load

    students, epochs = (3, 2) if args.quick else (8, 20)
    reps = 1 if args.quick else min(args.reps, 2)
    print(
        f"\n== Class load: {students} students press Train at once (default LSTM settings,"
        f" {epochs} epochs, MSFT sample), pool / Dask / loopback lab, {reps} run(s) each ==",
        flush=True,
    )
    result = class_load(students=students, epochs=epochs, reps=reps)
    totals = {v: row["total_s"]["mean"] for v, row in result["summary"].items()}
    ratio = result["ratio_to_pool"]["dask"]["mean"]
    print(
        f"  all done after: pool {totals['pool']:.1f} s, Dask {totals['dask']:.1f} s, lab"
        f" {totals['lab']:.1f} s; Dask / pool {ratio:.2f} (target ≤ {TARGET_RATIO:.2f}:"
        f" {'met' if ratio <= TARGET_RATIO else 'NOT MET'}), lab / pool"
        f" {result['ratio_to_pool']['lab']['mean']:.2f}; places that went up: "
        + ", ".join(f"{v} {row['place_went_up']}" for v, row in result["summary"].items())
        + "; lines that alternated: "
        + ", ".join(f"{v} {row['alternated']}" for v, row in result["summary"].items())
    )
    return result


def section_reproduction(args, speed: dict | None) -> dict:
    from bench.speed import reproduction

    print(
        "\n== 5. Reproduction table: every preset"
        + (" (quick: 1 epoch)" if args.quick else "")
        + " ==",
        flush=True,
    )
    reuse = {}
    if speed and not args.quick and speed["epochs"] == 50:
        from rnnstock.presets import get_preset

        for run in speed["runs"]:
            if run["who"] == "rnnstock" and run["rep"] == 0:
                preset = get_preset(f"datacamp-{run['cell'].lower()}")
                reuse[preset.id] = {
                    **run,
                    "preset": preset.id,
                    "title": preset.title,
                    "data": "the tutorial's own Kaggle CSV (../shared/data)",
                    "published": preset.published,
                    "published_note": preset.published_note,
                    "batch_size": preset.spec.train.batch_size,
                    "window": preset.spec.split.window,
                    "model": preset.spec.model.to_dict(),
                }
    return reproduction(quick=args.quick, reuse=reuse)


def section_flops(speed: dict | None, repro: dict | None) -> dict:
    from bench.common import run_isolated
    from bench.flops import epoch_flops, machine_peak, matmul_gflops
    from rnnstock.specs import ModelSpec

    peak = machine_peak()
    print(f"\n== 6. FLOPs per epoch against the machine's peak ==\n  peak: {peak.describe()}")
    measured = {threads: run_isolated(matmul_gflops, threads) for threads in (1, peak.cores)}
    print(
        f"  measured: large matrix products (2048 × 2048, TensorFlow) {measured[1]:.0f} GFLOP/s"
        f" on 1 thread, {measured[peak.cores]:.0f} on {peak.cores}"
    )
    print("  (FLOPs from the cell equations; training = 3 × forward, see bench/flops.py)")
    rows = []

    def add(run: str, model: ModelSpec, window: int, samples: int, s_epoch: float, steady: float):
        flops = epoch_flops(model, window, samples)
        row = {
            "run": run,
            "gflop_per_epoch": flops / 1e9,
            "seconds_per_epoch": s_epoch,
            "gflops": flops / 1e9 / s_epoch,
            "steady_gflops": flops / 1e9 / steady,
            "percent_of_peak": 100 * flops / 1e9 / s_epoch / peak.gflops,
            "percent_of_measured": 100 * flops / 1e9 / s_epoch / measured[peak.cores],
        }
        rows.append(row)
        print(
            f"  {run:<34} {row['gflop_per_epoch']:.2f} GFLOP/epoch in {s_epoch:.3f} s ="
            f" {row['gflops']:.1f} GFLOP/s, {row['percent_of_peak']:.1f} % of peak,"
            f" {row['percent_of_measured']:.1f} % of the measured products"
            f" (after epoch 1: {row['steady_gflops']:.1f} GFLOP/s)"
        )

    if speed:
        for cell, summary in speed["summary"].items():
            model = ModelSpec(cell=cell, units=(125,))
            samples = next(r["train_windows"] for r in speed["runs"] if r["cell"] == cell)
            for who in ("reference", "rnnstock"):
                add(
                    f"{who} {cell}(125)",
                    model,
                    60,
                    samples,
                    summary[f"{who}_s_per_epoch"]["mean"],
                    summary[f"{who}_steady_epoch"]["mean"],
                )
    if repro:
        for row in repro["rows"]:
            if row["preset"].startswith("datacamp") and speed:
                continue
            add(
                f"preset {row['preset']} (batch {row['batch_size']})",
                ModelSpec(**row["model"]),
                row["window"],
                row["train_windows"],
                row["seconds_per_epoch"],
                row["steady_epoch"],
            )
    return {
        "peak": peak.describe(),
        "peak_gflops": peak.gflops,
        "matmul_gflops": {str(threads): gflops for threads, gflops in measured.items()},
        "rows": rows,
    }


def levers_file(args) -> str:
    """levers-lstm / levers-gru for the full set; -selected when --only picked some."""
    return f"levers-{args.cell.lower()}" + ("-selected" if args.only else "")


def section_levers(args) -> dict:
    from bench.levers import run_levers

    print(f"\n== Levers: {args.epochs} epochs, {args.reps} repetition(s) ==", flush=True)
    return run_levers(
        epochs=args.epochs, reps=args.reps, only=args.only, cell=args.cell, extras=not args.only
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("sections", nargs="*", help="sections to run (default: all seven)")
    parser.add_argument("--quick", action="store_true", help="3 epochs, 1 repetition: a smoke test")
    parser.add_argument("--reps", type=int, help="repetitions (default 3; quick 1)")
    parser.add_argument("--epochs", type=int, help="epochs per training (default 50; quick 3)")
    parser.add_argument("--only", nargs="*", help="levers: which variants")
    parser.add_argument("--cell", default="LSTM", help="levers: LSTM or GRU")
    args = parser.parse_args(argv)
    args.reps = args.reps or (1 if args.quick else 3)
    args.epochs = args.epochs or (3 if args.quick else 50)
    sections = args.sections or list(SECTIONS)
    unknown = set(sections) - set(SECTIONS) - {"levers"}
    if unknown:
        parser.error(f"unknown section(s): {', '.join(sorted(unknown))}")
    if not MASTERCARD_CSV.exists():
        parser.error(f"{MASTERCARD_CSV} is missing (the tutorial's CSV in ../shared/data)")

    if args.quick:  # a smoke test never overwrites the real figures
        common.RESULTS = common.RESULTS / "quick"
    started = time.perf_counter()
    results: dict = {"machine": machine(args.quick)}
    save("machine", results["machine"])
    print(
        f"rnnstock benchmarks on {results['machine']['cpu']}, {os.cpu_count()} cores,"
        f" load {results['machine']['load']}"
    )
    for name in sections:
        if name == "speed":
            results[name] = section_speed(args)
        elif name == "comparison":
            results[name] = section_comparison(args)
        elif name == "class_load":
            results[name] = section_class_load(args)
        elif name == "startup":
            results[name] = section_startup(args)
        elif name == "memory":
            results[name] = section_memory(args)
        elif name == "reproduction":
            results[name] = section_reproduction(args, results.get("speed"))
        elif name == "flops":
            results[name] = section_flops(
                results.get("speed") or report.load("speed"),
                results.get("reproduction") or report.load("reproduction"),
            )
        elif name == "levers":
            results[name] = section_levers(args)
        results[name]["quick"] = args.quick
        save(levers_file(args) if name == "levers" else report.file_name(name), results[name])
    text = report.write(results)
    print(f"\n{text}")
    print(
        f"Written to {common.RESULTS}/ in {time.perf_counter() - started:.0f} s;"
        f" load now {loadavg()}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
