"""The Compare and Forecast pages, and links that carry settings (AppTest, no network)."""

import datetime

from streamlit.testing.v1 import AppTest

from rnnstock.web import state
from rnnstock.web.pages import COMPARE, DATA, FORECAST, TRAIN
from tests.conftest import REPO
from tests.test_app import open_app, said, shown_job_ids


def wait_for(app: AppTest, job_ids, timeout: float = 240) -> AppTest:
    from rnnstock.web.runs import job_manager

    for job_id in job_ids:
        job_manager().wait(job_id, timeout)
    app.run()  # the page sees every job done and reruns itself to draw the results
    return app.run()


# Two years of training days keep the tiny models quick.
SHORT_SPLIT = {
    "split_mode": "dates",
    "train_start": datetime.date(2015, 1, 1),
    "train_end": datetime.date(2016, 12, 30),
}


def open_compare_page(**session) -> AppTest:
    return open_app(SHORT_SPLIT, **session).switch_page(COMPARE.path).run()


def tiny_comparison(app: AppTest, cells=("LSTM", "GRU"), repeats=1) -> AppTest:
    app.multiselect(key="compare.cells").set_value(list(cells))
    app.text_input(key="compare.units").set_value("4")
    app.number_input(key="compare.epochs").set_value(2)
    app.number_input(key="compare.window").set_value(10)
    app.number_input(key="compare.repeats").set_value(repeats)
    app.run()
    assert not app.exception and not app.error, said(app.error)
    app.button(key="compare.start").click().run()
    assert not app.exception, app.exception
    jobs = shown_job_ids(app, COMPARE.url)
    assert len(jobs) == len(cells) * repeats
    return wait_for(app, jobs)


def test_two_models_compare_on_identical_data_and_then_forecast_and_backtest():
    """One tiny comparison serves both pages: Compare's results, then the Forecast page's
    forecast and backtest of the models it trained."""
    app = tiny_comparison(open_compare_page())
    assert not app.exception and not app.error
    charts = [c.proto.spec for c in app.get("plotly_chart")]
    chart = next(spec for spec in charts if '"Predicted (GRU)"' in spec)
    assert '"Predicted (LSTM)"' in chart and '"Real"' in chart and "Persistence" in chart
    table = app.table[0].value
    models = [row for row in table.index if not row.startswith("Persistence")]
    assert models == ["LSTM", "GRU"]
    assert (table.loc[models, "Epochs run"] == 2).all()
    assert table.loc["LSTM", "Parameters"] > table.loc["GRU", "Parameters"]
    # Persistence learns nothing: no parameters, time or epochs (shown "–").
    [persistence] = [row for row in table.index if row.startswith("Persistence")]
    assert table.loc[persistence, ["Parameters", "s/epoch", "Epochs run"]].isna().all()
    assert table.loc[persistence, "RMSE"] > 0
    ranking = " ".join(i.value for i in app.info)
    assert "Ranking this time:" in ranking and "GRU beats LSTM" in ranking
    losses = [c for c in app.get("plotly_chart") if "loss" in c.proto.spec.lower()]
    assert len(losses) == 2  # loss curves side by side

    # The Forecast page forecasts with the models just trained.
    app.switch_page(FORECAST.path).run()
    assert not app.exception and not app.error
    app.number_input(key="forecast.forecast_days").set_value(7).run()
    charts = [c.proto.spec for c in app.get("plotly_chart")]
    forecast = next(spec for spec in charts if "business days past" in spec)
    assert "7 business days past 2017-11-10" in forecast  # the MSFT sample's last day
    assert '"Forecast (' in forecast and "Persistence" in forecast
    assert any("Error by days ahead" in spec for spec in charts)
    csv = next(b for b in app.get("download_button") if "Forecast" in b.proto.label)
    assert csv is not None
    text = " ".join(m.value for m in app.markdown)
    assert "After 1 day its RMSE is" in text
    # A forecast longer than the declared bound is a message, not minutes of work.
    app.number_input(key="forecast.forecast_days").set_value(100_000).run()
    assert any(
        "The forecast length must be from 1 to 60, not 100,000" in e for e in said(app.error)
    )
    assert not any("business days past" in c.proto.spec for c in app.get("plotly_chart"))


def test_repeating_over_seeds_shows_the_spread():
    app = tiny_comparison(open_compare_page(), cells=("GRU", "SimpleRNN"), repeats=2)
    assert not app.exception and not app.error
    table = app.table[0].value
    assert (table.loc[["GRU", "SimpleRNN"], "Seeds"] == 2).all()
    assert "averaged over 2 seeds" in " ".join(i.value for i in app.info)
    assert any(
        "is the difference bigger than the spread" in c.proto.spec for c in app.get("plotly_chart")
    )


def test_the_datacamp_button_sets_up_the_tutorials_comparison():
    app = open_compare_page()
    next(b for b in app.button if "DataCamp" in b.label).click().run()
    assert app.multiselect(key="compare.cells").value == ["LSTM", "GRU"]
    assert app.text_input(key="compare.units").value == "125"
    assert app.number_input(key="compare.epochs").value == 50
    assert app.number_input(key="compare.seed").value == 455
    assert app.selectbox(key="compare.optimizer").value == "rmsprop"
    assert app.selectbox(key="compare.target").value == "High"
    assert app.date_input(key="compare.train_end").value == datetime.date(2020, 12, 31)
    # The tutorial's dates do not fit the MSFT sample: the page says so rather than move them.
    assert any("leaves no test days" in e for e in said(app.error))
    assert app.button(key="compare.start").disabled


def test_the_forecast_page_without_a_model_offers_to_train_one():
    app = open_app().switch_page(FORECAST.path).run()
    assert not app.exception
    assert any("No model of this browser can forecast yet" in i.value for i in app.info)
    assert app.button(key="forecast.start").label.startswith("Train GRU(32)")


def test_a_link_restores_the_train_settings():
    app = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    app.query_params.update(
        {
            "data": "sample",
            "sample": "sp500",
            "target": "Open",
            "window": "30",
            "split": "dates",
            "from": "2005-01-03",
            "until": "2012-12-31",
            "cell": "gru",
            "units": "32,16",
            "dropout": "0.2",
            "opt": "rmsprop",
            "lr": "0.002",
            "epochs": "7",
            "batch": "64",
            "seed": "3",
            "es": "1",
            "val": "0.15",
            "patience": "4",
        }
    )
    app.switch_page(TRAIN.path).run()
    assert not app.exception and not app.error and not app.warning
    assert app.sidebar.selectbox(key=state.SAMPLE_NAME).value == "sp500"
    assert app.selectbox(key="train.cell").value == "GRU"
    assert app.text_input(key="train.units").value == "32, 16"
    assert app.number_input(key="train.epochs").value == 7
    assert app.number_input(key="train.window").value == 30
    assert app.selectbox(key="train.target").value == "Open"
    assert app.date_input(key="train.train_start").value == datetime.date(2005, 1, 3)
    assert app.date_input(key="train.train_end").value == datetime.date(2012, 12, 31)
    assert app.checkbox(key="train.early_stopping").value is True
    assert app.slider(key="train.validation_fraction").value == 0.15
    assert app.number_input(key="train.patience").value == 4
    assert app.query_params["epochs"] == "7"  # the address bar keeps the settings


def test_turning_early_stopping_on_proposes_a_validation_share():
    app = open_app().switch_page(TRAIN.path).run()
    app.checkbox(key="train.early_stopping").check().run()
    assert not app.exception and not app.error, said(app.error)
    assert app.slider(key="train.validation_fraction").value == 0.1
    assert not app.button(key="train.start").disabled
    # A link that turns early stopping on without naming a share gets the same proposal.
    app = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    app.query_params.update({"es": "1", "patience": "4"})
    app.switch_page(TRAIN.path).run()
    assert not app.exception and not app.error, said(app.error)
    assert app.slider(key="train.validation_fraction").value == 0.1


def test_a_link_with_bad_values_uses_the_rest_and_says_what_it_skipped():
    app = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    app.query_params.update({"epochs": "many", "units": "8", "cell": "Transformer"})
    app.switch_page(TRAIN.path).run()
    assert not app.exception
    assert app.text_input(key="train.units").value == "8"
    warning = " ".join(said(app.warning))
    assert "epochs=many" in warning and "cell=Transformer" in warning


def test_a_link_restores_a_comparison():
    app = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    app.query_params.update({"cells": "GRU,SimpleRNN", "repeats": "3", "units": "16"})
    app.switch_page(COMPARE.path).run()
    assert not app.exception
    assert app.multiselect(key="compare.cells").value == ["GRU", "SimpleRNN"]
    assert app.number_input(key="compare.repeats").value == 3
    assert app.text_input(key="compare.units").value == "16"


def test_settings_survive_a_visit_to_other_pages():
    app = open_app().switch_page(TRAIN.path).run()
    app.selectbox(key="train.preset").select("datacamp-gru").run()
    app.text_input(key="train.units").set_value("64")
    app.number_input(key="train.epochs").set_value(3).run()  # no Train click: edits are kept
    app.switch_page(DATA.path).run()
    app.session_state[state.DATA_TAB] = "Train / test split"
    app.run()
    assert not app.exception
    assert app.number_input(key="data.window").value == 60  # the split is shared
    assert app.selectbox(key="data.target").value == "High"
    app.switch_page(COMPARE.path).run()
    assert not app.exception
    assert app.number_input(key="compare.window").value == 60
    assert app.text_input(key="compare.units").value == "50"  # the network is the page's own
    app.switch_page(TRAIN.path).run()
    assert not app.exception
    assert app.text_input(key="train.units").value == "64"
    assert app.number_input(key="train.epochs").value == 3
    assert app.number_input(key="train.window").value == 60
    assert app.selectbox(key="train.cell").value == "GRU"
