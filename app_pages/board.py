"""Class board page: every run a class put on the board for one data source and split, live."""

import streamlit as st

from rnnstock.web import board
from rnnstock.web.pages import BOARD
from rnnstock.web.sidebar import loaded, require_prices

data = loaded()
st.title(BOARD.title)
board.teacher_link()  # shown, and applied only when the student clicks
require_prices(data)
board_id = board.which_board(data)
client = board.connect()  # starts the trainers' cluster if no training has yet
if board_id is not None and client is not None:
    board.live_board(board_id)
    board.your_runs(client, board_id)
