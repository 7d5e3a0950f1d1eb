"""Fit a model on its windows: seeded, with progress, cancel and early stopping.

The same spec and seed give the same weights on the same machine: Keras'
global seed is set before the model is built and TensorFlow's
deterministic ops are switched on.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rnnstock.models import import_keras
from rnnstock.specs import TrainSpec
from rnnstock.windows import Windows

if TYPE_CHECKING:
    import keras


@dataclass(frozen=True)
class EpochProgress:
    """What a progress display needs after each epoch."""

    epoch: int  # 1-based
    epochs: int  # planned
    loss: float
    val_loss: float | None
    seconds: float  # this epoch's wall time
    elapsed: float  # since training started

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
    best_epoch: int | None = None  # 1-based, when early stopping restored weights

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


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and the backend, and make TensorFlow's ops deterministic."""
    keras = import_keras()
    keras.utils.set_random_seed(seed)
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()


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


def _progress_callback(history: TrainingHistory, epochs: int, on_epoch, should_stop):
    keras = import_keras()

    class Progress(keras.callbacks.Callback):
        """Times each epoch, reports it, and stops cooperatively when asked."""

        def on_train_begin(self, logs=None):
            self.started = time.perf_counter()

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
                on_epoch(
                    EpochProgress(
                        epoch=epoch + 1,
                        epochs=epochs,
                        loss=history.loss[-1],
                        val_loss=history.val_loss[-1] if "val_loss" in logs else None,
                        seconds=seconds,
                        elapsed=now - self.started,
                    )
                )

    return Progress()


def compile_model(model: keras.Model, spec: TrainSpec) -> None:
    model.compile(optimizer=make_optimizer(spec), loss="mse")


def fit(
    model: keras.Model,
    windows: Windows,
    spec: TrainSpec,
    *,
    on_epoch: OnEpoch | None = None,
    should_stop: ShouldStop | None = None,
) -> TrainingHistory:
    """Train ``model`` (already built under the seed) on ``windows``.

    ``on_epoch`` is called after every epoch; ``should_stop`` is polled after
    every batch and ends training at the end of that batch when it says so.
    """
    keras = import_keras()
    compile_model(model, spec)
    history = TrainingHistory()
    callbacks = [_progress_callback(history, spec.epochs, on_epoch, should_stop)]
    early_stopping = None
    validation = None
    if len(windows.X_val):
        validation = (windows.X_val, windows.y_val)
        if spec.patience:
            early_stopping = keras.callbacks.EarlyStopping(
                monitor="val_loss", patience=spec.patience, restore_best_weights=True
            )
            callbacks.append(early_stopping)
    if should_stop is not None and should_stop():
        history.cancelled = True
        return history
    model.fit(
        windows.X_train,
        windows.y_train,
        epochs=spec.epochs,
        batch_size=spec.batch_size,
        validation_data=validation,
        callbacks=callbacks,
        verbose=0,
    )
    if early_stopping is not None and early_stopping.stopped_epoch > 0 and not history.cancelled:
        history.stopped_early = True
        history.best_epoch = int(early_stopping.best_epoch) + 1
    return history
