"""Commands: the only way the UI, the keyboard, scenario scripts and tests change the world.

Each command is a frozen dataclass that round-trips through JSON (`to_json` / `from_json`), so
a recording or a test can be written down as a list of commands and replayed exactly.
"""
from __future__ import annotations

import dataclasses
import json
import numbers
from typing import ClassVar

from .errors import UserError


@dataclasses.dataclass(frozen=True)
class Command:
    kind: ClassVar[str] = ""

    def to_json(self) -> str:
        return json.dumps({"command": self.kind, **dataclasses.asdict(self)})


@dataclasses.dataclass(frozen=True)
class SetPaused(Command):
    kind: ClassVar[str] = "set_paused"
    paused: bool


@dataclasses.dataclass(frozen=True)
class SetWarp(Command):
    """Sim seconds per wall second for the live loop (1 = real time)."""

    kind: ClassVar[str] = "set_warp"
    warp: float


@dataclasses.dataclass(frozen=True)
class SetClock(Command):
    """Change how the clock departs from the warp around round trips (sim/clock.py): a
    `preset` ("live": the app's automatic speeds; "scripted": only what a script sets),
    then any field given; None leaves a field as it is."""

    kind: ClassVar[str] = "set_clock"
    preset: str = ""
    slow_motion: str | None = None  #: "auto", "fixed" (at light_warp) or "off"
    light_warp: float | None = None  #: sim s per wall s during light-time legs ("fixed")
    fast_forward_waits: bool | None = None
    realtime_inference: bool | None = None


#: The longest single Advance, s (a year: `shot --advance`; the panel steps a minute).
MAX_ADVANCE_S = 366 * 86400.0


@dataclasses.dataclass(frozen=True)
class Advance(Command):
    """Step the sim forward by exactly `seconds` of sim time now (paused or not), 0 to
    MAX_ADVANCE_S; the instant reached must stay inside the ephemeris."""

    kind: ClassVar[str] = "advance"
    seconds: float


@dataclasses.dataclass(frozen=True)
class SetTime(Command):
    """Jump the sim clock to an ISO 8601 UTC instant."""

    kind: ClassVar[str] = "set_time"
    utc: str


@dataclasses.dataclass(frozen=True)
class Select(Command):
    """Select a satellite by index (-1 clears the selection)."""

    kind: ClassVar[str] = "select"
    sat: int


@dataclasses.dataclass(frozen=True)
class SetTrafficRate(Command):
    """New inference requests per second of sim time, whole network."""

    kind: ClassVar[str] = "set_traffic_rate"
    requests_per_s: float


@dataclasses.dataclass(frozen=True)
class SetModel(Command):
    """Put the onboard model of checkpoint folder `path` on every satellite ("" = the model
    shipped in assets/model). It loads on the next prompt (or ahead, by World.load_model);
    refused while a prompt is on board."""

    kind: ClassVar[str] = "set_model"
    path: str = ""


#: The gradient collectives a training job can use (sim/training/ implements them).
COLLECTIVES = ("ring", "grid", "hierarchical")
#: Largest model, tokens per step and local-step count a job may state (a scenario, a
#: command, a timeline entry or the command line): far above any real run.
MAX_PARAMETERS = 1e15
MAX_TOKENS_PER_STEP = 10**12
MAX_SYNC_EVERY = 1_000_000
#: Upper bound for per-satellite compute, link and job sizes (PFLOPS, Gbps) in a scenario or
#: a command: far above any plan, and low enough that sums over a million satellites stay
#: finite.
MAX_QUANTITY = 1e12
#: Laser link capacity a command may set, Gbps: from 1 Mbps up to MAX_QUANTITY.
MIN_LINK_GBPS = 1e-3


@dataclasses.dataclass(frozen=True)
class SetTraining(Command):
    """Change a training job live (the panel's controls): its collective ("ring", "grid",
    "hierarchical"), how often it synchronises (`sync_every` steps), its model size
    (`parameters`), whether it runs (`paused`), and the laser links' capacity (`link_gbps`,
    every link of the scenario). `job` "" means the first job; None leaves a field as it is.
    The running step starts again with the new settings (the job's log says so)."""

    kind: ClassVar[str] = "set_training"
    job: str = ""
    collective: str | None = None
    sync_every: int | None = None
    parameters: float | None = None
    link_gbps: float | None = None
    paused: bool | None = None


#: Real data-parallel training (sim/onboard/dataparallel.py): at most this many steps ...
MAX_REAL_STEPS = 10_000
#: ... and replicas (one per participating satellite of a small job).
MIN_REPLICAS, MAX_REPLICAS = 2, 16


@dataclasses.dataclass(frozen=True)
class TrainForReal(Command):
    """Start (`run` true) or stop real data-parallel training: `steps` PyTorch steps of a fresh
    model of the onboard architecture as `replicas` replicas on the shipped training text, on
    a low-priority thread; its loss curve is in the Snapshot. Starting again restarts it."""

    kind: ClassVar[str] = "train_for_real"
    run: bool = True
    steps: int = 300
    replicas: int = 4


#: What may drive a round trip's inference phase (Ask.timing): the model's time measured on
#: this machine, the roofline estimate on the satellite's hardware, or a fixed token rate.
TIMINGS = ("measured", "onboard", "fixed")
#: The longest reply an Ask may request, tokens: the one limit of Ask itself, a timeline's
#: `prompt` entries, `run.py ask --max-tokens` and the app (sim/roundtrip.py checks it).
MAX_TOKENS = 2048
#: The range of Ask.tokens_per_s, the rate of "fixed" timing, tokens/s (timeline and
#: `run.py ask --tokens-per-s` alike).
FIXED_TOKENS_PER_S = (0.1, 1e6)


def check_max_tokens(value: int, what: str = "max_tokens") -> int:
    """`value` if it is a reply length Ask accepts (1..MAX_TOKENS tokens); otherwise one
    UserError line naming `what` (a flag or field)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) \
            or not 1 <= value <= MAX_TOKENS:
        raise UserError(f"{what}: expected 1..{MAX_TOKENS} tokens, got {value!r}")
    return int(value)


def check_tokens_per_s(value: float, what: str = "tokens_per_s") -> float:
    """`value` if it is a fixed timing's rate Ask accepts (FIXED_TOKENS_PER_S, tokens/s; NaN
    and infinities refused); otherwise one UserError line naming `what`."""
    low, high = FIXED_TOKENS_PER_S
    if isinstance(value, bool) or not isinstance(value, numbers.Real) \
            or not low <= value <= high:  # NaN compares False: refused too
        raise UserError(f"{what}: expected {low:g}..{high:g} tokens/s, got {value!r}")
    return float(value)


@dataclasses.dataclass(frozen=True)
class DeployCheckpoint(Command):
    """Send the real run's newest checkpoint (TrainForReal) from the training satellites of
    `job` ("" = the first job; with no job, every training satellite) to every inference
    satellite over the laser and station links (sim/deploy.py); each answers Ask prompts with
    the newest checkpoint it holds once its copy has arrived."""

    kind: ClassVar[str] = "deploy_checkpoint"
    job: str = ""
    #: wait for the real run (TrainForReal) to finish its steps first, as a script's `deploy`
    #: entry does: a World with blocking inference (recording, command line) waits at once, so
    #: the deploy starts at this instant of sim time; a live World deploys when the run ends
    after_training: bool = False


@dataclasses.dataclass(frozen=True)
class Ask(Command):
    """Send a prompt to a satellite (name or index) from a station (name; "" = the nearest
    station with a path) and bring the answer back: a round trip (sim/roundtrip.py).
    `timing` (one of TIMINGS) "measured" uses the model's measured inference time, "onboard"
    the roofline estimate on the satellite's hardware profile (sim/onboard/roofline.py),
    "fixed" uses `tokens_per_s` (deterministic: recordings). `max_tokens`: 1..MAX_TOKENS;
    `tokens_per_s`: FIXED_TOKENS_PER_S."""

    kind: ClassVar[str] = "ask"
    sat: str
    prompt: str
    station: str = ""
    max_tokens: int = 48
    seed: int = 0
    timing: str = "measured"
    tokens_per_s: float = 40.0


@dataclasses.dataclass(frozen=True)
class Capture(Command):
    """A satellite (name or index) with an imaging payload images the ground below it now; the
    vision model decides on board and the result comes down (sim/observation_service.py)."""

    kind: ClassVar[str] = "capture"
    sat: str


COMMANDS: dict[str, type[Command]] = {
    cls.kind: cls for cls in (SetPaused, SetWarp, SetClock, Advance, SetTime, Select,
                               SetTrafficRate, SetModel, SetTraining, TrainForReal,
                               DeployCheckpoint, Ask, Capture)
}


def from_json(text: str) -> Command:
    """Parse one command; bad JSON, an unknown command or wrong fields raise UserError."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise UserError(f"command: invalid JSON: {error.msg}") from None
    if not isinstance(data, dict) or data.get("command") not in COMMANDS:
        raise UserError(f"command: expected one of {', '.join(COMMANDS)} in field 'command'")
    cls = COMMANDS[data.pop("command")]
    try:
        return cls(**data)
    except TypeError as error:
        raise UserError(f"command {cls.kind}: {error}") from None
