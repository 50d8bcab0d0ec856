"""Earth observation from the panel: Session.capture (a cmd.Capture; refusals become one
message), the thumbnail texture (uploaded only for a new capture), the panel's texts."""
import argparse
import datetime as dt
import types

import numpy as np
import pytest

from sim.capture_view import CaptureView
from sim.cli import world_from_args
from viz.ui import observation as ui_obs
from viz.ui.session import Session

DAY = "2026-01-15T03:50:00Z"  #: XS-08 over Sumatra in daylight, the ring reaches Xi'an


def session_on(scenario: str = "cluster-2025", at: str | None = DAY) -> Session:
    return Session(argparse.Namespace(scenario=scenario, at=at, seed=None), world_from_args)


def test_capture_images_the_selected_satellite_and_says_so():
    session = session_on()
    try:
        sat = session.world.find_satellite("XS-08")
        session.select(sat)
        obs = session.snapshot.observation
        assert obs.can_image(int(session.snapshot.shell_index[sat]))
        assert session.capture()
        assert session.messages[-1].text == "XS-08 images the ground below it"
        cap = session.snapshot.observation.captures[-1]
        assert cap.satellite == "XS-08" and cap.tile.shape == (64, 64, 3)
        assert session.snapshot.observation.raw_collected_bytes == pytest.approx(cap.raw_bytes)
        assert ui_obs.latest_capture(session.snapshot.observation, sat) is cap
        assert ui_obs.latest_capture(session.snapshot.observation, sat + 1) is None
    finally:
        session.close()


def test_capture_refusals_become_one_message():
    session = session_on(at="2026-01-15T05:10:00Z")  # XS-03's ground is dark then
    try:
        assert not session.capture()
        assert session.messages[-1].text.startswith("Click a satellite first")
        session.select(session.world.find_satellite("XS-03"))
        assert not session.capture()
        text, level = session.messages[-1].text, session.messages[-1].level
        assert level == "error" and text.startswith("Not captured: ") and "dark" in text
        assert "\n" not in text and not session.snapshot.observation.captures
    finally:
        session.close()


def test_a_satellite_without_a_payload_is_refused_and_offered_no_button():
    session = session_on("starlink-shell1", at=None)
    try:
        assert session.snapshot.observation.imaging_shells == ()
        session.select(0)
        assert not session.capture()
        assert "no imaging payload" in session.messages[-1].text
    finally:
        session.close()


def test_thumbnail_uploads_only_for_a_new_capture(ctx):
    from viz.ui.imgui_gl import ImageTexture

    gui = types.SimpleNamespace(ctx=ctx, textures={})
    thumb = ImageTexture(gui)
    tile = np.zeros((64, 64, 3), np.uint8)
    tile[0, :, 0] = 255  # the top row red
    first = thumb.show((1, "t0"), tile)
    for _ in range(5):  # every frame shows it: no upload
        assert thumb.show((1, "t0"), tile).get_tex_id() == first.get_tex_id()
    assert thumb.uploads == 1 and gui.textures[first.get_tex_id()] is thumb.texture
    pixels = np.frombuffer(thumb.texture.read(), np.uint8).reshape(64, 64, 3)
    assert pixels[0, 0, 0] == 255 and pixels[1, 0, 0] == 0  # row 0 written first (uv y=0)
    tile2 = np.full((64, 64, 3), 7, np.uint8)
    thumb.show((2, "t1"), tile2)
    assert thumb.uploads == 2
    assert np.frombuffer(thumb.texture.read(), np.uint8).max() == 7
    thumb.release()
    assert gui.textures == {}


def capture(**changes) -> CaptureView:
    t0 = dt.datetime(2026, 1, 15, 3, 50, tzinfo=dt.timezone.utc)
    fields = dict(capture_id=1, satellite="XS-08", sat=7, taken_utc=t0, lat_deg=-2.2,
                  lon_deg=102.2, heading_deg=-12.0, swath_km=290.0,
                  tile=np.zeros((64, 64, 3), np.uint8), state="downlinked", label="vegetation",
                  confidence=0.83, raw_bytes=5.05e9, result_bytes=169, path="lasers",
                  hops=("XS-08", "XS-09", "Xi'an Satellite Control Center (XSCC)"),
                  on_ground_utc=t0 + dt.timedelta(milliseconds=28.3))
    fields.update(changes)
    return CaptureView(**fields)


def test_where_the_result_is_in_words():
    assert ui_obs.where_text(capture()) == (
        "on the ground at Xi'an Satellite Control Center 03:50:00 UTC, 28.3 ms after capture "
        "(over the lasers: XS-08 > XS-09 > Xi'an Satellite Control Center)")
    later = capture(state="stored", path="stored",
                    on_ground_utc=dt.datetime(2026, 1, 15, 3, 57, 1, tzinfo=dt.timezone.utc))
    assert ui_obs.where_text(later).startswith("stored on board until 03:57:01 UTC, then XS-08")
    assert ui_obs.where_text(capture(state="stored", on_ground_utc=None, hops=())) == \
        "stored on board: looking for a way down"
    assert ui_obs.where_text(capture(state="captured", label="")) == \
        "the model is deciding on board"
    assert ui_obs.where_text(capture(state="failed", error="no station")) == "failed: no station"
