"""FLOPs of one training epoch, counted from the cell equations, and the machine's peak.

Conventions (say them whenever a figure is quoted):

- A multiply-add is 2 FLOPs; an elementwise add, multiply, sigmoid or tanh is 1.
- Forward, per sample and time step, for input width d and n units:
  - SimpleRNN  h = tanh(xW + hU + b): 2dn + 2n² matmuls, 3n elementwise.
  - LSTM       z = xW + hU + b (4n wide); i, f, o = σ(z…), g = tanh(z…);
               c = f·c + i·g; h = o·tanh(c): 2d·4n + 2n·4n matmuls,
               4n bias + 4n add + 4n activations + 3n + 2n = 17n elementwise.
  - GRU (Keras' reset_after=True) x part 2d·3n + 3n bias, h part 2n·3n + 3n bias,
               z, r: 2n add + 2n σ; h̃ = tanh(x_h + r·h_h): 3n;
               h = z·h + (1 − z)·h̃: 4n — 17n elementwise.
- Dense(out) on input width d: 2d·out + out.
- Training ≈ 3 × forward: the backward pass does two matmuls (gradient of the
  input and of the weights) for each forward one. The optimizer's few FLOPs
  per parameter per step (< 0.1 % here), dropout and the loss are left out.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass

ELEMENTWISE_PER_UNIT = {"SimpleRNN": 3, "LSTM": 17, "GRU": 17}
GATES = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}
BACKWARD_FACTOR = 3  # forward + backward ≈ 3 × forward


def cell_step_flops(cell: str, inputs: int, units: int) -> int:
    """Forward FLOPs of one recurrent cell for one sample and one time step."""
    width = GATES[cell] * units
    return 2 * inputs * width + 2 * units * width + ELEMENTWISE_PER_UNIT[cell] * units


def forward_flops_per_sample(
    cell: str,
    units: tuple[int, ...],
    window: int,
    dense: tuple[int, ...] = (),
    bidirectional: bool = False,
) -> int:
    """Forward FLOPs of the whole model for one input window."""
    total, inputs = 0, 1
    directions = 2 if bidirectional else 1
    for size in units:
        total += directions * window * cell_step_flops(cell, inputs, size)
        inputs = directions * size
    for size in (*dense, 1):
        total += 2 * inputs * size + size
        inputs = size
    return total


def epoch_flops(model_spec, window: int, samples: int) -> int:
    """Training FLOPs of one epoch over ``samples`` windows (3 × forward)."""
    per_sample = forward_flops_per_sample(
        model_spec.cell,
        tuple(model_spec.units),
        window,
        tuple(model_spec.dense),
        model_spec.bidirectional,
    )
    return BACKWARD_FACTOR * samples * per_sample


@dataclass(frozen=True)
class Peak:
    cores: int
    ghz: float
    flops_per_cycle: int  # per core, float32
    vector: str

    @property
    def gflops(self) -> float:
        return self.cores * self.ghz * self.flops_per_cycle

    def describe(self) -> str:
        return (
            f"{self.cores} cores × {self.ghz:.2f} GHz × {self.flops_per_cycle} FP32 FLOPs/cycle"
            f" ({self.vector}: two FMA pipes × lanes × 2) = {self.gflops:.0f} GFLOP/s"
        )


def vector_width(flags: set[str]) -> tuple[str, int]:
    """FP32 FLOPs per cycle per core, assuming two FMA pipes of the widest vector."""
    if "avx512f" in flags:
        return "AVX-512 FMA", 2 * 16 * 2
    if "avx2" in flags and "fma" in flags:
        return "AVX2 FMA", 2 * 8 * 2
    if "avx" in flags:
        return "AVX (no FMA)", 8 * 2
    return "SSE", 4 * 2


def machine_peak() -> Peak:
    """The peak from lscpu (or /proc/cpuinfo): cores × clock × FLOPs per cycle."""
    flags: set[str] = set()
    ghz = 0.0
    try:
        text = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
    except OSError:
        text = ""
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "Flags":
            flags = set(value.split())
        elif key.strip() == "CPU max MHz" and value.strip():
            ghz = float(value) / 1000
    try:
        with open("/proc/cpuinfo") as file:
            cpuinfo = file.read()
    except OSError:
        cpuinfo = ""
    if not flags:
        match = re.search(r"^flags\s*:\s*(.*)$", cpuinfo, re.M)
        flags = set(match.group(1).split()) if match else set()
    if not ghz:
        match = re.search(r"^cpu MHz\s*:\s*([\d.]+)", cpuinfo, re.M)
        ghz = float(match.group(1)) / 1000 if match else 0.0
    vector, per_cycle = vector_width(flags)
    return Peak(cores=os.cpu_count() or 1, ghz=ghz, flops_per_cycle=per_cycle, vector=vector)


def matmul_gflops(threads: int, size: int = 2048, products: int = 10) -> float:
    """What this machine really does: float32 GFLOP/s of large matrix products in
    TensorFlow (oneDNN) on ``threads`` threads, best of 5. Call in a fresh process
    (bench.common.run_isolated): TensorFlow fixes its thread pools when it starts.

    A ceiling for the trainings, which multiply far smaller matrices (a batch of
    32 windows by 126 × 500 weights for the LSTM) one time step after another.
    """
    os.environ["TF_NUM_INTRAOP_THREADS"] = str(threads)
    os.environ["TF_NUM_INTEROP_THREADS"] = "1"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import time

    import tensorflow as tf

    a = tf.random.normal([size, size])
    b = tf.random.normal([size, size]) / size**0.5  # keeps the chained products finite

    @tf.function
    def chain(x):
        for _ in range(products):
            x = tf.matmul(x, b)
        return x

    chain(a).numpy()  # traced and warmed up
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        chain(a).numpy()
        best = min(best, time.perf_counter() - started)
    return products * 2 * size**3 / best / 1e9
