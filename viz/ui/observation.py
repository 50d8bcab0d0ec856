"""Earth observation in the panel: the selected satellite's Capture button and latest capture
(its 64x64 tile as a thumbnail, what the model decided, raw against result bytes, where the
result is), and the network's totals "raw collected / downlinked / saved" with live plots.

Reads `Snapshot.observation` (sim.capture_view.ObservationView); captures go through
`Session.capture` (a cmd.Capture), so a refusal becomes a message like any other command's.
Bytes are decimal (kB, MB, GB), as the sim's figures; times UTC.
"""
from __future__ import annotations

from imgui_bundle import imgui

from sim.trip_text import format_bytes
from viz.layers.observation import OBSERVE
from viz.words import duration_words

THUMB_PX = 128  #: the thumbnail's side in window points (the tile is 64 px: shown at 2x)
STATE_TEXT = {"captured": "deciding on board", "stored": "stored on board",
              "downlinked": "on the ground", "failed": "failed"}


def latest_capture(observation, sat: int):
    """The newest CaptureView taken by satellite `sat`, or None."""
    for cap in reversed(observation.captures):
        if cap.sat == sat:
            return cap
    return None


def where_text(cap) -> str:
    """Where the capture's result is now, in words, e.g. 'on the ground at Kashi 03:52:10
    UTC, 28 ms after capture (over the lasers: XS-03 > XS-04 > Kashi)'."""
    if cap.state == "failed":
        return f"failed: {cap.error}" if cap.error else "failed"
    if cap.state == "captured":
        return "the model is deciding on board"
    route = " > ".join(h.split("(")[0].strip() for h in cap.hops)
    how = {"direct": "straight down", "lasers": "over the lasers",
           "stored": "stored, then down"}.get(cap.path, cap.path)
    if cap.state == "stored":
        if cap.on_ground_utc is None:
            return "stored on board: looking for a way down"
        return (f"stored on board until {cap.on_ground_utc:%H:%M:%S} UTC, then "
                f"{route}" if route else f"stored on board until {cap.on_ground_utc:%H:%M:%S}")
    station = cap.hops[-1].split("(")[0].strip() if cap.hops else "a station"
    after = (cap.on_ground_utc - cap.taken_utc).total_seconds() if cap.on_ground_utc else 0.0
    return (f"on the ground at {station} {cap.on_ground_utc:%H:%M:%S} UTC, "
            f"{duration_words(after)} after "
            f"capture ({how}: {route})")


class ObservationSection:
    """The panel's Earth-observation widgets. `session`: the Session (captures, history);
    `thumbnail`: a viz.ui.imgui_gl.ImageTexture, or None where no GL is at hand (then the
    thumbnail is left out)."""

    def __init__(self, session, plot_series, thumbnail=None, remember_item=None):
        self.session = session
        self.plot_series = plot_series
        self.thumbnail = thumbnail
        self._remember = remember_item or (lambda name: None)

    def draw_satellite(self, snap) -> None:
        """Below the inspector: the Capture button (only for a satellite with a payload) and
        the satellite's latest capture."""
        i = int(snap.selected)
        obs = snap.observation
        if not 0 <= i < snap.n_sats or not obs.can_image(int(snap.shell_index[i])):
            return
        imgui.separator()
        if imgui.button("Capture the ground below"):
            self.session.capture()
        self._remember("capture_button")
        cap = latest_capture(obs, i)
        if cap is None:
            imgui.same_line()
            imgui.text_disabled("no capture yet")
            return
        if self.thumbnail is not None:
            ref = self.thumbnail.show((cap.capture_id, cap.taken_utc), cap.tile)
            imgui.image(ref, (THUMB_PX, THUMB_PX))
            self._remember("capture_thumbnail")
            imgui.same_line()
        imgui.begin_group()
        if cap.label:
            imgui.text_colored((*OBSERVE, 1.0), f"{cap.label}  {100 * cap.confidence:.0f}%")
        else:
            imgui.text_colored((*OBSERVE, 1.0), STATE_TEXT.get(cap.state, cap.state))
        imgui.text_disabled(f"{cap.taken_utc:%H:%M:%S} UTC at")
        imgui.text_disabled(f"{cap.lat_deg:+.1f}, {cap.lon_deg:+.1f} deg")
        imgui.text(f"raw {format_bytes(cap.raw_bytes)}")
        imgui.text(f"result {format_bytes(cap.result_bytes)}" if cap.result_bytes else "result -")
        imgui.text_disabled(f"{cap.swath_km:,.0f} km swath")
        imgui.end_group()
        imgui.push_text_wrap_pos(0.0)
        imgui.text_disabled(where_text(cap))
        imgui.pop_text_wrap_pos()

    def draw_network(self, snap) -> None:
        """The network's totals and their live plots."""
        obs = snap.observation
        history = self.session.history
        if imgui.begin_table("obs", 2, imgui.TableFlags_.sizing_fixed_fit):
            rows = [("Captures", f"{len(obs.captures)} recent")]
            if obs.scheduled_satellites:  # a payload's schedule (every_min)
                rows += [("Scheduled", f"{obs.scheduled_taken:,} taken by "
                                       f"{obs.scheduled_satellites:,} satellites"),
                         ("Skipped", f"{obs.skipped_dark:,} dark, {obs.skipped_water:,} over "
                                     f"water, {obs.skipped_limit:,} over the limits")]
            rows += [("Raw collected", format_bytes(obs.raw_collected_bytes)),
                     ("Downlinked", format_bytes(obs.downlinked_bytes)),
                     ("Saved", format_bytes(obs.saved_bytes))]
            for label, value in rows:
                imgui.table_next_row()
                imgui.table_next_column()
                imgui.text_disabled(label)
                imgui.table_next_column()
                imgui.text(value)
            imgui.end_table()
        if obs.downlinked_bytes:
            imgui.text_disabled(f"{obs.saved_bytes / max(obs.downlinked_bytes, 1):,.0f} bytes "
                                f"stayed up for each byte sent down")
        self.plot_series("raw collected", history.series("obs_raw") / 1e9, unit="GB")
        self.plot_series("downlinked", history.series("obs_down"), unit="B")
        if not obs.imaging_shells:
            imgui.text_disabled("No satellite here carries an imaging payload.")
