import pytest

from rnnstock.specs import DataSpec, ExperimentSpec, ModelSpec, SplitSpec, TrainSpec


def test_key_is_stable_and_changes_with_any_field():
    spec = ExperimentSpec()
    assert spec.key() == ExperimentSpec().key()
    assert len(spec.key()) == 16
    changed = spec.replace(model=spec.model.replace(units=(51,)))
    assert changed.key() != spec.key()


def test_round_trip_through_a_plain_dict():
    spec = ExperimentSpec(
        data=DataSpec("ticker", " aapl ", start="2019"),
        split=SplitSpec(target="High", window=30, train_end="2021", train_fraction=None),
        model=ModelSpec(cell="gru", units="32, 16", dense="8"),
        train=TrainSpec(optimizer="RMSprop", epochs=3, validation_fraction=0.1, patience=2),
    )
    again = ExperimentSpec.from_dict(spec.to_dict())
    assert again == spec
    assert hash(again) == hash(spec)
    # Values are normalised on the way in.
    assert spec.data.name == "AAPL"
    assert spec.data.start == "2019-01-01"
    assert spec.model.cell == "GRU" and spec.model.units == (32, 16) and spec.model.dense == (8,)
    assert spec.train.optimizer == "rmsprop"


def test_a_bare_year_means_the_whole_year():
    split = SplitSpec(train_start="2016", train_end="2020", train_fraction=None)
    assert (split.train_start, split.train_end) == ("2016-01-01", "2020-12-31")
    assert split.mode == "dates"
    assert SplitSpec(train_fraction=0.8).mode == "fraction"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: SplitSpec(window=1), "from 2 to 500, not 1"),
        (lambda: SplitSpec(window=2.5), "whole number"),
        (lambda: SplitSpec(target="Price"), "not one of: Open, High"),
        (lambda: SplitSpec(train_fraction=1.0), "from 0.5 to 0.95, not 1"),
        (lambda: SplitSpec(train_fraction=None), "Choose how to split"),
        (lambda: SplitSpec(train_end="2020", test_end="2019"), "no test days"),
        (lambda: SplitSpec(train_start="2021", train_end="2020"), "swap the two dates"),
        (lambda: SplitSpec(train_end="not a date"), "is not a date"),
        (lambda: ModelSpec(cell="Transformer"), "SimpleRNN, LSTM, GRU"),
        (lambda: ModelSpec(units=()), "give at least 1"),
        (lambda: ModelSpec(units="50, 0"), "from 1 to 512, not 0"),
        (lambda: ModelSpec(dropout=1.0), "from 0 to 0.8, not 1"),
        (lambda: TrainSpec(epochs=0), "from 1 to 1,000, not 0"),
        (lambda: TrainSpec(optimizer="lion"), "not one of: rmsprop, adam, sgd"),
        (lambda: TrainSpec(learning_rate=0), "from 1e-05 to 1, not 0"),
        (lambda: TrainSpec(patience=3), "set a validation fraction"),
        (lambda: DataSpec("ftp", "x"), "not one of: sample, csv, ticker"),
        (lambda: DataSpec("ticker", "  "), "Choose a ticker symbol"),
        (lambda: DataSpec("sample", "msft", start="2010", end="2009"), "after its end"),
        (lambda: ExperimentSpec.from_dict({"colour": "red"}), "Unknown ExperimentSpec"),
    ],
)
def test_bad_settings_explain_themselves(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_descriptions_read_like_the_tutorials():
    model = ModelSpec(cell="SimpleRNN", units=(50, 50), dense=(25,))
    assert model.describe() == "SimpleRNN(50) + SimpleRNN(50) + Dense(25) + Dense(1)"
    assert "window 60" in SplitSpec(window=60).describe()
