"""Keras on TensorFlow, set up once: threads, the XLA disk cache, a quiet start.

Imported lazily by everything that trains (``import_keras``), so the web
server never loads TensorFlow for a page.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading

_IMPORT_LOCK = threading.Lock()
TRAINING_THREADS = 1  # intra-op: one thread per op
TRAINING_INTEROP_THREADS = 2  # ops at once: the fused LSTM's two halves (rnnstock.fused)


def import_keras():
    """Import Keras on the TensorFlow backend, with TensorFlow's start-up chatter off.

    Safe from several threads of the web server at once: two threads importing
    Keras' circular modules together can each see the other's half-made module.
    """
    with _IMPORT_LOCK:
        os.environ.setdefault("KERAS_BACKEND", "tensorflow")
        # Level 3 also hides a harmless tf.data graph-attribute error line that TF 2.21
        # prints on every predict; Python-level exceptions are unaffected.
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        logging.getLogger("tensorflow").addFilter(_expected_retracing)  # added once
        if "keras" in sys.modules:
            return sys.modules["keras"]
        # One thread per op (bench/README.md, levers): these models' ops are too small
        # to split and XLA's code runs fastest alone. Two ops at once, for the fused
        # LSTM's two halves of a batch. TensorFlow reads these when it starts.
        os.environ.setdefault("TF_NUM_INTRAOP_THREADS", str(TRAINING_THREADS))
        os.environ.setdefault("TF_NUM_INTEROP_THREADS", str(TRAINING_INTEROP_THREADS))
        _use_xla_disk_cache()
        with _native_stderr_silenced():
            import keras
        return keras


def _expected_retracing(record: logging.LogRecord) -> bool:
    """Drop TensorFlow's "N out of the last N calls to <function> triggered tf.function
    retracing" warning: every training builds a new model with new traced functions,
    which TensorFlow counts as one function retracing once a worker has trained a few
    models. Expected here, and a paragraph of advice for TensorFlow's users in the middle
    of a class's terminal. Every other TensorFlow warning still shows."""
    return "triggered tf.function retracing" not in record.getMessage()


def _use_xla_disk_cache() -> None:
    """Keep XLA's compiled training steps on disk, so the same model and batch shape
    compile once per machine rather than once per training (a few seconds each).

    Goes in the rnnstock cache folder, one subfolder per TensorFlow version;
    an explicit ``TF_XLA_FLAGS`` setting of the cache is left alone.
    """
    flags = os.environ.get("TF_XLA_FLAGS", "")
    if "tf_xla_persistent_cache_directory" in flags:
        return
    from importlib import metadata

    from rnnstock.config import cache_dir

    version = "unknown"
    for name in ("tensorflow-cpu", "tensorflow"):
        try:
            version = metadata.version(name)
            break
        except metadata.PackageNotFoundError:
            continue
    folder = cache_dir() / f"xla-tf{version}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:  # a read-only home: compile every time, as without the cache
        return
    os.environ["TF_XLA_FLAGS"] = f"{flags} --tf_xla_persistent_cache_directory={folder}".strip()


@contextlib.contextmanager
def _native_stderr_silenced():
    """Send file descriptor 2 to /dev/null while TensorFlow loads.

    TF 2.21 prints oneDNN and absl start-up lines from C++ before it reads
    TF_CPP_MIN_LOG_LEVEL; they would land in the middle of a class's terminal.
    Python exceptions still surface: they are raised after stderr is back.
    """
    try:
        saved = os.dup(2)
    except OSError:  # no real stderr (some embedded runners): nothing to silence
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
