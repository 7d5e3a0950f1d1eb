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
