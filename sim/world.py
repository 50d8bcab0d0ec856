"""The World: a scenario brought to life. `step(dt)` advances sim time and returns a Snapshot;
`apply(command)` changes it. Deterministic from the scenario's seed (or the one given).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import time

import numpy as np

from . import commands as cmd
from .clock import WARP_LIMIT, SimClock, clock_policy
from . import constellation as constellation_mod
from . import scenario as scenario_mod
from . import stations as stations_mod
from . import timeline as timeline_mod
from .errors import UserError, number_in as _number_in
from .geometry import Geometry, GeometryModel
from .observation_service import ObservationService
from .propagation import StaggeredPropagator
from .roundtrip import RoundTripService
from .ground import GroundSites
from .satellites import find_satellite
from .scenario import Scenario
from .snapshot import ROLE_TRAINING, Snapshot
from .timeline import Timeline
from .timespan import check_in_ephemeris
from .snapshot_build import build_snapshot
from .traffic import TrafficModel
from .deploy import DeployService
from .training import TrainingService, checked_setting
from .versions import VersionTracker


def scenario_model_dir(name: str, what: str = "") -> str | None:
    """The checkpoint folder of a model NAME (None: the shipped one); UserError that says
    `run.py model pull NAME` when it is not on this machine, starting with `what`."""
    from .onboard.hub import SHIPPED, resolve_model  # torch: only when a model is named

    return None if name == SHIPPED else str(resolve_model(name, what))


class World:
    """The simulated constellation. Not thread-safe: one owner calls step/apply."""

    def __init__(self, scenario: Scenario, seed: int | None = None, warp: float = 1.0,
                 model_dir: str | None = None, blocking_inference: bool = False):
        """`model_dir`: a Qwen3 checkpoint folder for the onboard model (default: the one
        shipped in assets/model). `blocking_inference`: round trips wait for the model inside
        `step` (command line and recording: deterministic); the live app leaves it off."""
        self.scenario = scenario
        if model_dir is None and scenario.model:
            where = f"{scenario.path or scenario.name}: scenario.model"
            model_dir = scenario_model_dir(scenario.model, where)
        self.constellation = constellation_mod.build(scenario)
        self.model = GeometryModel.of(self.constellation, scenario.links,
                                      scenario.min_elevation_deg, scenario.epoch)
        #: Cheap TEME states for small steps (staggered SGP4 samples, cubic interpolation)
        self.propagator = StaggeredPropagator(self.constellation, scenario.epoch)
        origins = scenario.traffic.origins
        city_points = stations_mod.cities() if "cities" in origins else ()
        self.n_stations = len(scenario.stations)
        #: Stations first (indices < n_stations), then traffic-generating cities.
        self.sites = GroundSites.of(scenario.stations + tuple(city_points))
        self.station_sites = GroundSites.of(scenario.stations)
        weights = np.array([p.weight for p in self.sites.points], float)
        if "stations" not in origins:
            weights[: self.n_stations] = 0.0
        self.seed = scenario.seed if seed is None else seed
        self.traffic = TrafficModel(scenario.traffic, self.constellation.roles,
                                    self.constellation.capacity_pflops, weights,
                                    np.random.default_rng(self.seed))
        start = scenario.start or scenario.epoch
        self.sim_time_s = (start - scenario.epoch).total_seconds()  # sim time counts from epoch
        #: real data-parallel training on a thread (TrainForReal), None until started
        self.real_training = None
        self._real_loss: tuple[float, ...] = ()  #: its loss curve as last copied
        #: a DeployCheckpoint(after_training=True) waiting for the real run to end (live)
        self._deploy_after: cmd.DeployCheckpoint | None = None
        #: the one clock: warp, pause, slow motion and fast-forward (sim/clock.py)
        self.clock = SimClock(warp)
        self.selected = -1
        self.step_index = 0
        self.round_trips = RoundTripService(
            self.model, self.station_sites, scenario.epoch,
            self.constellation.names, self.constellation.capacity_pflops, model_dir,
            blocking=blocking_inference, roles=self.constellation.roles,
            hardware=scenario.hardware)
        #: Earth-observation captures (sim/observation_service.py)
        self.observations = ObservationService(self)
        #: [[training]] jobs, advancing in sim time from the start (sim/training/)
        self.training = TrainingService(scenario.training, self.constellation, self.sim_time_s)
        #: checkpoints of the real run deployed to the inference satellites (sim/deploy.py)
        self.deploys = DeployService(self.constellation.roles, self.constellation.names)
        self.round_trips.checkpoint_for = self.deploys.checkpoint_for
        self._versions = VersionTracker()
        self._timeline: Timeline | None = None  #: the scenario file's, once read
        self._geometry = self.model.compute(self.now, self.sites,
                                            teme_source=self.propagator)
        self.training.step(self.sim_time_s, self._geometry, self.traffic, self.link_gbps)
        self._snapshot = self._make_snapshot()

    @classmethod
    def from_scenario(cls, name_or_path: str | Scenario | None = None,
                      at: dt.datetime | None = None, seed: int | None = None,
                      **options) -> "World":
        """Build from a built-in name, a scenario/TLE/OMM path or a Scenario; the sim starts
        at `at` (UTC; default the scenario's start or epoch); `options` go to the
        constructor."""
        scenario = name_or_path if isinstance(name_or_path, Scenario) else \
            scenario_mod.resolve(name_or_path)
        if at is not None:
            scenario = scenario.starting_at(at)
        return cls(scenario, seed=seed, **options)

    def load_model(self) -> None:
        """Load the onboard model now (it is loaded on the first Ask otherwise): a missing or
        broken model folder raises UserError here, before anything else has started. With
        imaging payloads, the vision model and the imagery too (sim/observation_service.py)."""
        self.round_trips.worker()
        if self.observations.imaging_shells:
            self.observations.prepare()

    @property
    def model_loaded(self) -> bool:
        return self.round_trips.model_loaded

    def close(self) -> None:
        """Stop the onboard model's worker thread and a real training run (if started)."""
        self.round_trips.close()
        if self.real_training is not None:  # it ends after its current step: wait for it,
            self.real_training.stop()       # so that torch is not cut off mid-step at exit
            self.real_training.join(timeout=30.0)

    def timeline(self) -> Timeline:
        """The [[timeline]] of the scenario's TOML file (empty for built-in scenarios without
        one and for element files), read once: the panel asks every frame."""
        if self._timeline is None:
            self._timeline = timeline_mod.of_scenario(self.scenario)
        return self._timeline

    def finish_round_trips(self) -> Snapshot:
        """Run every unfinished round trip's schedule to its end now (blocking on the model);
        sim time does not move, the Snapshot's `RoundTripView.plan` then holds every phase."""
        self.round_trips.finish_all()
        self._snapshot = self._make_snapshot()
        return self._snapshot

    def finish_real_training(self) -> Snapshot:
        """Wait for the real training run to finish its steps (see SimWorld)."""
        if self.real_training is not None:
            self.real_training.join()
            if self.real_training.error is not None:
                raise UserError(f"real training failed: {self.real_training.error}")
        self._snapshot = self._make_snapshot()
        return self._snapshot

    # --- time -----------------------------------------------------------------------------

    @property
    def now(self) -> dt.datetime:
        return self.scenario.epoch + dt.timedelta(seconds=self.sim_time_s)

    @property
    def title(self) -> str:
        """The scenario's title (its name when it has none)."""
        return self.scenario.title or self.scenario.name

    def advance(self, dt_wall_s: float) -> Snapshot:
        """Advance by `dt_wall_s` wall seconds as the clock decides (warp, slow motion around
        light-time legs, fast-forward through waits); nothing moves while paused. The window,
        the recorder and scripted playback all step through here."""
        if self.clock.paused:  # nothing moves; SetPaused already made this Snapshot ...
            if self._real_run_changed():  # ... but a real training run goes on in wall time
                self._snapshot = self._make_snapshot()
            return self._snapshot
        self._deploy_when_trained()
        plan = self.deploys.schedule(self.sim_time_s, self.round_trips.schedule(self.sim_time_s))
        return self.step(self.clock.decide(dt_wall_s, self.sim_time_s, plan).dt_sim_s)

    def _deploy_when_trained(self) -> None:
        """Start a deploy that waits for the real run once the run has ended (live Worlds)."""
        run, command = self.real_training, self._deploy_after
        if command is None or (run is not None and run.running):
            return
        self._deploy_after = None
        if run is not None and run.error is None:
            self._deploy(dataclasses.replace(command, after_training=False))

    def step(self, dt_sim_s: float, timings: dict[str, float] | None = None) -> Snapshot:
        """Advance sim time by exactly `dt_sim_s` seconds and return the new Snapshot.
        `timings`, if given, collects seconds per stage (for the benchmark)."""
        if dt_sim_s < 0:
            raise ValueError("sim time only moves forward; use SetTime to jump back")
        self.sim_time_s += dt_sim_s
        self.step_index += 1
        self._geometry = self.model.compute(self.now, self.sites, timings, self.propagator)
        started = time.perf_counter()
        self.traffic.step(self.sim_time_s, dt_sim_s, self._geometry.network)
        self.round_trips.step(self.sim_time_s)
        self.observations.step(self.sim_time_s)
        routed = time.perf_counter()
        self.training.step(self.sim_time_s, self._geometry, self.traffic, self.link_gbps)
        trained = time.perf_counter()
        self._snapshot = self._make_snapshot()
        self.observations.submit_pending()  # the tiles to cut: after the step's own work
        if timings is not None:
            timings["routing_traffic"] = timings.get("routing_traffic", 0.0) + routed - started
            timings["training"] = timings.get("training", 0.0) + trained - routed
            timings["snapshot"] = timings.get("snapshot", 0.0) + time.perf_counter() - trained
        return self._snapshot

    def snapshot(self) -> Snapshot:
        return self._snapshot

    @property
    def geometry(self) -> Geometry:
        return self._geometry

    # --- commands -------------------------------------------------------------------------

    def apply(self, command: cmd.Command) -> Snapshot:
        handler = self._handlers().get(type(command))
        if handler is None:
            raise UserError(f"unsupported command {command!r}")
        handler(self, command)
        if isinstance(command, cmd.SetTime):
            self._geometry = self.model.compute(self.now, self.sites,
                                                teme_source=self.propagator)
        self._snapshot = self._make_snapshot()
        return self._snapshot

    @staticmethod
    @functools.cache
    def _handlers():
        return {
            cmd.SetPaused: lambda w, c: setattr(w.clock, "paused", bool(c.paused)),
            cmd.SetWarp: World._set_warp,
            cmd.SetClock: World._set_clock,
            cmd.Advance: World._advance_by,
            cmd.SetTime: World._set_time,
            cmd.Select: World._select,
            cmd.SetTrafficRate: World._set_rate,
            cmd.SetModel: lambda w, c: w.round_trips.set_model(c.path or None),
            cmd.SetTraining: World._set_training,
            cmd.TrainForReal: World._train_for_real,
            cmd.DeployCheckpoint: World._deploy,
            cmd.Ask: lambda w, c: w.ask(c),
            cmd.Capture: World._capture,
        }

    def _set_warp(self, command: cmd.SetWarp) -> None:
        self.clock.warp = _number_in(command.warp, 0.0, WARP_LIMIT, "warp", "")

    def _set_clock(self, command: cmd.SetClock) -> None:
        self.clock.policy = clock_policy(self.clock.policy, command)

    def _set_training(self, command: cmd.SetTraining) -> None:
        """The panel's training controls (sim/commands.py SetTraining), checked first."""
        run = self.training.run_named(command.job)
        changes = {field: checked_setting(field, getattr(command, field))
                   for field in ("collective", "sync_every", "parameters")
                   if getattr(command, field) is not None}
        if command.link_gbps is not None:
            self._set_link_capacity(checked_setting("link_gbps", command.link_gbps))
        if changes:
            run.reconfigure(changes, self.sim_time_s)
        if command.paused is not None:
            self.training.pause(run, bool(command.paused), self.sim_time_s)

    def _train_for_real(self, command: cmd.TrainForReal) -> None:
        """Start (or restart) or stop the real data-parallel run on its low-priority thread."""
        if self.real_training is not None:
            self.real_training.stop()
        if not command.run:
            return
        steps = int(_number_in(command.steps, 1, cmd.MAX_REAL_STEPS, "real training steps", ""))
        replicas = int(_number_in(command.replicas, cmd.MIN_REPLICAS, cmd.MAX_REPLICAS,
                                  "replicas", ""))
        from .onboard.dataparallel import fresh_run  # torch: only when asked for

        self.real_training = fresh_run(steps, replicas)
        self._real_loss = ()
        self.real_training.start()

    def _deploy(self, command: cmd.DeployCheckpoint) -> None:
        """Send the real run's newest checkpoint to the inference satellites, from the job's
        members (every training satellite when the scenario has no job). `after_training`:
        once the real run has finished its steps (now when blocking, else on a later step)."""
        if self.training.runs:
            run = self.training.run_named(command.job)
        elif command.job:
            raise UserError(f"no training job '{command.job}': this scenario has none")
        if command.after_training and self.real_training is not None:
            if not self.round_trips.blocking and self.real_training.running:
                self._deploy_after = command
                return
            self.finish_real_training()
        if self.training.runs:
            sources, shared = run.all_members, [r.plan.link_pairs for r in self.training.runs
                                                if r.plan is not None]
        else:
            sources, shared = np.flatnonzero(self.constellation.roles == ROLE_TRAINING), []
        checkpoint = self.real_training.checkpoint(self.deploys.versions + 1) \
            if self.real_training is not None else None
        if checkpoint is None:
            raise UserError("deploy: no trained checkpoint yet; train for real first "
                            "(TrainForReal) and wait for its first step")
        geo = self._geometry
        load = self.traffic.link_load(geo.isl.pairs, self.constellation.size, self.sim_time_s)[0]
        self.deploys.start(checkpoint, self.sim_time_s, geo, self.n_stations, self.link_gbps,
                           load, sources, np.concatenate(shared) if shared else np.zeros((0, 2)))

    def _real_run_changed(self) -> bool:
        """The real run finished a step or stopped since the Snapshot was made."""
        run, snap = self.real_training, self._snapshot
        return run is not None and (run.steps_done != len(snap.real_training_loss)
                                    or run.running != snap.real_training_running)

    def real_training_loss(self) -> tuple[float, ...]:
        """The real run's loss curve, copied again only when a step has finished (each
        Snapshot reads it; the run may be thousands of steps long)."""
        run = self.real_training
        if run is None:
            return ()
        if run.steps_done != len(self._real_loss):
            self._real_loss = tuple(run.loss_curve())
        return self._real_loss

    def _set_link_capacity(self, gbps: float) -> None:
        """Every laser link's capacity from now on (inference traffic and training alike)."""
        links = dataclasses.replace(self.scenario.links, capacity_gbps=gbps)
        self.scenario = dataclasses.replace(self.scenario, links=links)
        self._versions.touch("links")  # the renderer re-reads capacities

    @property
    def link_gbps(self) -> float:
        """Every laser link's capacity now, Gbps (the scenario's; SetTraining may change it)."""
        return self.scenario.links.capacity_gbps

    def _advance_by(self, command: cmd.Advance) -> None:
        seconds = _number_in(command.seconds, 0.0, cmd.MAX_ADVANCE_S, "advance", " s")
        end = self.now + dt.timedelta(seconds=seconds)
        check_in_ephemeris(end, "advance")
        self.step(seconds)

    def _set_time(self, command: cmd.SetTime) -> None:
        when = scenario_mod.parse_utc(command.utc)
        self.sim_time_s = (when - self.scenario.epoch).total_seconds()
        self.training.restart(self.sim_time_s)
        self.observations.restart(self.sim_time_s)

    def _select(self, command: cmd.Select) -> None:
        if not -1 <= command.sat < self.constellation.size:
            raise UserError(f"no satellite with index {command.sat} "
                            f"(0..{self.constellation.size - 1})")
        self.selected = int(command.sat)

    def _set_rate(self, command: cmd.SetTrafficRate) -> None:
        self.traffic.rate_per_s = _number_in(command.requests_per_s, 0.0,
                                             scenario_mod.MAX_REQUESTS_PER_S,
                                             "traffic rate", " requests/s")

    def ask(self, command: cmd.Ask):
        """Start a round trip (see sim/roundtrip.py); returns it. Bad names raise UserError."""
        sat = self.find_satellite(command.sat)
        station = None
        if command.station:
            point = stations_mod.find_by_name(command.station, self.scenario.stations)
            station = self.scenario.stations.index(point)
        trip = self.round_trips.submit(sat, command.prompt, self.sim_time_s, station,
                                       command.max_tokens, command.seed, command.timing,
                                       command.tokens_per_s)
        self.round_trips.step(self.sim_time_s)
        return trip

    def _capture(self, command: cmd.Capture) -> None:
        """Image the ground below a satellite now (sim/observation_service.py)."""
        self.observations.capture(self.find_satellite(command.sat), self.sim_time_s)
        self.observations.step(self.sim_time_s)

    # --- lookups ----------------------------------------------------------------------------

    def find_satellite(self, query: str) -> int:
        """Satellite index from an index, an exact name or a unique name fragment."""
        return find_satellite(self.constellation.names, query)

    # --- snapshot -----------------------------------------------------------------------------

    def _make_snapshot(self) -> Snapshot:
        return build_snapshot(self)
