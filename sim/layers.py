"""What the picture shows: the layer toggles, declared once for every surface that sets them.

The app's panel (Layers section), `run.py shot --layers` and a timeline's `layers` entries all
read and write one `LayerSettings`; the renderer (viz/) draws what it says. It lives in sim/
(plain dataclass, no imports beyond the standard library) so that `run.py info` checks a
timeline's layer names without loading any drawing code.

    settings = LayerSettings()
    settings = settings.with_toggles({"links": False})      # a new, frozen value
    LayerSettings.names()                                    # field names, in panel order
    LayerSettings.title("all_planes")                        # "All orbital planes"
"""
from __future__ import annotations

import dataclasses
import difflib

from .errors import UserError


def _toggle(default: bool, title: str, recording_only: bool = False):
    """A boolean field with its one-line title for the panel; `recording_only` toggles
    change what a recording draws over the frame (not the app's view) and the panel
    leaves them out."""
    return dataclasses.field(default=default, metadata={"title": title,
                                                         "recording_only": recording_only})


@dataclasses.dataclass(frozen=True)
class LayerSettings:
    """Every toggle of the picture (True = drawn). Frozen: change it with `with_toggles` or
    `dataclasses.replace`, so a frame drawn with one value never sees it change midway."""

    earth_lights: bool = _toggle(True, "Earth lights")  #: city lights on the night side
    atmosphere: bool = _toggle(True, "Atmosphere")
    stars: bool = _toggle(True, "Stars and Sun")
    orbits: bool = _toggle(True, "Orbit of the selection")
    all_planes: bool = _toggle(False, "All orbital planes")  #: a faint ring per plane
    links: bool = _toggle(True, "Laser links")  #: with their load and pulses
    flows: bool = _toggle(True, "Traffic flows")  #: routes, packets, inference glows
    training: bool = _toggle(True, "Training jobs")  #: members and the collective's ring
    observation: bool = _toggle(True, "Earth observation")  #: footprints, results going down
    stations: bool = _toggle(True, "Ground stations")  #: stations and their beams
    station_names: bool = _toggle(True, "Station names")  #: (with labels and stations on)
    labels: bool = _toggle(True, "Labels")  #: satellite names and round-trip phases
    borders: bool = _toggle(True, "Coastlines and borders")  #: 1:110m far, 1:50m near
    hud: bool = _toggle(True, "Caption (scenario and time)")  #: bottom left
    trip_card: bool = _toggle(True, "Round-trip card", recording_only=True)
    #: a card with a training job's last step (viz/training_card.py); a script shows it
    training_card: bool = _toggle(False, "Training card", recording_only=True)

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """Every toggle's name, in panel order."""
        return tuple(f.name for f in dataclasses.fields(cls))

    @classmethod
    def title(cls, name: str) -> str:
        return _field(name).metadata["title"]

    @classmethod
    def panel_names(cls) -> tuple[str, ...]:
        """The toggles the app's panel shows (those that change the app's view)."""
        return tuple(n for n in cls.names() if not _field(n).metadata["recording_only"])

    def with_toggles(self, toggles: dict) -> "LayerSettings":
        """A copy with `toggles` ({name: bool}) applied; UserError for an unknown name."""
        for name in toggles:
            check_name(name)
        return dataclasses.replace(self, **{k: bool(v) for k, v in toggles.items()})

    def parse(self, text: str, flag: str = "--layers") -> "LayerSettings":
        """'borders,-stars,+all_planes' (on, off with a leading '-') applied to a copy."""
        toggles = {}
        for item in filter(None, (t.strip() for t in text.split(","))):
            name, on = (item[1:], False) if item.startswith("-") else (item.lstrip("+"), True)
            try:
                check_name(name)
            except UserError as error:
                raise UserError(f"{flag}: {error}") from None
            toggles[name] = on
        return self.with_toggles(toggles)


def _field(name: str) -> dataclasses.Field:
    check_name(name)
    return LayerSettings.__dataclass_fields__[name]


def check_name(name: str) -> None:
    """UserError 'unknown layer 'x' (did you mean 'y'?); layers: ...' for a bad name."""
    names = LayerSettings.names()
    if name in names:
        return
    close = difflib.get_close_matches(name, names, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    raise UserError(f"unknown layer {name!r}{hint}; layers: {', '.join(names)}")
