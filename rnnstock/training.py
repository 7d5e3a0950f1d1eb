"""Fit a model on its windows: seeded, with progress, cancel and early stopping.

The same spec and seed give the same weights on the same machine: Keras'
global seed is set before the model is built, and the CPU kernels these
models use (matmul, elementwise, reductions; XLA's code) compute in a fixed
order for a given thread count. TensorFlow's ``enable_op_determinism`` is not
used: it adds checks on every op and makes Keras refuse XLA.

Speed (figures in bench/README.md): LSTMs and GRUs train with rnnstock.fused's
layers (TensorFlow's fused LSTM op; a GRU whose weight gradients are one
product over all steps); long trainings are also compiled with XLA, which
fuses each step's dozens of small ops (not the fused LSTM: XLA has no kernel
for it); all run several steps per call from Python.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rnnstock import config
from rnnstock.backend import import_keras
from rnnstock.models import supports_xla
from rnnstock.specs import TrainSpec
from rnnstock.windows import Windows

if TYPE_CHECKING:
    import keras
    import numpy as np


@dataclass(frozen=True)
class EpochProgress:
    """What a progress display needs after each epoch."""

    epoch: int  # 1-based
    epochs: int  # planned
    loss: float
    val_loss: float | None
    seconds: float  # this epoch's wall time
    elapsed: float  # since training started
    predicted: np.ndarray | None = None  # the test days' predictions now, in prices (watched)

    @property
    def eta(self) -> float:
        """Seconds left if the remaining epochs take as long as the average so far."""
        return self.elapsed / self.epoch * (self.epochs - self.epoch)


@dataclass
class TrainingHistory:
    loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    epoch_seconds: list[float] = field(default_factory=list)
    cancelled: bool = False
    stopped_early: bool = False
    best_epoch: int | None = None  # 1-based: the epoch whose weights early stopping kept

    @property
    def epochs_run(self) -> int:
        return len(self.loss)

    @property
    def seconds(self) -> float:
        return float(sum(self.epoch_seconds))

    @property
    def seconds_per_epoch(self) -> float:
        return self.seconds / self.epochs_run if self.epochs_run else 0.0


OnEpoch = Callable[[EpochProgress], None]
ShouldStop = Callable[[], bool]
Watch = Callable[["keras.Model"], "np.ndarray"]
"""The model's predictions for the test days, in prices, as it stands after an epoch."""

WATCH_SHARE = 0.05
"""Of each epoch's time, at most this share goes to watching the test predictions.

A watched training predicts the test days after every epoch, so the page can
redraw the chart as the model learns. On a long run whose epochs are short
beside one prediction, it predicts every k-th epoch instead, with k chosen from
the last prediction's cost. (bench/watch.py measures what it costs.)
"""


def watch_stride(predict_seconds: float, epoch_seconds: float) -> int:
    """Epochs between two watched ones, so predicting takes at most ``WATCH_SHARE``."""
    if epoch_seconds <= 0:
        return 1
    return max(1, math.ceil(predict_seconds / (WATCH_SHARE * epoch_seconds)))


def keep_freed_memory() -> bool:
    """Ask glibc's malloc to keep freed memory for reuse instead of returning it to the OS.

    Training allocates and frees the same few-megabyte tensors thousands of
    times an epoch; by default glibc unmaps each (mmap threshold) or trims the
    heap, so every step pays page faults to map the memory back. Keeping it
    costs nothing in peak memory (the peak is reached anyway). Returns whether
    the settings took (False off glibc, e.g. on macOS, or with
    ``RNNSTOCK_MALLOC_KEEP=0``).
    """
    if not config.malloc_keep():
        return False
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3
    kept = mallopt(m_mmap_threshold, 32 * 1024 * 1024)  # glibc's maximum
    kept &= mallopt(m_trim_threshold, 1024 * 1024 * 1024)
    return bool(kept)


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and the backend."""
    keras = import_keras()
    keras.utils.set_random_seed(seed)


# XLA compiles a training step once per batch shape (a few seconds; cached on
# disk, see backend.import_keras) and then runs each step in about 40 % less CPU
# time (DataCamp LSTM, one thread). Below this many steps the compilation
# would cost more than it saves.
XLA_MIN_STEPS = 300
# Training steps per call from Python: fewer round trips, and the cancel check
# (on_train_batch_end) still comes every few hundred milliseconds.
STEPS_PER_EXECUTION = 8


def use_xla(spec: TrainSpec, samples: int) -> bool:
    """XLA for long trainings; ``RNNSTOCK_XLA=1``/``0`` forces it on or off.

    With early stopping the run may end after a few times its patience, so
    only that many epochs are counted on.
    """
    forced = config.xla()
    if forced is not None:
        return forced
    epochs = spec.epochs if not spec.patience else min(spec.epochs, 5 * spec.patience)
    return epochs * math.ceil(samples / spec.batch_size) >= XLA_MIN_STEPS


def make_optimizer(spec: TrainSpec):
    keras = import_keras()
    classes = {
        "rmsprop": keras.optimizers.RMSprop,
        "adam": keras.optimizers.Adam,
        "sgd": keras.optimizers.SGD,
    }
    optimizer_class = classes[spec.optimizer]
    if spec.learning_rate is None:
        return optimizer_class()
    return optimizer_class(learning_rate=spec.learning_rate)


def _progress_callback(
    history: TrainingHistory, epochs: int, on_epoch, should_stop, watch: Watch | None = None
):
    keras = import_keras()

    class Progress(keras.callbacks.Callback):
        """Times each epoch, reports it (with the test predictions when watched), and
        stops cooperatively when asked."""

        def on_train_begin(self, logs=None):
            self.started = time.perf_counter()
            self.next_watched = 0  # 0-based epoch
            self.watched = 0

        def _watch(self, epoch: int, seconds: float):
            """The test predictions after this epoch, if it is one to watch."""
            if watch is None or epoch < self.next_watched or epoch + 1 == epochs:
                return None  # the last epoch's predictions are the result's own
            started = time.perf_counter()
            predicted = watch(self.model)
            cost = time.perf_counter() - started
            self.watched += 1
            # The first prediction traces the model's predict function once: not a cost
            # that comes back, so it does not space out the next ones.
            stride = 1 if self.watched == 1 else watch_stride(cost, seconds)
            self.next_watched = epoch + stride
            return predicted

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch_started = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            if should_stop is not None and should_stop():
                history.cancelled = True
                self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            now = time.perf_counter()
            seconds = now - self.epoch_started
            history.loss.append(float(logs["loss"]))
            if "val_loss" in logs:
                history.val_loss.append(float(logs["val_loss"]))
            history.epoch_seconds.append(seconds)
            if on_epoch is not None:
                predicted = None if history.cancelled else self._watch(epoch, seconds)
                on_epoch(
                    EpochProgress(
                        epoch=epoch + 1,
                        epochs=epochs,
                        loss=history.loss[-1],
                        val_loss=history.val_loss[-1] if "val_loss" in logs else None,
                        seconds=seconds,
                        elapsed=now - self.started,
                        predicted=predicted,
                    )
                )

    return Progress()


def compile_model(
    model: keras.Model,
    spec: TrainSpec,
    *,
    jit_compile: bool = False,
    steps_per_execution: int = 1,
) -> None:
    model.compile(
        optimizer=make_optimizer(spec),
        loss="mse",
        jit_compile=jit_compile,
        steps_per_execution=steps_per_execution,
    )


def batches(X: np.ndarray, y: np.ndarray, batch_size: int, *, shuffle: bool = False):
    """The tf.data pipeline that ``model.fit(X, y)`` builds, with tf.data's autotuner off.

    It is Keras' own pipeline (its ``ArrayDataAdapter``, from ``keras.src``; Keras is
    pinned, and a test checks that training on it matches ``fit(X, y)`` to the last
    bit): the same batches in the same shuffled order, so the same weights.

    The autotuner wakes on a timer (every 10 ms, then 20, 40, …) to resize the
    pipeline, and the next batch can wait for it. When a training's threads have
    no idle core to spare (two trainings at once on 2 cores, as in a comparison)
    every epoch stalled: the DataCamp LSTM took 0.63 s per epoch on one core
    against 0.44 s with the autotuner off, the GRU 0.46 against 0.31 (bench
    levers ``fused-xla-1core``, ``no-autotune-1core``). A gather from arrays in
    memory has nothing to tune.
    """
    import tensorflow as tf
    from keras.src.trainers.data_adapters.array_data_adapter import ArrayDataAdapter

    adapter = ArrayDataAdapter(X, y, batch_size=batch_size, shuffle=shuffle)
    options = tf.data.Options()
    options.autotune.enabled = False
    dataset = adapter.get_tf_dataset().with_options(options)
    # Keras counts the batches of arrays; a dataset's count it reads from here.
    return dataset.apply(tf.data.experimental.assert_cardinality(adapter.num_batches))


def fit(
    model: keras.Model,
    windows: Windows,
    spec: TrainSpec,
    *,
    on_epoch: OnEpoch | None = None,
    should_stop: ShouldStop | None = None,
    watch: Watch | None = None,
) -> TrainingHistory:
    """Train ``model`` (already built under the seed) on ``windows``.

    ``on_epoch`` is called after every epoch, its progress carrying ``watch(model)``
    (the test predictions) on the epochs :data:`WATCH_SHARE` allows; ``should_stop``
    is polled after every ``STEPS_PER_EXECUTION`` batches (and at each epoch's end)
    and ends training there when it says so.
    """
    keras = import_keras()
    keep_freed_memory()
    xla = use_xla(spec, len(windows.X_train)) and supports_xla(model)
    compile_model(model, spec, jit_compile=xla, steps_per_execution=STEPS_PER_EXECUTION)
    history = TrainingHistory()
    callbacks = [_progress_callback(history, spec.epochs, on_epoch, should_stop, watch)]
    early_stopping = None
    validation = None
    if len(windows.X_val):
        validation = batches(windows.X_val, windows.y_val, spec.batch_size)
        if spec.patience:
            early_stopping = keras.callbacks.EarlyStopping(
                monitor="val_loss", patience=spec.patience, restore_best_weights=True
            )
            callbacks.append(early_stopping)
    if should_stop is not None and should_stop():
        history.cancelled = True
        return history
    training = batches(windows.X_train, windows.y_train, spec.batch_size, shuffle=True)
    model.fit(
        training,
        shuffle=False,  # the batches come shuffled; Keras would warn that it cannot
        # Told the epoch's length, Keras starts the next epoch's pass over the data at the
        # end of each epoch and uses it; otherwise it starts one there and another at the
        # next epoch's start (about 13 ms each). Same batches, same shuffles, same weights.
        steps_per_epoch=len(training),
        epochs=spec.epochs,
        validation_data=validation,
        callbacks=callbacks,
        verbose=0,
    )
    if early_stopping is not None and not history.cancelled:
        history.stopped_early = early_stopping.stopped_epoch > 0
        # Keras restores the best epoch's weights at the end whether it stopped or not.
        if early_stopping.best_weights is not None:
            history.best_epoch = int(early_stopping.best_epoch) + 1
    if xla or STEPS_PER_EXECUTION != 1:
        # Predict, forecast and save with a plain compile: XLA would compile again for
        # every new batch shape, and a reloaded model should not carry these settings.
        optimizer = model.optimizer
        model.compile(optimizer=optimizer, loss="mse")
    return history
