"""The Renderer: composes the draw layers into one frame of a Snapshot.

    renderer = Renderer(ctx, (1280, 720))
    camera.move_with(snapshot)                       # following, Earth-fixed frame
    renderer.draw(snapshot, camera, target_framebuffer, FrameContext(time_s=t, layers=...))

Order: sky (stars, Sun) -> Earth (opaque, writes depth) -> atmosphere -> coastlines and plane
rings -> orbit -> laser links -> traffic (beams, routes, packets, stations) -> training jobs
(members, the collective's ring) -> Earth observation (footprints, results going down) -> round
trips -> satellites -> highlight rings -> labels.
Everything after the Earth is additive light and reads depth without writing it, so the Earth
hides what is behind it and overlapping lights add up.

The renderer owns no window and no context: the window (viz/app.py) or `viz.offscreen` makes
the context and passes it in. It owns no per-frame choices either: what to show (a
`sim.layers.LayerSettings`), the hovered satellite, the caption and the animation clock come
with each frame in a `viz.frame.FrameContext`, and it never moves the camera.
"""
from __future__ import annotations

from viz.ahead import as_stepped, snapshot_at_frame
from viz.frame import FrameContext
from viz.layers import depth_write
from viz.layers.earth import EarthLayer
from viz.layers.labels import Label, LabelLayer
from viz.layers.links import LINK_BUDGET, LINK_BUDGET_OFFLINE, LinkLayer
from viz.layers.observation import ObservationLayer
from viz.layers.orbit import OrbitLayer
from viz.layers.overlay import OverlayLayer
from viz.layers.roundtrip import RoundTripLayer
from viz.layers.satellites import MARKER_BUDGET, MARKER_BUDGET_OFFLINE, SatelliteLayer
from viz.layers.sky import SkyLayer
from viz.layers.traffic import TrafficLayer
from viz.layers.training import TrainingLayer
from viz.picking import pick
from viz.satdata import SatelliteData
from viz.shaders import ShaderLibrary

SPACE = (0.0, 0.004, 0.014)  #: clear colour: near-black with a hint of blue
ROLE_LABEL_COLOURS = ((0.55, 0.9, 1.0, 1.0), (1.0, 0.78, 0.45, 1.0), (0.85, 0.88, 0.95, 1.0))
MAX_STATION_NAMES = 16  #: more stations than this: their names would cover the globe


class Renderer:
    """Draws Snapshots. `quality` "high" loads the 4096-px Earth texture, "fast" the 2048 one.
    `live`: the level of detail of an interactive window, which must keep its frame rate (at
    most MARKER_BUDGET markers and LINK_BUDGET links); else that of shots and recordings,
    which may take their time (the _OFFLINE budgets)."""

    def __init__(self, ctx, size: tuple[int, int], quality: str = "high", live: bool = False):
        self.ctx = ctx
        self.size = (int(size[0]), int(size[1]))
        self.shaders = ShaderLibrary(ctx)
        self.satdata = SatelliteData(ctx)
        self.sky = SkyLayer(ctx, self.shaders)
        self.earth = EarthLayer(ctx, self.shaders, texture_width=4096 if quality == "high" else 2048)
        self.orbit = OrbitLayer(ctx, self.shaders)
        self.links = LinkLayer(ctx, self.shaders, self.satdata,
                               budget=LINK_BUDGET if live else LINK_BUDGET_OFFLINE)
        self.overlay = OverlayLayer(ctx, self.shaders)
        self.traffic = TrafficLayer(ctx, self.shaders)
        self.trips = RoundTripLayer(ctx, self.shaders)
        self.training = TrainingLayer(ctx, self.shaders)
        self.observation = ObservationLayer(ctx, self.shaders)
        self.satellites = SatelliteLayer(
            ctx, self.shaders, self.satdata,
            budget=MARKER_BUDGET if live else MARKER_BUDGET_OFFLINE)
        self.labels = LabelLayer(ctx, self.shaders)
        self._at_frame = None  #: the Snapshot as the last update drew it (viz.ahead)
        self._all = [self.sky, self.earth, self.overlay, self.orbit, self.links, self.traffic,
                     self.training, self.observation, self.trips, self.satellites, self.labels]

    def resize(self, size: tuple[int, int]) -> None:
        self.size = (int(size[0]), int(size[1]))

    def update(self, snapshot, frame: FrameContext | None = None) -> None:
        """Upload what changed in `snapshot` (cheap when nothing did) for a frame like
        `frame` (default: default layers at this renderer's size)."""
        if frame is None:
            frame = FrameContext(size_px=self.size)
        # as stepped: the shaders move it on by frame.ahead_s
        self.satdata.update(as_stepped(snapshot))
        self._at_frame = at_frame = snapshot_at_frame(snapshot, frame.ahead_s)
        for layer in self._all:
            layer.update(at_frame, frame)

    def draw(self, snapshot, camera, target, frame: FrameContext | None = None) -> None:
        """Draw one frame of `snapshot` (a Snapshot, or the SnapshotAhead the caller made for
        this frame) seen by `camera` into framebuffer `target`, as `frame` says (animation
        time, layers, hover, caption, `ahead_s`; default: FrameContext()). The camera is only
        read: callers move it first (`camera.move_with(snapshot_at_frame(snapshot,
        frame.ahead_s))`)."""
        frame = (frame or FrameContext()).for_camera(camera)
        on = frame.layers
        self.update(snapshot, frame)
        target.use()
        ctx = self.ctx
        ctx.viewport = (0, 0, *camera.size)
        depth_write(ctx, True)   # clear() clears depth only where writes are on
        target.clear(*SPACE, 1.0, depth=1.0)
        if on.stars:
            self.sky.draw(camera, frame)
        self.earth.draw(camera, frame)
        if on.atmosphere:
            self.earth.draw_atmosphere(camera, frame)
        self.overlay.draw(camera, frame)
        if on.orbits:
            self.orbit.draw(camera, frame)
        if on.links:
            self.links.draw(camera, frame)
        self.traffic.draw(camera, frame)
        self.training.draw(camera, frame)
        self.observation.draw(camera, frame)
        self.trips.draw(camera, frame)
        self.satellites.draw(camera, frame)
        self.satellites.draw_rings(camera, frame)
        self.labels.draw(camera, frame, self._labels(self._at_frame, frame))
        depth_write(ctx, True)

    def _labels(self, snap, frame: FrameContext) -> list[Label]:
        """Name labels for the selected and hovered satellites, the stations, the round trips'
        phases, the caption (the only one left when the labels layer is off)."""
        on = frame.layers
        scale = frame.px_scale
        out = []
        if on.labels:
            out += self._satellite_labels(snap, frame.hovered, scale)
            out += self.trips.labels(scale)
            out += self.observation.labels(scale, frame.time_s)
        if on.labels and on.stations and on.station_names \
                and len(snap.station_names) <= MAX_STATION_NAMES:
            for name, pos in zip(snap.station_names, snap.station_positions_km):
                out.append(Label(name, tuple(pos), (10 * scale, 2 * scale), 15 * scale,
                                 (0.7, 1.0, 0.75, 0.9)))
        if on.hud:
            out += _caption_labels(frame.caption, frame.height_px, scale)
        return out + (list(frame.extra_labels) if on.labels else [])

    @staticmethod
    def _satellite_labels(snap, hovered: int, scale: float) -> list[Label]:
        """The selected satellite's name and load (big), the hovered one's name (smaller)."""
        out = []
        n = snap.n_sats
        for idx, big in ((int(snap.selected), True), (hovered, False)):
            if 0 <= idx < n and not (not big and idx == snap.selected):
                role = int(snap.roles[idx])
                text = snap.sat_names[idx]
                if big:
                    text += f"  {100 * float(snap.utilisation[idx]):.0f}% busy"
                out.append(Label(text, tuple(snap.sat_positions(idx)),
                                 (16 * scale, -30 * scale), (22 if big else 18) * scale,
                                 ROLE_LABEL_COLOURS[min(role, 2)]))
        return out

    def detail_notes(self) -> list[str]:
        """What the last frame thinned (level of detail), one line each, for the panel."""
        notes = []
        n, k = self.satdata.n, self.satellites.stride
        if k > 1:
            notes.append(f"Satellites: 1 in {k} drawn ({-(-n // k):,} of {n:,}); the selected "
                         f"and hovered always")
        links = self.links
        if links.shown < links.n_links:
            notes.append(f"Laser links: {links.shown:,} of {links.n_links:,} drawn ("
                         + ("a fixed sample of the loaded ones)" if links.loaded_thinned else
                            "every loaded one, a fixed sample of the idle)"))
        notes += [f"Training {name}: 1 in {k} ring edges and member glows drawn"
                  for name, k in self.training.thinned.items()]
        return notes

    def pick(self, snapshot, camera, x: float, y: float, radius_px: float = 8.0) -> int | None:
        """Satellite index drawn at pixel (x, y) (origin top-left), front side only, or None.
        `snapshot`: as drawn (a viz.ahead.SnapshotAhead when the frame was ahead of it)."""
        return pick(camera, snapshot.positions_km, x, y, radius_px, online=snapshot.online)

    def release(self) -> None:
        for layer in self._all:
            layer.release()
        self.satdata.release()
        self.shaders.release()


def _caption_labels(lines, height_px: int, scale: float) -> list[Label]:
    """The caption, bottom-left: the first line larger."""
    line_h = 26 * scale
    y0 = height_px - 24 * scale - line_h * len(lines)
    return [Label(line, None, (24 * scale, y0 + i * line_h), (22 if i == 0 else 17) * scale,
                  (1.0, 1.0, 1.0, 0.95 if i == 0 else 0.7)) for i, line in enumerate(lines)]
