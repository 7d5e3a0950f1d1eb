import pytest

from rnnstock.models import parameter_count
from rnnstock.presets import PRESETS, get_preset
from rnnstock.windows import make_windows


def test_every_tutorial_has_a_preset():
    assert {
        "datacamp-lstm",
        "datacamp-gru",
        "netflix-simplernn",
        "msft-simplernn",
        "msft-lstm",
        "google-lstm",
    } <= set(PRESETS)


@pytest.mark.parametrize("preset", PRESETS.values(), ids=list(PRESETS))
def test_published_parameter_counts_match_the_models(preset):
    assert preset.published["parameters"] == parameter_count(preset.spec.model)
    assert preset.published_note and preset.differences


def test_datacamp_presets_follow_the_tutorial(mastercard):
    for preset_id, rmse in (("datacamp-lstm", 6.70), ("datacamp-gru", 5.50)):
        preset = get_preset(preset_id)
        spec = preset.spec
        assert preset.published["RMSE"] == rmse
        assert (spec.split.target, spec.split.window) == ("High", 60)
        assert spec.model.units == (125,)
        assert (
            spec.train.optimizer,
            spec.train.epochs,
            spec.train.batch_size,
            spec.train.seed,
        ) == ("rmsprop", 50, 32, 455)
        windows = make_windows(mastercard, spec.split)
        assert (windows.n_train, len(windows.test_dates)) == (1199, 195)


def test_wrongly_computed_figures_are_flagged():
    for preset_id in ("msft-simplernn", "msft-lstm"):
        assert "wrong formula" in get_preset(preset_id).published_note
    assert "no meaning" in get_preset("netflix-simplernn").published_note


def test_an_unknown_preset_lists_the_known_ones():
    with pytest.raises(ValueError, match="datacamp-gru"):
        get_preset("datacamp")
