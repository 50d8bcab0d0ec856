"""The Renderer: composes the draw layers into one frame of a Snapshot.

    renderer = Renderer(ctx, (1280, 720))
    renderer.draw(snapshot, camera, target_framebuffer)

Order: sky (stars, Sun) -> Earth (opaque, writes depth) -> atmosphere -> coastlines and plane
rings -> orbit -> laser links -> traffic (beams, routes, packets, stations) -> round trips ->
satellites -> highlight rings -> labels.
Everything after the Earth is additive light and reads depth without writing it, so the Earth
hides what is behind it and overlapping lights add up.

The renderer owns no window and no context: the window (viz/app.py) or `viz.offscreen` makes
the context and passes it in. `renderer.layers` (a `LayerSettings`) switches parts of the
picture on and off; the app's panel toggles its fields.
"""
from __future__ import annotations

import dataclasses
import time

from viz.glutil import frame_uniforms
from viz.layers import depth_write
from viz.layers.earth import EarthLayer
from viz.layers.labels import Label, LabelLayer
from viz.layers.links import LinkLayer
from viz.layers.orbit import OrbitLayer
from viz.layers.overlay import OverlayLayer
from viz.layers.roundtrip import RoundTripLayer
from viz.layers.satellites import SatelliteLayer
from viz.layers.sky import SkyLayer
from viz.layers.traffic import TrafficLayer
from viz.picking import pick
from viz.satdata import SatelliteData
from viz.shaders import ShaderLibrary

SPACE = (0.0, 0.004, 0.014)  #: clear colour: near-black with a hint of blue
ROLE_LABEL_COLOURS = ((0.55, 0.9, 1.0, 1.0), (1.0, 0.78, 0.45, 1.0), (0.85, 0.88, 0.95, 1.0))


@dataclasses.dataclass
class LayerSettings:
    """What the Renderer draws; every field is read at each draw, so toggling is immediate."""

    earth_lights: bool = True   #: city lights on the night side
    atmosphere: bool = True
    stars: bool = True          #: stars and the Sun
    orbits: bool = True         #: the selected satellite's orbit
    all_planes: bool = False    #: a faint ring for every orbital plane
    links: bool = True          #: laser links with their load and pulses
    flows: bool = True          #: background traffic: routes, packets, inference glows
    stations: bool = True       #: ground stations and their beams
    labels: bool = True         #: names and round-trip phases (the caption stays)
    borders: bool = True        #: coastlines and country borders (1:110m far, 1:50m near)


class Renderer:
    """Draws Snapshots. `quality` "high" loads the 4096-px Earth texture, "fast" the 2048 one."""

    def __init__(self, ctx, size: tuple[int, int], quality: str = "high"):
        self.ctx = ctx
        self.size = (int(size[0]), int(size[1]))
        self.shaders = ShaderLibrary(ctx)
        self.satdata = SatelliteData(ctx)
        self.sky = SkyLayer(ctx, self.shaders)
        self.earth = EarthLayer(ctx, self.shaders, texture_width=4096 if quality == "high" else 2048)
        self.orbit = OrbitLayer(ctx, self.shaders)
        self.links = LinkLayer(ctx, self.shaders, self.satdata)
        self.overlay = OverlayLayer(ctx, self.shaders)
        self.traffic = TrafficLayer(ctx, self.shaders)
        self.trips = RoundTripLayer(ctx, self.shaders)
        self.satellites = SatelliteLayer(ctx, self.shaders, self.satdata)
        self.labels = LabelLayer(ctx, self.shaders)
        self._all = [self.sky, self.earth, self.overlay, self.orbit, self.links, self.traffic,
                     self.trips, self.satellites, self.labels]
        self.layers = LayerSettings()
        self.hovered = -1          #: satellite under the mouse (set by the app), -1 for none
        self.show_station_names = True
        self.caption: list[str] = []  #: lines drawn bottom-left (e.g. scenario and time)
        self.extra_labels: list[Label] = []
        self._t0 = time.perf_counter()

    def resize(self, size: tuple[int, int]) -> None:
        self.size = (int(size[0]), int(size[1]))

    def update(self, snapshot) -> None:
        """Upload what changed in `snapshot` (cheap when nothing did)."""
        self.overlay.show_borders = self.layers.borders
        self.overlay.show_planes = self.layers.all_planes
        self.satdata.update(snapshot)
        for layer in self._all:
            layer.update(snapshot)

    def draw(self, snapshot, camera, target, time_s: float | None = None,
             label_occluders=()) -> None:
        """Draw one frame of `snapshot` seen by `camera` into framebuffer `target`.

        time_s drives shader animation (pulses, packet trails); default: wall seconds since the
        renderer was made. Pass a fixed value for reproducible images. label_occluders:
        (x0, y0, x1, y1) framebuffer-pixel boxes (y down) that hide the scene's name labels,
        e.g. the app's panels drawn over this frame."""
        if time_s is None:
            time_s = time.perf_counter() - self._t0
        follow = camera.follow_index
        if 0 <= follow < snapshot.n_sats:
            camera.track(snapshot.positions_km[follow], snapshot.velocities_km_s[follow])
        camera.set_frame(snapshot.itrs_to_gcrs)
        # Background sprites follow the frame height (no floor: at 480x270 they must stay
        # small); the round trip keeps a floor so that it stays readable and the brightest.
        self.traffic.height_px = int(camera.size[1])
        self.update(snapshot)
        self.satellites.hovered = self.hovered
        self.labels.labels = self._labels(snapshot, camera)
        self.labels.occluders = list(label_occluders)
        frame = frame_uniforms(camera, time_s)
        for layer in self._all:
            layer.frame = frame
        on = self.layers
        scale = max(camera.size[1] / 1080.0, 0.6)
        self.trips.px_scale = scale
        self.earth.lights_gain = 2.8 if on.earth_lights else 0.0
        self.traffic.show_flows, self.traffic.show_stations = on.flows, on.stations
        # While a prompt is under way, the background links step back so its path stands out.
        self.links.dim = 0.65 if self.trips.active else 1.0
        target.use()
        ctx = self.ctx
        ctx.viewport = (0, 0, *camera.size)
        depth_write(ctx, True)   # clear() clears depth only where writes are on
        target.clear(*SPACE, 1.0, depth=1.0)
        if on.stars:
            self.sky.draw(camera)
        self.earth.draw(camera)
        if on.atmosphere:
            self.earth.draw_atmosphere(camera)
        self.overlay.draw(camera)
        if on.orbits:
            self.orbit.draw(camera)
        if on.links:
            self.links.draw(camera)
        self.traffic.draw(camera)
        self.trips.draw(camera)
        self.satellites.draw(camera)
        self.satellites.draw_rings(camera)
        self.labels.draw(camera)
        depth_write(ctx, True)

    def _labels(self, snap, camera) -> list[Label]:
        """Name labels for the selected and hovered satellites, the stations, the round trips'
        phases, the caption (the only one left when the labels layer is off)."""
        scale = max(camera.size[1] / 1080.0, 0.6)
        out = []
        n = snap.n_sats
        show = self.layers.labels
        for idx, big in ((int(snap.selected), True), (self.hovered, False)) if show else ():
            if 0 <= idx < n and not (not big and idx == snap.selected):
                role = int(snap.roles[idx])
                text = snap.sat_names[idx]
                if big:
                    text += f"  {100 * float(snap.utilisation[idx]):.0f}% busy"
                out.append(Label(text, tuple(snap.positions_km[idx]),
                                 (16 * scale, -30 * scale), (22 if big else 18) * scale,
                                 ROLE_LABEL_COLOURS[min(role, 2)]))
        if show:
            out += self.trips.labels(scale)
        if show and self.layers.stations and self.show_station_names \
                and len(snap.station_names) <= 16:
            for name, pos in zip(snap.station_names, snap.station_positions_km):
                out.append(Label(name, tuple(pos), (10 * scale, 2 * scale), 15 * scale,
                                 (0.7, 1.0, 0.75, 0.9)))
        line_h = 26 * scale
        y0 = camera.size[1] - 24 * scale - line_h * len(self.caption)
        for i, line in enumerate(self.caption):
            out.append(Label(line, None, (24 * scale, y0 + i * line_h), (22 if i == 0 else 17) * scale,
                             (1.0, 1.0, 1.0, 0.95 if i == 0 else 0.7)))
        return out + (list(self.extra_labels) if show else [])

    def pick(self, snapshot, camera, x: float, y: float, radius_px: float = 8.0) -> int | None:
        """Satellite index drawn at pixel (x, y) (origin top-left), front side only, or None."""
        return pick(camera, snapshot.positions_km, x, y, radius_px, online=snapshot.online)

    def release(self) -> None:
        for layer in self._all:
            layer.release()
        self.satdata.release()
        self.shaders.release()
