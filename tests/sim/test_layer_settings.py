"""sim.layers.LayerSettings: the one set of picture toggles the panel, `shot --layers` and
timelines share."""
import dataclasses

import pytest

from sim.errors import UserError
from sim.layers import LayerSettings


def test_every_toggle_has_a_title_and_a_default():
    for name in LayerSettings.names():
        assert LayerSettings.title(name).strip()
        assert isinstance(getattr(LayerSettings(), name), bool)
    assert {"links", "flows", "station_names", "hud", "trip_card"} <= set(LayerSettings.names())
    assert "trip_card" not in LayerSettings.panel_names()  # it changes recordings only
    assert set(LayerSettings.panel_names()) == set(LayerSettings.names()) - {"trip_card",
                                                                             "training_card"}
    assert not LayerSettings().training_card  # a script shows it when its story needs it


def test_settings_are_frozen_values():
    settings = LayerSettings()
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.links = False
    off = settings.with_toggles({"links": False})
    assert settings.links and not off.links and off == LayerSettings(links=False)


def test_parse_and_unknown_names():
    settings = LayerSettings().parse("borders, -stars,+all_planes,-hud")
    assert settings.borders and not settings.stars and settings.all_planes and not settings.hud
    with pytest.raises(UserError, match=r"--layers: unknown layer 'linkz' \(did you mean "
                                        r"'links'\?\); layers: earth_lights, "):
        LayerSettings().parse("linkz")
    with pytest.raises(UserError, match="unknown layer 'clouds'; layers: "):
        LayerSettings().with_toggles({"clouds": True})
