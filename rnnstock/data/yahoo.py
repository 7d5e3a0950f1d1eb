"""Tickers and Yahoo Finance: which symbols are valid, the download, and what a failure means.

yfinance is imported only when a download starts, so importing rnnstock.data
stays light. Every failure becomes a :class:`~rnnstock.data.errors.FetchError`
whose ``reason`` and message say what happened and suggest an offline sample.
"""

from __future__ import annotations

import datetime
import html
import re
import threading
from collections.abc import Callable

import pandas as pd

from rnnstock.data.errors import DataError, FetchError
from rnnstock.data.samples import SAMPLES

_TICKER = re.compile(r"^\^?[A-Z0-9][A-Z0-9.\-=^]{0,14}$")

Fetcher = Callable[[str], pd.DataFrame]
"""Takes a validated ticker, returns its raw full daily history (like yfinance), or raises."""


def validate_ticker(text: str) -> str:
    """The symbol stripped and upper-cased ('brk-b' -> 'BRK-B'), or DataError.

    Letters, digits and ``. - = ^`` only, at most 15 characters after an
    optional leading ``^``: AAPL, BRK-B, ^GSPC, EURUSD=X, 0700.HK.
    """
    shown = str(text).strip() if text is not None else ""
    if not shown:
        raise DataError("Type a ticker symbol, such as AAPL, MSFT or ^GSPC.")
    symbol = shown.upper()
    if not _TICKER.match(symbol):
        if len(shown) > 20:
            shown = shown[:19] + "…"
        raise DataError(
            f'"{shown}" is not a ticker symbol. Symbols use only letters, digits and . - = ^'
            " (at most 15 characters), like AAPL, BRK-B, ^GSPC, EURUSD=X or 0700.HK."
        )
    return symbol


_YFINANCE_LOCK = threading.Lock()


def yahoo_fetcher(ticker: str, *, timeout: float = 15.0) -> pd.DataFrame:
    """The full daily history of ``ticker`` from Yahoo Finance (needs the internet).

    Returns yfinance's frame unchanged (Open, High, Low, Close, Adj Close,
    Volume on a tz-aware index). Every failure raises :class:`FetchError`
    with a ``reason``: yfinance is told to raise its errors instead of
    logging them and returning an empty frame.
    """
    import yfinance as yf

    symbol = validate_ticker(ticker)
    with _YFINANCE_LOCK:  # yfinance's settings are global; one download at a time
        hidden = yf.config.debug.hide_exceptions
        yf.config.debug.hide_exceptions = False
        try:
            frame = yf.Ticker(symbol).history(
                period="max",
                interval="1d",
                auto_adjust=False,
                actions=False,
                timeout=timeout,
            )
        except Exception as error:
            reason = _failure_reason(error)
            raise FetchError(
                _failure_message(reason, symbol, error), reason=reason, ticker=symbol
            ) from error
        finally:
            yf.config.debug.hide_exceptions = hidden
    if frame is None or frame.empty:
        raise FetchError(_failure_message("empty", symbol), reason="empty", ticker=symbol)
    return frame


def _failure_reason(error: BaseException) -> str:
    """Which of FetchError.REASONS an exception from a download means.

    Judged by class names as well as types, so yfinance, curl_cffi and
    requests need not be imported to recognise their exceptions.
    """
    if isinstance(error, FetchError):
        return error.reason
    names = {kind.__name__ for kind in type(error).__mro__}
    status = getattr(getattr(error, "response", None), "status_code", None)
    if "YFRateLimitError" in names or status == 429 or "Too Many Requests" in str(error):
        return "rate_limited"
    if names & {"YFTickerMissingError", "YFPricesMissingError", "YFTzMissingError"}:
        return "not_found"
    if status == 404:
        return "not_found"
    if isinstance(error, TimeoutError) or names & {"Timeout", "ConnectTimeout", "ReadTimeout"}:
        return "timeout"
    if isinstance(status, int) and status >= 400:
        return "error"
    if isinstance(error, (ConnectionError, OSError)) or names & {"ConnectionError", "DNSError"}:
        return "network"
    return "error"


ERROR_DETAIL_CHARS = 200
"""At most this many characters of an error's own text are shown in a message.

A failed download's error can carry a whole web page (one of 70,000
characters was measured); a sentence or two says what happened, and the rest
would fill the screen.
"""

# What a web page holds besides its words. Each pattern ends at the end of the
# text if the page is cut short, and a tag stops at the next "<", so the work
# grows with the text's length and no more.
_PAGE_CODE = re.compile(
    r"<script\b.*?(?:</script\s*>|\Z)|<style\b.*?(?:</style\s*>|\Z)|<!--.*?(?:-->|\Z)",
    re.IGNORECASE | re.DOTALL,
)
_TAG = re.compile(r"<[a-zA-Z/!?][^<>]*(?:>|\Z)")


def _readable(text: str, limit: int = ERROR_DETAIL_CHARS) -> str:
    """``text`` as a short line of words: no web-page tags, scripts or styles, spaces
    folded, and at most ``limit`` characters (cut at a word, ending in "…")."""
    text = _TAG.sub(" ", _PAGE_CODE.sub(" ", text))
    text = html.unescape(text).replace("<", " ").replace(">", " ")
    text = " ".join(text.split()).rstrip(",;:")
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" .,;:") + "…"


def _error_detail(error: BaseException | None) -> str:
    """What an unexpected error says, short: its kind, its HTTP status and its first words.

    Our own DataError messages are already written for the reader and are kept whole.
    """
    if error is None:
        return "no details"
    if isinstance(error, DataError):
        return str(error).strip()
    words = _readable(str(error))
    status = getattr(getattr(error, "response", None), "status_code", None)
    kind = type(error).__name__
    if isinstance(status, int) and str(status) not in words:
        kind = f"{kind}, HTTP status {status}"
    return f"{kind}: {words}" if words else kind


def _sample_hint() -> str:
    return f"pick an offline sample such as {SAMPLES['msft'].label}"


def _failure_message(reason: str, symbol: str, error: BaseException | None = None) -> str:
    """A FetchError message: what happened in plain words, and what to do instead."""
    hint = _sample_hint()
    if reason == "rate_limited":
        return (
            f"Yahoo Finance is rate-limiting requests right now, so {symbol} could not be"
            f" downloaded. Try again in a few minutes, or {hint}."
        )
    if reason == "not_found":
        return (
            f'Yahoo Finance has no daily prices for "{symbol}". Check the symbol (indexes'
            f" start with ^, like ^GSPC; other exchanges need a suffix, like 0700.HK), or {hint}."
        )
    if reason == "empty":
        return f"Yahoo Finance sent no prices for {symbol}. Try again later, or {hint}."
    if reason == "timeout":
        return (
            f"Yahoo Finance did not answer in time when asked for {symbol}. Try again in a"
            f" minute, or {hint}."
        )
    if reason == "network":
        return (
            f"Yahoo Finance could not be reached to download {symbol}; is this computer"
            f" online? Check the internet connection, or {hint}."
        )
    status = getattr(getattr(error, "response", None), "status_code", None)
    if isinstance(status, int) and status >= 500:
        return (
            f"Yahoo Finance had a problem on its side and could not send {symbol}"
            f" ({_error_detail(error)}). Try again later, or {hint}."
        )
    return (
        f"Downloading {symbol} from Yahoo Finance failed ({_error_detail(error)})."
        f" Try again later, or {hint}."
    )


def _failure_notice(reason: str, symbol: str, saved_on: datetime.date) -> str:
    """What to tell the user when a saved copy stands in for a failed download."""
    what = {
        "rate_limited": "Yahoo Finance is rate-limiting requests right now",
        "not_found": f"Yahoo Finance did not recognise {symbol} just now",
        "empty": f"Yahoo Finance sent no prices for {symbol} just now",
        "timeout": "Yahoo Finance did not answer in time",
        "network": "Yahoo Finance could not be reached",
        "error": f"Downloading {symbol} from Yahoo Finance failed",
    }[reason]
    return f"{what}; showing the copy of {symbol} saved on {saved_on:%Y-%m-%d}."
