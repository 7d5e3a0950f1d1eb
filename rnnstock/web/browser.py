"""A cookie that names the browser, so its runs survive a reload of the tab.

Streamlit starts a new session on every reload; the runs a browser started
are found again by this id (``rnnstock.web.runs``). ``server.py`` adds the
middleware; it sets the cookie on the first page load of a browser that has
none. The id is random and says nothing about the person.
"""

from __future__ import annotations

import secrets
from http.cookies import SimpleCookie

COOKIE = "rnnstock_browser"
MAX_AGE = 30 * 24 * 3600  # a month: a course's runs are not kept longer anyway
# Scripts, styles and the websocket: only a page load hands out an id, so the parallel
# requests for a page's scripts do not each set a different one.
_NOT_PAGES = ("/static/", "/_stcore/", "/media/", "/component/", "/app/static/")


class BrowserIdMiddleware:
    """Pure ASGI middleware: adds ``Set-Cookie`` to HTTP responses of cookie-less browsers."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if (
            scope["type"] != "http"
            or scope.get("path", "/").startswith(_NOT_PAGES)
            or _has_cookie(scope)
        ):
            await self.app(scope, receive, send)
            return
        value = (
            f"{COOKIE}={secrets.token_urlsafe(18)}; Path=/; Max-Age={MAX_AGE};"
            " HttpOnly; SameSite=Lax"
        )

        async def send_with_cookie(message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"set-cookie", value.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def _has_cookie(scope) -> bool:
    for name, raw in scope.get("headers", []):
        if name == b"cookie":
            cookies = SimpleCookie()
            try:
                cookies.load(raw.decode("latin-1"))
            except Exception:  # a malformed header: give the browser a fresh id
                return False
            if COOKIE in cookies:
                return True
    return False
