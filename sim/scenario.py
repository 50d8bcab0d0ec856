"""Scenarios: what a constellation is made of, read from TOML (built-ins live in
assets/scenarios/) or straight from a TLE / OMM file.

A scenario file has these tables (every key is checked; see assets/scenarios/*.toml):

    [scenario]  name, title, description, epoch (UTC: when Walker shells are laid out),
                start (UTC: when the sim starts; default epoch), seed, sources[], assumptions[],
                `base`: a scenario to start from (see `with_base`)
    [[shells]]  Walker shells: name, role, altitude_km, inclination_deg, planes, sats_per_plane,
                phasing, raan_deg, raan_spread_deg, sun_synchronous, dawn_dusk, ltan_hours
    [[elements]] real element sets: file (TLE / OMM JSON / OMM CSV), role, name
    [links]     terminals, max_range_km, grazing_altitude_km, capacity_gbps
    [ground]    min_elevation_deg, sets[], only[], and [[ground.stations]] name, lat_deg, lon_deg
    [compute]   inference_pflops, training_pflops, other_pflops (per satellite)
    [imaging.<name>] imaging payloads a shell may carry (`imaging = "<name>"` in [[shells]]):
                swath_km, gsd_m, bands, bits_per_sample, needs_daylight, every_min (see
                sim/payload.py)
    [hardware.<role>] the role's accelerator (one satellite): peak_tops, memory_bandwidth_gb_s,
                memory_gb, efficiency, weight_dtype, kv_dtype (see HardwareProfile); a role
                without one has no on-board time estimate
    [traffic]   requests_per_s, job_pflops, job_seconds, job_gbps, models, origins[]
    [[training]] data-parallel training jobs: name, shell | role, count, parameters,
                bytes_per_value, tokens_per_step, mfu, collective, sync_every (see
                sim/training/ TrainingJob)
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import pathlib

from . import stations as stations_mod
from .elements import ELEMENT_SUFFIXES
from .errors import UserError
from .payload import ImagingPayload, check_reference, read_payloads
from .snapshot import ROLE_NAMES
from .commands import COLLECTIVES, MAX_QUANTITY, MAX_TOKENS_PER_STEP
from .timespan import check_in_ephemeris
from .training import TrainingJob, setting_check
from .tomlcheck import (Field, TomlSource, at_least, between, list_of_strings, one_of,
                        read_table)

SCENARIO_DIR = stations_mod.ASSETS / "scenarios"
DEFAULT_SCENARIO = "network-2035"
#: Most satellites a scenario may hold, all shells and element files together (a filing for
#: a million computing satellites is the largest real plan; each costs ~1 kB of memory).
MAX_SATELLITES = 1_200_000
#: Most planes in a shell, satellites in a plane, and [[shells]] tables in a file.
MAX_PLANES = 10_000
MAX_SATS_PER_PLANE = 10_000
MAX_SHELLS = 1_000
DEFAULT_MIN_ELEVATION_DEG = 25.0
#: Highest traffic rate (whole network, per second of sim time): far above any real load,
#: and low enough that a step's Poisson draw stays exact.
MAX_REQUESTS_PER_S = 1e9


@dataclasses.dataclass(frozen=True)
class Shell:
    """A Walker shell of circular orbits (angles in degrees, altitude in km)."""

    name: str
    role: str
    altitude_km: float
    inclination_deg: float | None  # None: derived (sun-synchronous)
    planes: int
    sats_per_plane: int
    phasing: int = 0
    raan_deg: float = 0.0
    raan_spread_deg: float = 360.0
    sun_synchronous: bool = False
    #: local solar time of the ascending node at the middle of the plane spread; sets RAAN
    #: from the Sun's position at the epoch (6 = dawn-dusk)
    ltan_hours: float | None = None
    imaging: str = ""  #: the [imaging.<name>] payload every satellite of it carries ("": none)

    @property
    def size(self) -> int:
        return self.planes * self.sats_per_plane


@dataclasses.dataclass(frozen=True)
class ElementSource:
    """Real satellites from a TLE or OMM file."""

    path: pathlib.Path
    role: str = "other"
    name: str = ""


@dataclasses.dataclass(frozen=True)
class LinkPolicy:
    terminals: int = 4  #: laser terminals per satellite (+Grid uses 4)
    max_range_km: float = 5000.0
    grazing_altitude_km: float = 80.0  #: a link's line of sight must stay above this
    capacity_gbps: float = 100.0


@dataclasses.dataclass(frozen=True)
class Traffic:
    requests_per_s: float = 20.0  #: new inference jobs per second of sim time, whole network
    job_pflops: float = 0.05  #: compute a job reserves on its satellite, PFLOPS
    job_seconds: float = 20.0  #: how long a job holds it, s
    job_gbps: float = 0.05  #: bandwidth a job's session uses on each link of its route
    models: int = 1  #: distinct AI models; each inference satellite hosts one
    origins: tuple[str, ...] = ("stations", "cities")


#: dtypes a hardware profile may store weights and the KV cache in (bytes per number in
#: sim/onboard/roofline.py, which this list must match; kept here so a scenario loads without
#: torch).
DTYPES = ("fp32", "bf16", "fp16", "fp8", "int8", "int4")


@dataclasses.dataclass(frozen=True)
class HardwareProfile:
    """One satellite's inference or training accelerator, for the roofline estimate of time
    on board (sim/onboard/roofline.py). Peak and bandwidth are stated or derived per scenario
    (its sources/assumptions say which)."""

    peak_tops: float  #: peak operations per second at `weight_dtype`, 1e12/s (1 PFLOPS = 1,000)
    memory_bandwidth_gb_s: float  #: accelerator memory bandwidth, 1e9 B/s
    memory_gb: float  #: accelerator memory that holds the weights and the KV cache, 1e9 B
    #: share of peak and of bandwidth a real run reaches (an assumption unless measured)
    efficiency: float = 0.5
    weight_dtype: str = "bf16"  #: how the model's weights are stored on board
    kv_dtype: str = "bf16"  #: how the KV cache is stored


@dataclasses.dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    description: str
    epoch: dt.datetime
    seed: int
    sources: tuple[str, ...]
    assumptions: tuple[str, ...]
    shells: tuple[Shell, ...]
    element_sources: tuple[ElementSource, ...]
    links: LinkPolicy
    min_elevation_deg: float
    stations: tuple[stations_mod.GroundPoint, ...]
    compute_pflops: dict  #: role name -> PFLOPS per satellite
    traffic: Traffic
    path: pathlib.Path | None = None
    #: instant the sim starts at (default: the epoch). Satellites of Walker shells are laid
    #: out at `epoch` and propagated to `start`, so a later start sees the same constellation
    #: later, not a new one.
    start: dt.datetime | None = None
    #: role name -> its HardwareProfile; roles without one have no on-board estimate
    hardware: dict = dataclasses.field(default_factory=dict)
    #: the onboard model: "" (the shipped one), a repo id pulled with `run.py model pull`, or
    #: a checkpoint folder (relative to the scenario file); resolved when the World is built
    model: str = ""
    training: tuple[TrainingJob, ...] = ()  #: [[training]] jobs
    #: payload name -> its ImagingPayload ([imaging.<name>]); shells name theirs
    imaging: dict = dataclasses.field(default_factory=dict)

    def payload_of_shell(self, shell: "Shell | None") -> ImagingPayload | None:
        """The imaging payload a shell's satellites carry (None: none, or element sets)."""
        return self.imaging.get(shell.imaging) if shell is not None and shell.imaging else None

    def starting_at(self, start: dt.datetime) -> "Scenario":
        return dataclasses.replace(self, start=start)


# --- schema ---------------------------------------------------------------------------------
# Defaults live once, in the dataclasses above; the schema reads them from there.

def _default(cls, name: str):
    """The default of dataclass `cls`'s field `name` (a copy for mutable defaults)."""
    field = next(f for f in dataclasses.fields(cls) if f.name == name)
    if field.default is not dataclasses.MISSING:
        value = field.default
        return list(value) if isinstance(value, tuple) else value
    raise KeyError(f"{cls.__name__}.{name} has no default")


def _defaults_field(cls, name: str, types, check=None) -> Field:
    return Field(types, _default(cls, name), check=check)


_ROLE = Field(str, "inference", check=one_of(*ROLE_NAMES))
_SCHEMA_SCENARIO = {
    "base": Field(str, None),
    "name": Field(str, required=True), "title": Field(str, ""), "description": Field(str, ""),
    "epoch": Field((str, dt.datetime), required=True),
    "start": Field((str, dt.datetime), None),
    "seed": Field(int, 0, check=between(0, 2**64 - 1)),
    "sources": Field(list, [], check=list_of_strings),
    "assumptions": Field(list, [], check=list_of_strings),
    "model": Field(str, ""),
}
_SCHEMA_SHELL = {
    "name": Field(str, ""), "role": _ROLE,
    "altitude_km": Field(float, required=True, check=between(150, 50000, " km")),
    "inclination_deg": Field(float, None, check=between(0, 180, " deg")),
    "planes": Field(int, required=True, check=between(1, MAX_PLANES)),
    "sats_per_plane": Field(int, required=True, check=between(1, MAX_SATS_PER_PLANE)),
    "phasing": _defaults_field(Shell, "phasing", int, check=at_least(0)),
    "raan_deg": _defaults_field(Shell, "raan_deg", float, check=between(-360, 360, " deg")),
    # None: derived from the kind of shell (see _read_shell), not Shell's own default
    "raan_spread_deg": Field(float, None, check=between(0, 360, " deg")),
    "sun_synchronous": _defaults_field(Shell, "sun_synchronous", bool),
    "dawn_dusk": Field(bool, False),
    "ltan_hours": _defaults_field(Shell, "ltan_hours", float, check=between(0, 24, " h")),
    "imaging": _defaults_field(Shell, "imaging", str),
}
_SCHEMA_ELEMENTS = {"file": Field(str, required=True),
                    "role": _defaults_field(ElementSource, "role", str, check=one_of(*ROLE_NAMES)),
                    "name": _defaults_field(ElementSource, "name", str)}
_SCHEMA_LINKS = {
    "terminals": _defaults_field(LinkPolicy, "terminals", int, check=between(0, 8)),
    "max_range_km": _defaults_field(LinkPolicy, "max_range_km", float,
                                    check=between(1, 1e6, " km")),
    "grazing_altitude_km": _defaults_field(LinkPolicy, "grazing_altitude_km", float,
                                           check=between(0, 1000, " km")),
    "capacity_gbps": _defaults_field(LinkPolicy, "capacity_gbps", float,
                                     check=between(0.0, MAX_QUANTITY, " Gbps")),
}
_SCHEMA_GROUND = {
    "min_elevation_deg": Field(float, DEFAULT_MIN_ELEVATION_DEG, check=between(0, 89, " deg")),
    "sets": Field(list, ["china"], check=list_of_strings),
    "only": Field(list, [], check=list_of_strings), "stations": Field(list, []),
}
_SCHEMA_STATION = {"name": Field(str, required=True),
                   "lat_deg": Field(float, required=True, check=between(-90, 90, " deg")),
                   "lon_deg": Field(float, required=True, check=between(-180, 360, " deg")),
                   "alt_km": Field(float, 0.0, check=between(-1, 10, " km"))}
_SCHEMA_COMPUTE = {f"{role}_pflops": Field(float, 0.0, check=between(0.0, MAX_QUANTITY, " PFLOPS"))
                   for role in ROLE_NAMES}
_SCHEMA_HARDWARE = {
    "peak_tops": Field(float, required=True, check=between(1e-6, MAX_QUANTITY, " TOPS")),
    "memory_bandwidth_gb_s": Field(float, required=True,
                                   check=between(1e-6, MAX_QUANTITY, " GB/s")),
    "memory_gb": Field(float, required=True, check=between(1e-6, MAX_QUANTITY, " GB")),
    "efficiency": _defaults_field(HardwareProfile, "efficiency", float,
                                  check=between(0.001, 1.0)),
    "weight_dtype": _defaults_field(HardwareProfile, "weight_dtype", str, check=one_of(*DTYPES)),
    "kv_dtype": _defaults_field(HardwareProfile, "kv_dtype", str, check=one_of(*DTYPES)),
}
_SCHEMA_TRAFFIC = {
    "requests_per_s": _defaults_field(Traffic, "requests_per_s", float,
                                      check=between(0.0, MAX_REQUESTS_PER_S, " requests/s")),
    "job_pflops": _defaults_field(Traffic, "job_pflops", float,
                                  check=between(0.0, MAX_QUANTITY, " PFLOPS")),
    "job_seconds": _defaults_field(Traffic, "job_seconds", float,
                                   check=between(0.001, 86400 * 365, " s")),
    "job_gbps": _defaults_field(Traffic, "job_gbps", float,
                                check=between(0.0, MAX_QUANTITY, " Gbps")),
    "models": _defaults_field(Traffic, "models", int, check=between(1, 1000)),
    "origins": _defaults_field(Traffic, "origins", list, check=list_of_strings),
}
_SCHEMA_TRAINING = {
    "name": _defaults_field(TrainingJob, "name", str),
    "shell": _defaults_field(TrainingJob, "shell", str),
    "role": _defaults_field(TrainingJob, "role", str, check=one_of(*ROLE_NAMES)),
    "count": _defaults_field(TrainingJob, "count", int, check=between(0, MAX_SATELLITES)),
    "parameters": _defaults_field(TrainingJob, "parameters", float,
                                  check=setting_check("parameters")),
    "bytes_per_value": _defaults_field(TrainingJob, "bytes_per_value", float,
                                       check=between(0.01, 64, " bytes")),
    "tokens_per_step": _defaults_field(TrainingJob, "tokens_per_step", int,
                                       check=between(1, MAX_TOKENS_PER_STEP)),
    "mfu": _defaults_field(TrainingJob, "mfu", float, check=between(0.001, 1.0)),
    "collective": _defaults_field(TrainingJob, "collective", str, check=one_of(*COLLECTIVES)),
    "sync_every": _defaults_field(TrainingJob, "sync_every", int,
                                  check=setting_check("sync_every")),
    "paused": _defaults_field(TrainingJob, "paused", bool),
}
_TOP = {"scenario": _SCHEMA_SCENARIO, "shells": None, "elements": None, "links": _SCHEMA_LINKS,
        "ground": _SCHEMA_GROUND, "compute": _SCHEMA_COMPUTE, "traffic": _SCHEMA_TRAFFIC,
        "hardware": None,  # [hardware.<role>]: see _read_hardware
        "imaging": None,  # [imaging.<name>]: see sim/payload.py
        "timeline": None,  # [[timeline]]: read and checked by sim/timeline.py
        "training": None}  # [[training]]: see _read_training


# --- loading ---------------------------------------------------------------------------------

def builtin_names() -> list[str]:
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.toml"))


def resolve(name_or_path: str | None) -> Scenario:
    """A built-in scenario by name, a scenario TOML file, or a TLE/OMM file."""
    text = name_or_path or DEFAULT_SCENARIO
    path = pathlib.Path(text).expanduser()
    if path.is_file():
        if path.suffix.lower() in ELEMENT_SUFFIXES:
            return from_element_file(path)
        return load_toml(path)
    if text in builtin_names():
        return load_toml(SCENARIO_DIR / f"{text}.toml")
    if path.suffix or "/" in text:
        raise UserError(f"scenario file '{text}' does not exist")
    close = difflib.get_close_matches(text, builtin_names(), n=2)
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    raise UserError(f"unknown scenario '{text}'{hint} (built-ins: {', '.join(builtin_names())}; "
                    "or give a .toml, TLE or OMM file)")


def from_element_file(path: pathlib.Path) -> Scenario:
    """Every object of a TLE/OMM file as role 'other'; epoch = the newest element epoch."""
    from .elements import read_element_file

    records = read_element_file(path)
    epoch = max(r.epoch for r in records).replace(microsecond=0)
    return Scenario(
        name=path.stem, title=f"{len(records)} objects from {path.name}",
        description=f"Real element sets read from {path}.", epoch=epoch, seed=0,
        sources=(str(path),), assumptions=("Role 'other' for every object; no compute.",),
        shells=(), element_sources=(ElementSource(path, "other", path.stem),),
        links=LinkPolicy(), min_elevation_deg=DEFAULT_MIN_ELEVATION_DEG,
        stations=stations_mod.station_set("china"),
        compute_pflops={r: 0.0 for r in ROLE_NAMES}, traffic=Traffic(requests_per_s=0.0),
        path=path,
    )


def load_toml(path: pathlib.Path) -> Scenario:
    src = with_base(TomlSource.read(path), ())
    for key in src.data:
        if key not in _TOP:
            close = difflib.get_close_matches(key, list(_TOP), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise src.error((key,), None, f"unknown table{hint}; allowed: {', '.join(_TOP)}")
    head = read_table(src, ("scenario",), src.data.get("scenario"), _SCHEMA_SCENARIO)
    epoch = _parse_epoch(src, head["epoch"], "epoch")
    start = _parse_epoch(src, head["start"], "start") if head["start"] is not None else None
    shell_tables = _array(src, "shells")
    if len(shell_tables) > MAX_SHELLS:
        raise src.error(("shells",), None, f"{len(shell_tables)} [[shells]]: at most {MAX_SHELLS}")
    payloads = read_payloads(src)
    shells = tuple(_read_shell(src, i, raw, payloads) for i, raw in enumerate(shell_tables))
    _check_total(src, shells)
    elements = tuple(_read_elements(src, i, raw) for i, raw in enumerate(_array(src, "elements")))
    if not shells and not elements:
        raise src.error((), None, "no satellites: add at least one [[shells]] or [[elements]]")
    links = LinkPolicy(**read_table(src, ("links",), src.data.get("links"), _SCHEMA_LINKS))
    ground = read_table(src, ("ground",), src.data.get("ground"), _SCHEMA_GROUND)
    compute = read_table(src, ("compute",), src.data.get("compute"), _SCHEMA_COMPUTE)
    traffic = read_table(src, ("traffic",), src.data.get("traffic"), _SCHEMA_TRAFFIC)
    _check_origins(src, traffic["origins"])
    hardware = _read_hardware(src)
    training = _read_training(src, shells, elements)
    return Scenario(
        name=head["name"], title=head["title"], description=head["description"], epoch=epoch,
        seed=head["seed"], sources=_strings(src, "sources", head["sources"]),
        assumptions=_strings(src, "assumptions", head["assumptions"]), shells=shells,
        element_sources=elements, links=links, min_elevation_deg=ground["min_elevation_deg"],
        stations=_read_stations(src, ground),
        compute_pflops={role: compute[f"{role}_pflops"] for role in ROLE_NAMES},
        traffic=Traffic(**{**traffic, "origins": tuple(traffic["origins"])}), path=path,
        start=start, hardware=hardware, model=_model_name(path, head["model"].strip()),
        training=training, imaging=payloads,
    )


def _model_name(path: pathlib.Path, model: str) -> str:
    """A scenario's `model`: a folder relative to the file becomes absolute; a repo id or
    "shipped" stays as written (resolved against the Hugging Face cache at World build)."""
    folder = path.parent / model
    return str(folder.resolve()) if model and folder.is_dir() else model


def with_base(src: TomlSource, chain: tuple[pathlib.Path, ...] = ()) -> TomlSource:
    """A file whose [scenario] names a `base` (a built-in name or a .toml path relative to
    the file) starts from that scenario's tables: its own tables replace the base's table by
    table, and keys of its [scenario] replace the base's one by one. So a scripted story can
    reuse a constellation without repeating it. `chain`: the files that led here (resolved),
    to refuse a loop of bases."""
    chain = chain + (src.path.resolve(),)
    head = src.data.get("scenario")
    base = head.get("base") if isinstance(head, dict) else None
    if base is None:
        return src
    if not isinstance(base, str):
        raise src.error(("scenario",), "base", f"expected a string, got {base!r}")
    base_path = src.path.parent / base
    if not base_path.is_file():
        if base not in builtin_names():
            raise src.error(("scenario",), "base", f"no built-in scenario or file {base!r}")
        base_path = SCENARIO_DIR / f"{base}.toml"
    if base_path.resolve() == src.path.resolve():
        raise src.error(("scenario",), "base", "a scenario cannot be its own base")
    if base_path.resolve() in chain:
        loop = " -> ".join(p.name for p in chain + (base_path.resolve(),))
        raise src.error(("scenario",), "base", f"the bases loop: {loop}")
    if len(chain) > 16:
        raise src.error(("scenario",), "base", "more than 16 bases deep")
    parent = with_base(TomlSource.read(base_path), chain).data
    parent.pop("timeline", None)  # a script belongs to its own file
    merged = {**parent, **{k: v for k, v in src.data.items() if k != "scenario"}}
    merged["scenario"] = {**parent.get("scenario", {}), **head}
    merged["scenario"].pop("base")
    return dataclasses.replace(src, data=merged)


def _check_total(src: TomlSource, shells: tuple[Shell, ...]) -> None:
    total = 0
    for index, shell in enumerate(shells):
        total += shell.size
        if total > MAX_SATELLITES:
            raise src.error(("shells", index), None, f"{total:,} satellites in the shells so "
                            f"far: a scenario holds at most {MAX_SATELLITES:,}")


def check_satellite_total(total: int, what: str) -> None:
    """UserError when `total` satellites exceed MAX_SATELLITES (element files included)."""
    if total > MAX_SATELLITES:
        raise UserError(f"{what}: {total:,} satellites: a scenario holds at most "
                        f"{MAX_SATELLITES:,}")


def _array(src: TomlSource, key: str) -> list:
    value = src.data.get(key, [])
    if not isinstance(value, list):
        raise src.error((key,), None, f"expected [[{key}]] entries (an array of tables)")
    return value


def _strings(src: TomlSource, key: str, values: list) -> tuple[str, ...]:
    if not all(isinstance(v, str) for v in values):
        raise src.error(("scenario",), key, "expected a list of strings")
    return tuple(values)


def parse_utc(text: str) -> dt.datetime:
    """ISO 8601 UTC time ('2026-01-15T12:00:00Z', '2026-01-15 12:00', '2026-01-15')."""
    try:
        value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UserError(f"time '{text}': expected ISO 8601 UTC such as 2026-01-15T12:00:00Z") \
            from None
    return check_in_ephemeris(as_utc(value), f"time '{text}'")


def as_utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc)


def _parse_epoch(src: TomlSource, value, key: str) -> dt.datetime:
    try:
        if isinstance(value, dt.datetime):
            return check_in_ephemeris(as_utc(value), key)
        return parse_utc(value)
    except UserError as error:
        raise src.error(("scenario",), key, str(error)) from None


def _read_shell(src: TomlSource, index: int, raw, payloads: dict) -> Shell:
    table = ("shells", index)
    v = read_table(src, table, raw, _SCHEMA_SHELL)
    imaging = check_reference(src, table, v["imaging"], payloads)
    sso = v["sun_synchronous"] or v["dawn_dusk"]
    if sso and v["inclination_deg"] is not None:
        raise src.error(table, "inclination_deg", "remove it: a sun-synchronous shell derives "
                        "its inclination from its altitude")
    if not sso and v["inclination_deg"] is None:
        raise src.error(table, None, "missing required key 'inclination_deg' (or set "
                        "sun_synchronous = true)")
    if v["dawn_dusk"] and v["ltan_hours"] not in (None, 6.0, 18.0):
        raise src.error(table, "ltan_hours", "a dawn-dusk shell has its node at 6 or 18 h")
    spread = v["raan_spread_deg"]
    if spread is None:
        # Dawn-dusk planes must all hug the terminator to stay sunlit; other sun-synchronous
        # (polar) planes span 180 deg; inclined Walker shells a full circle.
        spread = 40.0 if v["dawn_dusk"] else 180.0 if sso else 360.0
    ltan = 6.0 if v["dawn_dusk"] and v["ltan_hours"] is None else v["ltan_hours"]
    return Shell(
        name=v["name"] or f"shell{index + 1}", role=v["role"], altitude_km=v["altitude_km"],
        inclination_deg=v["inclination_deg"], planes=v["planes"],
        sats_per_plane=v["sats_per_plane"], phasing=v["phasing"], raan_deg=v["raan_deg"],
        raan_spread_deg=spread, sun_synchronous=sso, ltan_hours=ltan, imaging=imaging,
    )


def _read_elements(src: TomlSource, index: int, raw) -> ElementSource:
    v = read_table(src, ("elements", index), raw, _SCHEMA_ELEMENTS)
    path = pathlib.Path(v["file"])
    if not path.is_absolute():
        path = src.path.parent / path
    if not path.is_file():
        raise src.error(("elements", index), "file", f"no such file: {path}")
    return ElementSource(path, v["role"], v["name"] or path.stem)


def _read_stations(src: TomlSource, ground: dict) -> tuple[stations_mod.GroundPoint, ...]:
    points: list[stations_mod.GroundPoint] = []
    for name in ground["sets"]:
        if name not in stations_mod.STATION_SETS:
            raise src.error(("ground",), "sets", f"unknown station set {name!r}; built-in sets: "
                            f"{', '.join(stations_mod.STATION_SETS)}")
        points.extend(stations_mod.station_set(name))
    if ground["only"]:
        try:
            points = [stations_mod.find_by_name(str(q), points) for q in ground["only"]]
        except UserError as error:
            raise src.error(("ground",), "only", str(error)) from None
    for index, raw in enumerate(ground["stations"]):
        v = read_table(src, ("ground", "stations", index), raw, _SCHEMA_STATION)
        points.append(stations_mod.GroundPoint(v["name"], v["lat_deg"], v["lon_deg"], v["alt_km"]))
    return tuple(points)


def _read_hardware(src: TomlSource) -> dict[str, HardwareProfile]:
    """[hardware.inference], [hardware.training], [hardware.other]: each a HardwareProfile."""
    tables = src.data.get("hardware", {})
    if not isinstance(tables, dict):
        raise src.error(("hardware",), None, "expected tables [hardware.<role>]")
    profiles = {}
    for role, raw in tables.items():
        if role not in ROLE_NAMES:
            raise src.error(("hardware", role), None, f"unknown role {role!r}; "
                            f"roles: {', '.join(ROLE_NAMES)}")
        profiles[role] = HardwareProfile(**read_table(src, ("hardware", role), raw,
                                                      _SCHEMA_HARDWARE))
    return profiles


def _check_origins(src: TomlSource, origins: list) -> None:
    for origin in origins:
        if origin not in ("stations", "cities"):
            raise src.error(("traffic",), "origins", f"unknown origin {origin!r}; expected "
                            "'stations' and/or 'cities'")


def _read_training(src: TomlSource, shells: tuple[Shell, ...],
                   elements: tuple[ElementSource, ...]) -> tuple[TrainingJob, ...]:
    """[[training]] jobs; a shell must be one of the file's shells (or element sets), names
    must differ."""
    shell_names = [s.name for s in shells] + [e.name for e in elements]
    jobs = []
    for index, raw in enumerate(_array(src, "training")):
        table = ("training", index)
        v = read_table(src, table, raw, _SCHEMA_TRAINING)
        v["name"] = v["name"].strip() or f"train{index + 1}"
        if v["shell"] and v["shell"] not in shell_names:
            close = difflib.get_close_matches(v["shell"], shell_names, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise src.error(table, "shell", f"unknown shell {v['shell']!r}{hint}; shells: "
                            f"{', '.join(shell_names)}")
        if any(job.name == v["name"] for job in jobs):
            raise src.error(table, "name", f"a training job named {v['name']!r} comes earlier")
        jobs.append(TrainingJob(**v))
    return tuple(jobs)
