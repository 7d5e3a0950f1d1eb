"""The web app: everything that imports Streamlit, and nothing else does.

The pipeline (the rest of ``rnnstock``) never imports Streamlit; the pages in
``app_pages/`` string these modules together:

- ``pages``: the pages, their paths and the navigation, declared once
- ``state``: every session key, and the settings a user made, kept across pages
- ``widgets``: a widget per setting, drawn from its declaration in ``rnnstock.settings``
- ``links``: settings in the address bar, and a shared link's settings restored
- ``sidebar``: the data sidebar and the cached loaders
- ``split``: target, window and split widgets shared by Data, Train and Compare
- ``runs``: trainings in the background, one progress panel for 1..n jobs, the runs table
- ``train``, ``compare``, ``forecast``, ``learn``, ``data``, ``mistakes``, ``board``: each
  page's pieces (``board``: the class board, its store in ``rnnstock.board``)
- ``content/``: the Learn page's prose as Markdown blocks, filled in by ``learn``
"""
