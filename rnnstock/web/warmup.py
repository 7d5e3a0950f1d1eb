"""What the first visit would otherwise wait for, done while the server starts."""

from __future__ import annotations


def warm_up() -> None:
    """Run by server.py in a thread as soon as Streamlit is up (the browser is still
    loading its scripts then): the pages' modules (pandas, Plotly's figure classes;
    never TensorFlow nor scikit-learn), the default offline sample into the shared
    cache, and one price chart, which loads Plotly's validators and JSON encoder.
    Saves the first visitor about 0.7 s (bench/README.md). Nothing for the Data
    page's other tabs: they are drawn only when opened, and this thread shares the
    2 cores with the browser.
    """
    import rnnstock.charts
    import rnnstock.web.compare
    import rnnstock.web.forecast
    import rnnstock.web.learn
    import rnnstock.web.train
    from rnnstock.specs import DataSpec
    from rnnstock.web.sidebar import cached_sample

    name = DataSpec().name
    prices = cached_sample(name)
    rnnstock.charts.price_figure(prices, name).to_json()  # as st.plotly_chart sends it
