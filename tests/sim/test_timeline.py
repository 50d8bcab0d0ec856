"""Scenario timelines ([[timeline]]): parsing, camera carry-over, and errors that name the
entry, the field and the file line."""
import pytest

from sim import scenario as scenario_mod
from sim import timeline as tl
from sim.errors import UserError
from sim.script import prompt_command

HEAD = """
[scenario]
name = "mini"
epoch = "2026-01-15T00:00:00Z"

[[shells]]
altitude_km = 535
sun_synchronous = true
planes = 1
sats_per_plane = 12
"""

GOOD = """
[[timeline]]
at = 5
kind = "caption"
text = "Later, written first"

[[timeline]]
at = 0
kind = "title"
text = "Hello"
subtitle = "orbit"

[[timeline]]
at = 0
kind = "camera"
preset = "default"
distance_km = 30000

[[timeline]]
at = 4
kind = "camera"
follow = "XS-03"
frame = "chase"
distance_km = 1500

[[timeline]]
at = 6
kind = "camera"
distance_km = 900        # keeps following, in the chase frame

[[timeline]]
at = 8
kind = "camera"
place = "Beijing"
distance_km = 12000

[[timeline]]
at = 1
kind = "warp"
warp = 120
ramp_s = 2

[[timeline]]
at = 2
kind = "layers"
links = false
flows = true

[[timeline]]
at = 3
kind = "prompt"
sat = "XS-03"
prompt = "What is the capital of France?"
station = "Kashi"

[[timeline]]
at = 12
kind = "end"
"""


def test_parses_sorts_and_carries_camera_values():
    t = tl.loads(HEAD + GOOD, "good.toml")
    assert [e.at for e in t.entries] == sorted(e.at for e in t.entries)
    assert [e.kind for e in t.entries][:2] == ["title", "camera"]  # ties keep file order
    assert t.length_s == 12.0
    k0, k1, k2, k3 = t.camera
    assert k0.preset == "default" and k0.distance_km == 30000 and k0.frame == "inertial"
    assert (k1.follow, k1.frame, k1.distance_km, k1.preset) == ("XS-03", "chase", 1500, "default")
    assert (k2.follow, k2.frame, k2.distance_km) == ("XS-03", "chase", 900)
    assert k3.follow == "" and k3.frame == "earth" and k3.preset is None
    assert k3.place == pytest.approx((39.90, 116.41))
    (title,) = t.of_kind("title")
    assert title.values == {"text": "Hello", "subtitle": "orbit", "duration_s": 4.0,
                            "fade_s": 0.6}
    (layers,) = t.of_kind("layers")
    assert layers.values == {"links": False, "flows": True}
    (prompt,) = t.of_kind("prompt")
    assert prompt.values["max_tokens"] == 48 and prompt.values["timing"] == "fixed"


def test_length_without_end_is_the_last_entry_finishing():
    t = tl.loads(HEAD + '[[timeline]]\nat = 3\nkind = "caption"\ntext = "x"\nduration_s = 2.5\n')
    assert t.length_s == 5.5
    assert not tl.loads(HEAD) and tl.loads(HEAD).length_s == 0


def test_scenario_file_with_a_timeline_loads(write):
    path = write("s.toml", HEAD + GOOD)
    assert scenario_mod.load_toml(path).name == "mini"
    assert len(tl.load(path).entries) == 10


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize("body,needle,match", [
    ('at = 1\nkind = "zoom"\n', 'kind = "zoom"', r"timeline\[2\]\.kind: must be one of"),
    ('at = -1\nkind = "end"\n', "at = -1", r"timeline\[2\]\.at: must be 0"),
    ('at = "soon"\nkind = "end"\n', 'at = "soon"', r"timeline\[2\]\.at: expected a number"),
    ('kind = "end"\n', "[[timeline]]", r"timeline\[2\]: missing required key 'at'"),
    ('at = 1\nkind = "caption"\n', "[[timeline]]", r"missing required key 'text'"),
    ('at = 1\nkind = "caption"\ntext = "  "\n', 'text = "  "', r"timeline\[2\]\.text.*empty"),
    ('at = 1\nkind = "camera"\ndistanse_km = 5\n', "distanse_km",
     r"unknown key \(did you mean 'distance_km'\?\)"),
    ('at = 1\nkind = "camera"\nelevation_deg = 95\n', "elevation_deg", r"must be -89..89"),
    ('at = 1\nkind = "camera"\nframe = "chase"\n', 'frame = "chase"', r"needs a followed"),
    ('at = 1\nkind = "camera"\nplace = "Beijing"\nazimuth_deg = 3\n', "azimuth_deg",
     r"conflicts with 'place'"),
    ('at = 1\nkind = "camera"\nplace = "Atlantis"\n', 'place = "Atlantis"',
     r"unknown station or city 'Atlantis'"),
    ('at = 1\nkind = "camera"\nplace = [95, 0]\n', "place = [95, 0]", r"latitude -90..90"),
    ('at = 1\nkind = "camera"\n', "[[timeline]]", r"needs at least one of"),
    ('at = 1\nkind = "layers"\nlinks = "off"\n', 'links = "off"', r"expected true/false"),
    ('at = 1\nkind = "warp"\nwarp = -5\n', "warp = -5", r"timeline\[2\]\.warp: must be 0"),
    ('at = 1\nkind = "title"\ntext = "T"\nduration_s = 1\nfade_s = 0.8\n', "fade_s = 0.8",
     r"longer than duration_s"),
    ('at = 1\nkind = "prompt"\nsat = 3\n', "[[timeline]]", r"missing required key 'prompt'"),
    ('at = 1\nkind = "prompt"\nsat = 3\nprompt = "hi"\nmax_tokens = 0\n', "max_tokens",
     r"max_tokens: must be 1..2048 tokens"),
    ('at = 1\nkind = "prompt"\nsat = 3\nprompt = "hi"\ntokens_per_s = 0\n', "tokens_per_s",
     r"tokens_per_s: must be 0.1..1000000.0 tokens/s"),
    ('at = 1\nkind = "deploy"\nreal_steps = 0\n', "real_steps",
     r"timeline\[2\]\.real_steps: must be 1..100 steps, got 0"),
    ('at = 1\nkind = "deploy"\nreal_steps = 101\n', "real_steps", r"must be 1..100 steps"),
    ('at = 1\nkind = "deploy"\nreal_steps = 1.5\n', "real_steps",
     r"timeline\[2\]\.real_steps: expected an integer"),
    ('at = 1\nkind = "deploy"\nsteps = 2\n', "steps = 2",
     r"timeline\[2\]\.steps: unknown key \(did you mean 'real_steps'\?\)"),
    ('at = 1\nkind = "deploy"\njob = 3\n', "job = 3", r"timeline\[2\]\.job: expected"),
])
def test_errors_name_entry_field_and_line(body, needle, match):
    text = HEAD + '[[timeline]]\nat = 0\nkind = "title"\ntext = "first"\n\n[[timeline]]\n' + body
    with pytest.raises(UserError, match=match) as info:
        tl.loads(text, "bad.toml")
    line = line_of(text[text.index("kind = \"title\""):], needle) + \
        text[:text.index("kind = \"title\"")].count("\n")
    assert f"bad.toml:{line}:" in str(info.value)


def test_error_in_a_real_file_names_the_path(write):
    path = write("s.toml", HEAD + '\n[[timeline]]\nat = 1\nkind = "warp"\nwarp = "fast"\n')
    with pytest.raises(UserError, match=rf"{path}:\d+: timeline\[1\]\.warp: expected a number"):
        tl.load(path)


def test_not_an_array_of_tables():
    with pytest.raises(UserError, match="expected \\[\\[timeline\\]\\] entries"):
        tl.loads("timeline = 3\n" + HEAD)


def test_entry_where_names_the_line():
    t = tl.loads(HEAD + GOOD, "good.toml")
    (prompt,) = t.of_kind("prompt")
    text = HEAD + GOOD
    assert prompt.where("station") == \
        f"good.toml:{line_of(text, 'station = ')}: timeline[9].station (prompt)"


def test_prompt_command_is_ask():
    from sim import commands

    (prompt,) = tl.loads(HEAD + GOOD).of_kind("prompt")
    assert prompt_command(prompt) == commands.Ask(
        sat="XS-03", prompt="What is the capital of France?", station="Kashi", max_tokens=48,
        seed=0, timing="fixed", tokens_per_s=40.0)


@pytest.mark.parametrize("body,match", [
    ('kind = "layers"\nlinkz = false\n',
     r"timeline\[1\]\.linkz \(layers\): unknown layer 'linkz' \(did you mean 'links'\?\)"),
    ('kind = "camera"\npreset = "close"\n',
     r"timeline\[1\]\.preset: the view 'close' frames a selection .* use follow"),
    ('kind = "camera"\npreset = "polr"\n', r"must be one of default, asia, polar"),
])
def test_layer_and_preset_names_are_checked_when_read(body, match):
    with pytest.raises(UserError, match=match):
        tl.loads(HEAD + "[[timeline]]\nat = 1\n" + body, "bad.toml")


def test_every_layer_toggle_is_accepted():
    from sim.layers import LayerSettings

    body = "".join(f"{name} = false\n" for name in LayerSettings.names())
    (entry,) = tl.loads(HEAD + '[[timeline]]\nat = 1\nkind = "layers"\n' + body).entries
    assert LayerSettings().with_toggles(entry.values) == LayerSettings(
        **{name: False for name in LayerSettings.names()})


def test_check_names_resolves_satellites_and_stations():
    timeline = tl.loads(HEAD + GOOD, "good.toml")
    sats = tuple(f"XS-{i:02d}" for i in range(1, 13))
    names = tl.check_names(timeline, sats, ("Kashi (Kashgar) deep-space station", "Jiamusi"))
    assert names.follow == {"XS-03": 2}
    assert set(names.sats.values()) == {2}
    with pytest.raises(UserError, match=r"good.toml:\d+: timeline\[9\]\.station \(prompt\): "
                                        r"unknown station 'Kashi'"):
        tl.check_names(timeline, sats, ("Jiamusi",))
    # In timeline order: the prompt (at 3 s) names XS-03 before the camera follows it (4 s).
    with pytest.raises(UserError, match=r"timeline\[9\]\.sat \(prompt\): unknown "
                                        r"satellite 'XS-03'"):
        tl.check_names(timeline, sats[:2], ("Kashi",))


def test_a_prompt_may_take_the_onboard_timing_and_nothing_else():
    entry = '[[timeline]]\nat = 1\nkind = "prompt"\nsat = "XS-03"\nprompt = "hi"\ntiming = "{}"\n'
    (prompt,) = tl.loads(HEAD + entry.format("onboard")).of_kind("prompt")
    assert prompt_command(prompt).timing == "onboard"
    with pytest.raises(UserError, match=r"timing: must be one of measured, onboard, fixed"):
        tl.loads(HEAD + entry.format("roofline"))


def test_training_entries_become_set_training_commands():
    from sim import commands
    from sim.script import ScriptPlayer

    text = HEAD + ('[[timeline]]\nat = 1\nkind = "training"\nlink_gbps = 1600\n'
                   '[[timeline]]\nat = 2\nkind = "training"\njob = "pretrain"\nsync_every = 8\n'
                   'collective = "grid"\n')
    timeline = tl.loads(text, "t.toml")
    player = ScriptPlayer(timeline, ("A",), 1.0)
    assert commands.SetTraining(link_gbps=1600.0) in player.commands_due(1.0)
    assert commands.SetTraining(job="pretrain", sync_every=8, collective="grid") in \
        player.commands_due(2.0)
    tl.check_names(timeline, ("A",), (), job_names=("pretrain",))
    with pytest.raises(UserError, match=r"t.toml:\d+: timeline\[2\].job \(training\): no "
                                        r"training job 'pretrain'; jobs: other"):
        tl.check_names(timeline, ("A",), (), job_names=("other",))
    with pytest.raises(UserError, match="no \\[\\[training\\]\\] job"):
        tl.check_names(timeline, ("A",), (), job_names=())


@pytest.mark.parametrize("body, match", [
    ('job = "x"\n', "needs at least one of collective"),
    ('collective = "star"\n', "must be one of ring, grid, hierarchical"),
    ('sync_every = 0\n', "sync_every: must be"),
    ('link_gbps = -1\n', "link_gbps: must be"),
])
def test_bad_training_entries(body, match):
    with pytest.raises(UserError, match=match):
        tl.loads(HEAD + '[[timeline]]\nat = 1\nkind = "training"\n' + body, "bad.toml")


def test_deploy_entries_train_for_real_then_deploy():
    from sim import commands
    from sim.script import ScriptPlayer

    text = HEAD + ('[[timeline]]\nat = 1\nkind = "deploy"\n'
                   '[[timeline]]\nat = 2\nkind = "deploy"\njob = "pretrain"\nreal_steps = 3\n')
    timeline = tl.loads(text, "t.toml")
    first, second = timeline.of_kind("deploy")
    assert first.values == {"job": "", "real_steps": 1}
    player = ScriptPlayer(timeline, ("A",), 1.0)
    assert player.commands_due(1.0)[:2] == [
        commands.TrainForReal(steps=1, replicas=2),
        commands.DeployCheckpoint(job="", after_training=True)]
    assert player.commands_due(2.0)[:2] == [
        commands.TrainForReal(steps=3, replicas=2),
        commands.DeployCheckpoint(job="pretrain", after_training=True)]
    tl.check_names(timeline, ("A",), (), job_names=("pretrain",))
    with pytest.raises(UserError, match=r"t.toml:\d+: timeline\[2\].job \(deploy\): no "
                                        r"training job 'pretrain'; jobs: other"):
        tl.check_names(timeline, ("A",), (), job_names=("other",))
    # without any job, every training satellite sends: only a named job is refused
    tl.check_names(tl.loads(HEAD + '[[timeline]]\nat = 1\nkind = "deploy"\n'), ("A",), (),
                   job_names=())
    with pytest.raises(UserError, match=r"timeline\[2\].job \(deploy\): this scenario has no"):
        tl.check_names(timeline, ("A",), (), job_names=())
