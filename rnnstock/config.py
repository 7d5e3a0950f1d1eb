"""The environment switches (``RNNSTOCK_*``), read in one place with one parsing rule.

| variable | meaning | default |
|---|---|---|
| ``RNNSTOCK_WORKERS`` | trainings at once on this server | one per core |
| ``RNNSTOCK_CACHE_DIR`` | downloaded prices, compiled XLA steps | the user cache folder |
| ``RNNSTOCK_XLA`` | compile training steps with XLA: on, off or auto | auto (long runs) |
| ``RNNSTOCK_FUSED`` | the fused LSTM/GRU layers on CPU | on |
| ``RNNSTOCK_MALLOC_KEEP`` | glibc keeps freed memory for the next step | on |
| ``RNNSTOCK_MISTAKES_TINY`` | the Mistakes page trains tiny models (the tests) | off |

On/off switches take 1/0, on/off, true/false or yes/no; anything else is a
``ValueError`` that names the variable.
"""

from __future__ import annotations

import os
from pathlib import Path

_ON = {"1", "on", "true", "yes"}
_OFF = {"0", "off", "false", "no"}


def _raw(name: str) -> str:
    return os.environ.get(name, "").strip()


def switch(name: str, default: bool | None) -> bool | None:
    """An on/off variable; ``default`` when unset or 'auto' (None means "decide later")."""
    value = _raw(name).lower()
    if value in ("", "auto"):
        return default
    if value in _ON:
        return True
    if value in _OFF:
        return False
    raise ValueError(f"{name} must be on or off (1 or 0), not '{_raw(name)}'.")


def whole_number(name: str, default: int, *, minimum: int = 1) -> int:
    value = _raw(name)
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not '{value}'.") from None
    if number < minimum:
        raise ValueError(f"{name} must be at least {minimum}.")
    return number


def workers() -> int:
    """Trainings at once: ``RNNSTOCK_WORKERS`` if set, else one per core."""
    return whole_number("RNNSTOCK_WORKERS", max(1, os.cpu_count() or 1))


def scheduler() -> str | None:
    """``RNNSTOCK_SCHEDULER``: the address of a shared Dask scheduler (tcp://host:8786),
    or None for a cluster embedded in this process (rnnstock.cluster)."""
    return _raw("RNNSTOCK_SCHEDULER").strip() or None


def xla() -> bool | None:
    """``RNNSTOCK_XLA``: True or False when forced, None for automatic."""
    return switch("RNNSTOCK_XLA", None)


def fused() -> bool:
    return bool(switch("RNNSTOCK_FUSED", True))


def malloc_keep() -> bool:
    return bool(switch("RNNSTOCK_MALLOC_KEEP", True))


def cache_dir() -> Path:
    """``$RNNSTOCK_CACHE_DIR``, else the user cache folder (``~/.cache/rnnstock`` on Linux)."""
    configured = _raw("RNNSTOCK_CACHE_DIR")
    if configured:
        return Path(configured).expanduser()
    try:
        import platformdirs
    except ImportError:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        return Path(base) / "rnnstock"
    return Path(platformdirs.user_cache_dir("rnnstock", appauthor=False))


MISTAKES_TINY = "RNNSTOCK_MISTAKES_TINY"


def mistakes_tiny() -> bool:
    """The Mistakes page's measurements with tiny models (a few units, 2 epochs): tests."""
    return bool(switch(MISTAKES_TINY, False))
