"""bench/results/REPORT.md from the sections' results, with the targets beside them."""

from __future__ import annotations

import json
import statistics
import time

from bench import common

TARGETS = {
    "speedup": 2.0,  # × the reference per epoch
    "comparison_fraction": 0.30,  # of the tutorial loop's time, cold, from the click
    "first_chart_s": 3.0,
    "over_floor_s": 0.3,  # first chart at most this much later than the floor app's
    "memory_mb": 1536.0,
    # "Flat": growth per training over the 20 (least squares), server and workers each;
    # TensorFlow alone keeps about 10 MB per fit in a worker that is never replaced.
    "memory_growth_mb": 2.0,
    "class_load_ratio": 1.10,  # Dask's total for a class within 10 % of the old pool's
}
FILES = {"class_load": "class-load"}  # sections whose results file is named otherwise


def file_name(section: str) -> str:
    return FILES.get(section, section)


def load(name: str) -> dict | None:
    path = common.RESULTS / f"{file_name(name)}.json"
    return json.loads(path.read_text()) if path.exists() else None


def first_chart_versus_floor(startup: dict) -> dict | None:
    """The Data page's first chart against the floor app's, both measured in the same
    run (medians): the relative target, which the machine's load moves much less."""
    first = [r["first_chart_s"] for r in startup.get("runs", [])]
    floor = [r["first_chart_s"] for r in startup.get("floor", [])]
    if not first or not floor:
        return None
    first_s, floor_s = statistics.median(first), statistics.median(floor)
    # The floor app's own first visit on its cold server (measure_floor's warm-up visit):
    # the same conditions as the Data page's figure, beside the warm floor the target uses.
    cold = [
        r["server_answers_s"] + r["warm-up_visit_s"]
        for r in startup.get("floor", [])
        if "warm-up_visit_s" in r
    ]
    cold_s = statistics.median(cold) if cold else None
    return {
        "first_chart_s": first_s,
        "floor_s": floor_s,
        "difference_s": first_s - floor_s,
        "met": first_s - floor_s <= TARGETS["over_floor_s"],
        "floor_first_visit_s": cold_s,
        "difference_first_visit_s": None if cold_s is None else first_s - cold_s,
    }


def _mark(ok: bool | None) -> str:
    return "—" if ok is None else ("met" if ok else "**not met**")


def _quick(section: dict) -> str:
    return " — **quick run: a smoke test, not the figures**" if section.get("quick") else ""


def _signed(value: float | None) -> str:
    return "–" if value is None else f"{value:+.1f}"


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
        target = TARGETS["comparison_fraction"]
        browser = ""
        if comparison.get("browser"):
            browser = (
                f", {comparison['browser']['fraction_of_reference']:.2f} from the click to the"
                " drawn results in Chromium"
            )
        rows.append(
            f"| LSTM-vs-GRU comparison vs the tutorial loop's time, from the click |"
            f" ≤ {target:.2f} cold | {fraction:.2f} cold (JobManager made at the click),"
            f" {comparison['warm_fraction_of_reference']['mean']:.2f} warm (workers had"
            f" imported TensorFlow){browser} | {_mark(fraction <= target)} |"
        )
    class_load = get("class_load")
    if class_load:
        ratio = class_load["ratio_to_pool"]["dask"]
        summary = class_load["summary"]
        dask, pool = summary["dask"]["total_s"]["mean"], summary["pool"]["total_s"]["mean"]
        lab = class_load["ratio_to_pool"]["lab"]["mean"]
        rows.append(
            f"| {class_load['students']} students at once: Dask's total / the old pool's |"
            f" ≤ {TARGETS['class_load_ratio']:.2f} | {ratio['mean']:.2f}"
            f" ({dask:.1f} s / {pool:.1f} s); loopback lab {lab:.2f}; queue places that went up:"
            f" Dask {summary['dask']['place_went_up']}, pool"
            f" {summary['pool']['place_went_up']}; lines that alternated: Dask"
            f" {summary['dask']['alternated']}, pool {summary['pool']['alternated']}"
            f" | {_mark(ratio['mean'] <= TARGETS['class_load_ratio'])} |"
        )
    if startup and startup.get("runs"):
        first = min(r["first_chart_s"] for r in startup["runs"])
        tf_loaded = any(
            r["tensorflow_after_data_page"]
            or r["tensorflow_after_train_page"]
            or r.get("tensorflow_in_server_at_end")
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
        versus = first_chart_versus_floor(startup)
        if versus:
            rows.append(
                f"| first chart against the floor app, same run (medians) |"
                f" ≤ floor + {TARGETS['over_floor_s']:.1f} s | {versus['first_chart_s']:.2f} s"
                f" vs {versus['floor_s']:.2f} s: {versus['difference_s']:+.2f} s"
                + against_cold_floor(versus)
                + f" | {_mark(versus['met'])} |"
            )
        workers = [r.get("workers_with_tensorflow") for r in startup["runs"]]
        in_workers = ""
        if all(w is not None for w in workers):
            in_workers = f"; in the workers: {', '.join(str(w) for w in workers)} had it"
        rows.append(
            f"| TensorFlow in the server process (Data page, then Train page) | never |"
            f" {'loaded' if tf_loaded else 'not loaded'}{in_workers} | {_mark(not tf_loaded)} |"
        )
    if memory:
        peak = memory["peak_sampled"]["tree_pss_mb"]
        growth = memory.get("growth_mb_per_training", {})
        workers = growth.get("workers_pss_mb")
        server = growth.get("parent_rss_mb")
        limit = TARGETS["memory_growth_mb"]
        flat = workers is not None and server is not None and max(workers, server) < limit
        rows.append(
            f"| memory over {memory['trainings']} trainings (server + workers) |"
            f" ≤ 1.5 GB, flat (< {limit:.0f} MB per training) | peak {peak:.0f} MB PSS;"
            f" per training: workers {_signed(workers)} MB PSS, server {_signed(server)} MB RSS;"
            f" {memory.get('worker_restarts', '?')} worker restarts"
            f" | {_mark(peak <= TARGETS['memory_mb'] and flat)} |"
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


def _runs_load(runs: list[dict], name) -> list[str]:
    """One line: each run's load average before → after, and the CPU seconds other
    processes used meanwhile (the load average counts the run's own work too)."""
    parts = []
    for run in runs:
        after = run.get("load_after")
        part = f"{name(run)} {run['load_before'][0]:.1f}" + (f" → {after[0]:.1f}" if after else "")
        if "others_cpu_s" in run:
            part += f" ({run['others_cpu_s']:.0f} s)"
        parts.append(part)
    if not parts:
        return []
    return [
        "Load average before → after each run (CPU seconds used by other processes"
        " meanwhile): " + "; ".join(parts) + ".",
        "",
    ]


def _set_aside(section: dict) -> list[str]:
    rows = section.get("set_aside") or []
    if not rows:
        return []
    worst = ", ".join(f"{row.get('others_cpu_s', 0):.0f}" for row in rows)
    return [
        f"{len(rows)} run(s) set aside and repeated: other processes used more than"
        f" {common.DISTURBED_CPU_S:.0f} CPU s during their repetition (their CPU s: {worst}).",
        "",
    ]


def against_cold_floor(versus: dict) -> str:
    """The same first chart against the floor app's own first visit on a cold server."""
    if versus.get("floor_first_visit_s") is None:
        return ""
    return (
        f" (against the floor app's own first visit on a cold server,"
        f" {versus['floor_first_visit_s']:.2f} s: {versus['difference_first_visit_s']:+.2f} s)"
    )


def _over_floor_row(startup: dict) -> list[str]:
    versus = first_chart_versus_floor(startup)
    if not versus:
        return []
    return [
        f"| first chart minus the floor, medians of this run | {versus['first_chart_s']:.2f}"
        f" − {versus['floor_s']:.2f} = {versus['difference_s']:+.2f} s"
        + against_cold_floor(versus)
        + f" | ≤ +{TARGETS['over_floor_s']:.1f} s {_mark(versus['met'])} |"
    ]


def _peak_at(at: dict | None) -> list[str]:
    if not at:
        return []
    below = ", ".join(f"{mb:.0f}" for mb in at["rss_mb_below_server"].values())
    return [
        f"The peak came {at['seconds']:.1f} s in, {at['trainings_done']} trainings done:"
        f" the server {at['parent_rss_mb']:.0f} MB RSS, the processes below it {below} MB RSS"
        f" ({len(at['rss_mb_below_server'])} processes, {at['workers']} of them the cluster's"
        " workers as it last reported them; the others are the fork server, or a worker"
        " starting or ending).",
        "",
    ]


def _memory_section(memory: dict) -> list[str]:
    peak = memory["peak_sampled"]
    ok = peak["tree_pss_mb"] <= TARGETS["memory_mb"]
    lines = [
        f"## 4. Memory over {memory['trainings']} trainings in one session" + _quick(memory),
        "",
    ]
    if "first" not in memory:  # written before the Dask workers were told apart
        growth = memory["growth_mb_per_training_second_half"]
        return [
            *lines,
            f"Peak server + workers {peak['tree_pss_mb']:.0f} MB PSS {_mark(ok)}, growth per"
            f" training (second half) {growth.get('tree_pss_mb', 0):+.1f} MB.",
            "",
        ]
    first, last = memory["first"], memory["last"]
    growth, half = memory["growth_mb_per_training"], memory["growth_mb_per_training_second_half"]
    names = {
        "parent_rss_mb": "server process (RSS; the scheduler and nannies are in it)",
        "parent_pss_mb": "server process (PSS)",
        "workers_rss_mb": f"the {memory['workers']} Dask workers (RSS)",
        "workers_pss_mb": f"the {memory['workers']} Dask workers (PSS)",
        "tree_pss_mb": "every process: server, fork server, workers (PSS)",
    }
    lines += [
        f"{memory['epochs_each']} epochs each, two at a time, through one JobManager (embedded"
        f" cluster, {memory['workers']} workers, each replaced after"
        f" {memory['jobs_per_worker']} trainings: {memory['worker_restarts']} restarts,"
        f" {memory['worker_processes_seen']} worker processes seen). Measured after each pair,"
        " once every worker is back (a replaced one after 0.5 s) and has imported TensorFlow.",
        "",
        "| process | after the first pair | after the last | peak (sampled every 0.2 s)"
        " | per training, all pairs | per training, second half |",
        "|---|---|---|---|---|---|",
    ]
    for key, name in names.items():
        lines.append(
            f"| {name} | {first[key]:.0f} MB | {last[key]:.0f} MB | {peak.get(key, 0):.0f} MB"
            f" | {_signed(growth.get(key))} MB | {_signed(half.get(key))} MB |"
        )
    lines += [
        "",
        f"Peak of every process (PSS): {peak['tree_pss_mb']:.0f} MB, target ≤ 1.5 GB"
        f" {_mark(ok)}; their RSS (shared libraries counted per process):"
        f" {peak['tree_rss_mb']:.0f} MB.",
        "",
        *_peak_at(memory.get("peak_at")),
        *_runs_load([memory] if "load_before" in memory else [], lambda r: "the run"),
        "| after trainings | server RSS | workers RSS (each) | workers PSS | all PSS"
        " | restarts so far |",
        "|---|---|---|---|---|---|",
    ]
    for row in memory["after_each_pair"]:
        each = ", ".join(f"{mb:.0f}" for mb in row["worker_rss_mb"].values())
        lines.append(
            f"| {row['trainings']} | {row['parent_rss_mb']:.0f} | {row['workers_rss_mb']:.0f}"
            f" ({each}) | {row['workers_pss_mb']:.0f} | {row['tree_pss_mb']:.0f}"
            f" | {row['worker_restarts']} |"
        )
    lines.append("")
    return lines


def _class_load_section(class_load: dict) -> list[str]:
    from bench.class_load import DESCRIBED, seconds, seen

    ratio = class_load["ratio_to_pool"]
    target = TARGETS["class_load_ratio"]
    lines = [
        f"## Class load: {class_load['students']} students press Train at once"
        + _quick(class_load),
        "",
        f"What the Train page submits with its default settings (LSTM(50), window 60,"
        f" {class_load['epochs']} epochs, the bundled MSFT sample, watching the model learn),"
        f" {class_load['students']} times at once, right after the JobManager is made (the"
        " first student's page), so the trainers' start is in every figure. Each way in a"
        " fresh process, the order reversed on every other run. The pool is rnnstock.jobs of"
        f" {class_load['pool_commit'][:7]} ({class_load['pool_commit_subject'][8:60]}…),"
        " unpacked beside the tree and run in the same venv. *Wait* is submit → the worker's"
        " 'started'; *result* is submit → done; *fit* is run_experiment's own clock for the"
        " fit, in the worker. *CPU*: seconds used by the run's processes, and by every other"
        " process on the machine meanwhile (other people's work). What each student saw is"
        " that version's own progress line (rnnstock.web.runs.status_line), sampled every"
        " 0.25 s, each change kept.",
        "",
        "| way | all done after | / pool (target Dask ≤"
        f" {target:.2f}) | wait, median (max) | result, median (max) | fit in the worker,"
        " median | places that went up | lines that alternated | load before → after"
        " | CPU s: the run's / other processes' |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for variant, row in class_load["summary"].items():
        runs = [r for r in class_load["runs"] if r["variant"] == variant]
        versus = "1"
        if variant in ratio:
            ok = ratio[variant]["mean"] <= target if variant == "dask" else None
            versus = f"{ratio[variant]['mean']:.2f}" + (f" {_mark(ok)}" if ok is not None else "")
        loads = "; ".join(f"{r['load_before'][0]:.2f} → {r['load_after'][0]:.2f}" for r in runs)
        cpu = "; ".join(
            f"{r['own_cpu_s']:.0f} / {r['others_cpu_s']:.0f}" for r in runs if "own_cpu_s" in r
        )
        fits = [s["fit_s"] for r in runs for s in r["students_rows"] if s.get("fit_s")]
        fit = f"{statistics.median(fits):.1f} s" if fits else "–"
        lines.append(
            f"| {DESCRIBED[variant]} | {_pm(row['total_s'], 1)} s | {versus}"
            f" | {row['wait_s']['median']:.1f} ({row['wait_s']['max']:.1f}) s"
            f" | {row['result_s']['median']:.1f} ({row['result_s']['max']:.1f}) s | {fit}"
            f" | {row['place_went_up']} | {row['alternated']} | {loads} | {cpu or '–'} |"
        )
    lines += ["", *_set_aside(class_load)]
    for run in class_load["runs"]:
        lines += [
            f"**{DESCRIBED[run['variant']]}, run {run['rep'] + 1}**: all done after"
            f" {run['total_s']:.1f} s; trainers ready at {seconds(run['cluster_ready_s'])} s;"
            f" {run['worker_restarts']} worker restart(s); load {run['load_before'][0]:.2f}"
            f" → {run['load_after'][0]:.2f}"
            + (
                f"; CPU {run['own_cpu_s']:.0f} s this run's, {run['others_cpu_s']:.0f} s other"
                " processes'."
                if "own_cpu_s" in run
                else "."
            ),
            "",
            "| student | wait | result | fit in the worker | what the page said while waiting |",
            "|---|---|---|---|---|",
        ]
        for student in run["students_rows"]:
            lines.append(
                f"| {student['student']} | {seconds(student['wait_s'])} s"
                f" | {seconds(student['result_s'])} s | {seconds(student.get('fit_s'))} s"
                f" | {seen(student)} |"
            )
        lines.append("")
    return lines


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
        target = TARGETS["comparison_fraction"]
        lines += [
            f"## 2. Time to a comparison (LSTM + GRU, {comparison['epochs']} epochs each)"
            + _quick(comparison),
            "",
            "| tutorial loop, one after the other | rnnstock cold: JobManager made at the click"
            f" | fraction (target ≤ {target:.2f}) | rnnstock warm: workers ready before the"
            " click | fraction |",
            "|---|---|---|---|---|",
            f"| {_pm(comparison['reference_seconds'], 1)} s"
            f" | {_pm(comparison['rnnstock_seconds'], 1)} s"
            f" | {fraction:.2f} {_mark(fraction <= target)}"
            f" | {_pm(comparison['rnnstock_warm_seconds'], 1)} s"
            f" | {comparison['warm_fraction_of_reference']['mean']:.2f} |",
            "",
            "Each arm in a fresh process, their order rotated every repetition; fractions are"
            " taken within a repetition. Both rnnstock figures start at the click. *Cold*: the"
            " JobManager is made at the click, so the clock counts the Dask cluster's start,"
            " its workers' start and their TensorFlow import. *Warm*: the JobManager was made"
            " when the page was opened and the click came once every worker had imported"
            " TensorFlow. The tutorial loop's figure excludes its own TensorFlow import (a"
            " notebook has done it before).",
            "",
            *_runs_load(comparison["runs"], lambda r: f"rep {r['rep'] + 1} {r['who']}"),
            *_set_aside(comparison),
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

    class_load = get("class_load")
    if class_load:
        lines += _class_load_section(class_load)

    startup = get("startup")
    if startup and startup.get("skipped"):
        lines += ["## 3. Start-up (headless Chromium)", "", f"Skipped: {startup['skipped']}.", ""]
    elif startup:
        runs = startup["runs"]
        first = [r["first_chart_s"] for r in runs]
        train = [r["train_page_usable_s"] for r in runs]
        tf_loaded = any(
            r["tensorflow_after_data_page"]
            or r["tensorflow_after_train_page"]
            or r.get("tensorflow_in_server_at_end")
            for r in runs
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
            *_over_floor_row(startup),
            "| Train page usable (Train button), from `streamlit run` | "
            + ", ".join(f"{v:.1f}" for v in train)
            + " s | |",
            "| Train page after navigating to /train | "
            + ", ".join(f"{r['train_page_after_navigation_s']:.1f}" for r in runs)
            + " s | |",
            f"| TensorFlow in the server (/proc/PID/maps) after both pages, and once the"
            f" workers had it | {'yes' if tf_loaded else 'no'} | no {_mark(not tf_loaded)} |",
            "| processes below the server after the Data page / workers with TensorFlow after"
            " the Train page (of the expected) | "
            + ", ".join(
                f"{r.get('processes_below_server_after_data_page', '?')} /"
                f" {r.get('workers_with_tensorflow', '?')} of {r.get('workers_expected', '?')}"
                for r in runs
            )
            + " | workers have it |",
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
        lines += _runs_load(
            [
                *({**r, "n": f"start {i + 1}"} for i, r in enumerate(runs)),
                *(
                    {**r, "n": f"returning {i + 1}"}
                    for i, r in enumerate(startup.get("returning", []))
                ),
                *({**r, "n": f"floor {i + 1}"} for i, r in enumerate(startup.get("floor", []))),
            ],
            lambda r: r["n"],
        )

    memory = get("memory")
    if memory:
        lines += _memory_section(memory)

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
