"""The benchmarks' pure parts (bench/): FLOP counts and the tutorial's windowing.

No timing here: speed is measured by `make bench`, never asserted in tests.
"""

import pytest

from bench.flops import (
    BACKWARD_FACTOR,
    cell_step_flops,
    epoch_flops,
    forward_flops_per_sample,
    vector_width,
)
from bench.reference import MASTERCARD_CSV, prepare, split_sequence
from rnnstock.specs import ModelSpec


def test_lstm_flops_match_a_hand_count():
    # LSTM(2) on 1 input: z = xW (1×8) + hU (2×8) + b, then 17 elementwise ops per unit.
    per_step = 2 * 1 * 8 + 2 * 2 * 8 + 17 * 2
    assert cell_step_flops("LSTM", 1, 2) == per_step == 82
    dense = 2 * 2 * 1 + 1  # Dense(1) on 2 inputs
    assert forward_flops_per_sample("LSTM", (2,), window=3) == 3 * per_step + dense == 251
    assert epoch_flops(ModelSpec(cell="LSTM", units=(2,)), 3, samples=10) == 10 * 251 * 3
    assert BACKWARD_FACTOR == 3


def test_stacked_and_bidirectional_layers_feed_their_width_forward():
    # GRU(4) twice, bidirectional: the second layer reads 8 values per step.
    first = 2 * cell_step_flops("GRU", 1, 4)
    second = 2 * cell_step_flops("GRU", 8, 4)
    expected = 5 * (first + second) + (2 * 8 * 1 + 1)
    assert forward_flops_per_sample("GRU", (4, 4), 5, bidirectional=True) == expected


def test_peak_assumes_two_fma_pipes_of_the_widest_vector():
    assert vector_width({"avx512f", "avx2", "fma"}) == ("AVX-512 FMA", 64)
    assert vector_width({"avx2", "fma"}) == ("AVX2 FMA", 32)


def test_split_sequence_is_the_tutorials_loop():
    X, y = split_sequence([1, 2, 3, 4, 5, 6], 3)
    assert X.tolist() == [[1, 2, 3], [2, 3, 4], [3, 4, 5]]
    assert y.tolist() == [4, 5, 6]


def test_reference_windows_on_the_mastercard_csv():
    if not MASTERCARD_CSV.exists():
        pytest.skip(f"{MASTERCARD_CSV} is not here (it lives in the shared folder)")
    data = prepare()
    assert data.X_train.shape == (1199, 60, 1)  # 2016–2020: 1,259 days - 60
    assert len(data.X_test) == len(data.test_set)  # every 2021 day is predicted


# -- class load (bench/class_load.py) and the report's relative targets ------------------


def test_a_student_whose_place_went_up_or_whose_line_came_back_is_flagged():
    from types import SimpleNamespace

    from bench.class_load import student_row

    job = SimpleNamespace(
        label="student 7",
        status="done",
        error=None,
        submitted=100.5,
        started=110.0,
        finished=130.0,
        result=None,
        progress=[],
    )
    timeline = [  # [seconds, status, queue_position, what the page said]
        [0.0, "queued", None, "starting a trainer"],
        [0.5, "queued", 6, "place 6"],
        [1.0, "queued", 7, "place 7"],
        [1.5, "queued", 1, "place 1"],
        [1.8, "queued", None, "starting a trainer"],
        [2.0, "running", None, "training"],
        [9.0, "done", None, "done"],
    ]
    row = student_row(job, timeline, t0=100.0)
    assert row["places"] == [6, 7, 1]
    assert row["place_went_up"] and row["alternated"]
    assert (row["wait_s"], row["result_s"]) == (9.5, 29.5)
    calm = student_row(job, [timeline[1], timeline[3], *timeline[5:]], t0=100.0)
    assert not calm["place_went_up"] and not calm["alternated"]


def test_the_pages_progress_line_is_shortened_to_the_words_that_change():
    from types import SimpleNamespace

    from bench.class_load import _page_line

    waiting = SimpleNamespace(status="queued")
    line = lambda job, manager: "waiting: place 3 in the queue (2 train at once here)"  # noqa: E731
    assert _page_line(line, waiting, None) == "place 3"
    starting = lambda job, manager: "starting a trainer (TensorFlow takes a few seconds)"  # noqa: E731
    assert _page_line(starting, waiting, None) == "starting a trainer"
    assert _page_line(line, SimpleNamespace(status="running"), None) == "training"


def test_the_pool_is_found_by_what_its_jobs_py_contains():
    import subprocess

    from bench.class_load import POOL_MARKER, REPO, pool_commit

    try:
        commit = pool_commit()
    except (RuntimeError, subprocess.CalledProcessError, FileNotFoundError):
        pytest.skip("no git history with the process pool here (a shallow or no checkout)")
    jobs = subprocess.run(
        ["git", "show", f"{commit}:rnnstock/jobs.py"], cwd=REPO, capture_output=True, text=True
    ).stdout
    assert POOL_MARKER in jobs


def test_first_chart_is_judged_against_the_floor_of_the_same_run():
    from bench.report import first_chart_versus_floor

    runs = [{"first_chart_s": 3.1}, {"first_chart_s": 3.5}, {"first_chart_s": 3.0}]
    slow_floor = [{"first_chart_s": 2.9}, {"first_chart_s": 2.8}, {"first_chart_s": 3.0}]
    versus = first_chart_versus_floor({"runs": runs, "floor": slow_floor})
    assert versus["difference_s"] == pytest.approx(0.2) and versus["met"]
    fast_floor = [{"first_chart_s": 2.6}, {"first_chart_s": 2.7}]  # median 2.65
    assert not first_chart_versus_floor({"runs": runs, "floor": fast_floor})["met"]
    assert first_chart_versus_floor({"runs": runs}) is None


def test_class_load_is_a_default_section_with_its_own_results_file():
    from bench.__main__ import SECTIONS
    from bench.report import file_name

    assert "class_load" in SECTIONS
    assert file_name("class_load") == "class-load"


def test_a_repetition_is_disturbed_when_other_processes_took_the_cores():
    from bench.common import DISTURBED_CPU_S, disturbed

    assert disturbed([{"others_cpu_s": 1.0}, {"own_cpu_s": 50.0}]) == 0.0
    busy = DISTURBED_CPU_S + 30
    assert disturbed([{"others_cpu_s": 2.0}, {"others_cpu_s": busy}]) == busy


def test_the_floor_apps_own_first_visit_is_reported_beside_but_does_not_judge():
    """The target uses the warm floor; the floor's first visit on its cold server (the
    Data page's own conditions) is shown beside it, and never turns "not met" to "met"."""
    from bench.report import against_cold_floor, first_chart_versus_floor

    runs = [{"first_chart_s": 3.8}]
    floor = [{"first_chart_s": 2.7, "server_answers_s": 0.6, "warm-up_visit_s": 2.9}]
    versus = first_chart_versus_floor({"runs": runs, "floor": floor})
    assert versus["floor_first_visit_s"] == pytest.approx(3.5)
    assert versus["difference_first_visit_s"] == pytest.approx(0.3)
    assert versus["difference_s"] == pytest.approx(1.1) and not versus["met"]
    assert "first visit on a cold server, 3.50 s: +0.30 s" in against_cold_floor(versus)
