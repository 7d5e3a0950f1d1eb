"""The two exceptions of rnnstock.data, at the bottom of the package so every part can raise them.

Every problem with the data raises :class:`DataError` with a message a teacher
can read aloud: what is wrong, where (column, line), and what to do about it.
"""

from __future__ import annotations


class DataError(ValueError):
    """Any problem with price data; the message says what is wrong and what to do."""


class FetchError(DataError):
    """Downloading a ticker failed and no saved copy could stand in.

    ``reason`` is one of :attr:`REASONS`; ``ticker`` is the validated symbol.
    """

    REASONS = ("rate_limited", "not_found", "empty", "network", "timeout", "error")

    def __init__(self, message: str, *, reason: str = "error", ticker: str = "") -> None:
        if reason not in self.REASONS:
            raise ValueError(f"Unknown FetchError reason {reason!r}.")
        super().__init__(message)
        self.reason = reason
        self.ticker = ticker

    def __reduce__(self):  # keep reason and ticker when sent between processes
        return (_rebuild_fetch_error, (str(self), self.reason, self.ticker))


def _rebuild_fetch_error(message: str, reason: str, ticker: str) -> FetchError:
    return FetchError(message, reason=reason, ticker=ticker)
