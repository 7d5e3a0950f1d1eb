"""The dashboard's pages, declared once: their scripts, titles, icons and addresses.

Pages live in ``app_pages/``, not ``pages/``: Streamlit 1.67 runs a folder named
``pages/`` as legacy automatic pages until ``st.navigation`` first runs, so a
shared link opened first after a restart would run a page without ``app.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st


@dataclass(frozen=True)
class PageInfo:
    path: str  # the script, relative to the app's folder
    title: str
    icon: str
    url: str  # the address's path: /train

    def page(self, *, default: bool = False) -> st.Page:
        return st.Page(self.path, title=self.title, icon=self.icon, default=default)


DATA = PageInfo("app_pages/data.py", "Data", ":material/show_chart:", "data")
TRAIN = PageInfo("app_pages/train.py", "Train", ":material/model_training:", "train")
COMPARE = PageInfo("app_pages/compare.py", "Compare", ":material/compare_arrows:", "compare")
FORECAST = PageInfo("app_pages/forecast.py", "Forecast", ":material/trending_up:", "forecast")
LEARN = PageInfo("app_pages/learn.py", "Learn", ":material/school:", "learn")
MISTAKES = PageInfo("app_pages/mistakes.py", "Mistakes", ":material/rule:", "mistakes")
BOARD = PageInfo("app_pages/board.py", "Class board", ":material/leaderboard:", "board")
PAGES = (DATA, TRAIN, COMPARE, FORECAST, LEARN, MISTAKES, BOARD)


def navigation() -> st.Page:
    """The sidebar's page list; returns the page this run shows."""
    return st.navigation([info.page(default=info is DATA) for info in PAGES])


def link(info: PageInfo, label: str, icon: str | None = None) -> None:
    """A link to another page of the app (kept across the app's own navigation)."""
    st.page_link(info.path, label=label, icon=icon or info.icon)


def by_url(url_path: str) -> PageInfo:
    """The page at an address path ('' is the default page)."""
    return next((info for info in PAGES if info.url == url_path), DATA)
