"""Recorded video: the sink verifies a video (ffmpeg's exit and a read-back) before it replaces
a file; `record` on a full disk, failing before the first frame or terminated mid-way keeps the
old file and leaves a playable NAME.partial.mp4 only when frames were made."""

import numpy as np
import pytest

import run
from tests.output_helpers import OLD, only
from sim.errors import UserError


# --- video -----------------------------------------------------------------------------------

@pytest.fixture
def fake_ffmpeg(tmp_path_factory, monkeypatch):
    """An ffmpeg that, when asked to encode, reads everything and then behaves as `mode` says:
    'fail' (exit 1, "No space left on device") or 'garbage' (exit 0, a file that is no video).
    Reading a file back (the verification) goes to the real ffmpeg."""
    import imageio_ffmpeg

    real = imageio_ffmpeg.get_ffmpeg_exe()

    def make(mode: str):
        script = tmp_path_factory.mktemp("bin") / "ffmpeg"
        script.write_text(f"""#!/bin/sh
case "$*" in *"-f null"*) exec "{real}" "$@";; esac
cat > /dev/null
for last; do :; done
if [ "{mode}" = fail ]; then
  echo "av_interleaved_write_frame(): No space left on device" >&2; exit 1
fi
printf 'not a video' > "$last"
exit 0
""")
        script.chmod(0o755)
        monkeypatch.setattr(imageio_ffmpeg, "get_ffmpeg_exe", lambda: str(script))
    return make


@pytest.mark.parametrize("mode,expected", [("fail", "No space left on device"),
                                           ("garbage", "does not play")])
def test_video_sink_never_replaces_a_file_with_a_broken_video(tmp_path, fake_ffmpeg, mode,
                                                              expected):
    from viz.record_sink import VideoSink

    fake_ffmpeg(mode)
    target = tmp_path / "demo.mp4"
    target.write_bytes(OLD)
    sink = VideoSink(target, (32, 16), 10)
    for _ in range(3):
        sink.send(np.zeros((16, 32, 3), np.uint8))
    with pytest.raises(UserError, match=expected):
        sink.close()
    assert target.read_bytes() == OLD and only(tmp_path) == ["demo.mp4"]


def test_video_sink_verifies_and_replaces_on_success(tmp_path):
    import imageio_ffmpeg

    from viz.record_sink import VideoSink

    target = tmp_path / "demo.mp4"
    target.write_bytes(OLD)
    sink = VideoSink(target, (32, 16), 10)
    for k in range(5):
        sink.send(np.full((16, 32, 3), 40 * k, np.uint8))
    assert sink.close() == target
    assert imageio_ffmpeg.count_frames_and_secs(str(target))[0] == 5
    assert only(tmp_path) == ["demo.mp4"]


SCENARIO = """[scenario]
name = "mini"
epoch = "2026-01-15T03:00:00Z"
[[shells]]
altitude_km = 535
sun_synchronous = true
planes = 1
sats_per_plane = 6
[ground]
only = ["Kashi"]
"""


def record_part(tmp_path, frames=8):
    from sim import timeline as tl
    from sim.world import World
    from viz import record

    path = tmp_path / "mini.toml"
    path.write_text(SCENARIO)
    return record.Part(World.from_scenario(str(path)), tl.load(path), "mini", frames=frames)


def test_record_on_a_full_disk_says_so_and_keeps_the_old_file(tmp_path, fake_ffmpeg):
    from viz import record

    fake_ffmpeg("fail")
    out = tmp_path / "video" / "demo.mp4"
    out.parent.mkdir()
    out.write_bytes(OLD)
    settings = record.Settings((32, 16), 10.0, out=out, samples=0, quality="fast")
    with pytest.raises(UserError, match="No space left on device") as raised:
        record.record([record_part(tmp_path)], settings)
    assert "wrote" not in str(raised.value)
    assert out.read_bytes() == OLD and only(out.parent) == ["demo.mp4"]


def test_record_failing_before_the_first_frame_removes_nothing(tmp_path, monkeypatch):
    from viz import record
    from viz.renderer import Renderer

    def broken_draw(*args, **kwargs):
        raise UserError("the renderer could not start")

    monkeypatch.setattr(Renderer, "draw", broken_draw)
    out = tmp_path / "video" / "demo.mp4"
    out.parent.mkdir()
    out.write_bytes(OLD)
    settings = record.Settings((32, 16), 10.0, out=out, samples=0, quality="fast")
    with pytest.raises(UserError, match="after 0 frames: nothing written; .* was not changed"):
        record.record([record_part(tmp_path)], settings)
    assert out.read_bytes() == OLD and only(out.parent) == ["demo.mp4"]


def test_record_terminated_keeps_a_playable_partial_beside_the_target(tmp_path):
    import imageio_ffmpeg

    from viz import record

    out = tmp_path / "video" / "demo.mp4"
    out.parent.mkdir()
    out.write_bytes(OLD)
    settings = record.Settings((32, 16), 10.0, out=out, samples=0, quality="fast")

    def stop(done):
        if done == 3:
            raise run.Terminated()

    with pytest.raises(run.Terminated) as raised:
        record.record([record_part(tmp_path)], settings, on_frame=stop)
    partial = out.parent / "demo.partial.mp4"
    assert "recording terminated after 3 of 8 frames" in str(raised.value)
    assert str(partial) in str(raised.value) and "was not changed" in str(raised.value)
    assert imageio_ffmpeg.count_frames_and_secs(str(partial))[0] == 3
    assert out.read_bytes() == OLD
    assert only(out.parent) == ["demo.mp4", "demo.partial.mp4"]
