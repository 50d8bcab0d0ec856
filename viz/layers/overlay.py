"""Overlays: coastlines and country borders on the Earth, and faint rings of every orbital plane.

Coastlines/borders are Earth-fixed (ITRS) segments uploaded once; the `lines` shader turns them
into the scene frame with `u_model = itrs_to_gcrs`, so nothing is uploaded as the Earth turns.
They sit a few km above the drawn sphere: the far-LOD globe is a 96-segment mesh whose facets
dip up to ~3.4 km inside the true sphere, and lines below it would flicker.

Plane rings (GCRS km, see `viz.geo.plane_rings`) are refitted when the satellites change or
when the sim clock moved more than `refit_s` (the planes precess by well under a degree a day,
so refitting every step would be wasted work at 100,000 satellites).
"""
from __future__ import annotations

import numpy as np

from sim.constants import EARTH_RADIUS_KM
from viz.geo import border_segments, coarse_coastline_segments, coastline_segments, plane_rings
from viz.glutil import DynamicMesh, Versions, set_uniforms
from viz.layers import Layer, additive, depth_write
from viz.layers.traffic import LINE

LIFT_KM = 4.0
FINE_BELOW_KM = 14000.0  #: camera distance from the Earth's centre below which 1:50m coasts show
COAST = (0.62, 0.78, 1.0, 0.30)
BORDER = (0.62, 0.78, 1.0, 0.16)
RING = {0: (0.30, 0.70, 1.0), 1: (1.0, 0.62, 0.22)}  #: by the plane's majority role


class OverlayLayer(Layer):
    def __init__(self, ctx, shaders):
        super().__init__(ctx, shaders)
        self.prog = shaders.program("lines")
        # Two levels of detail (line count is what costs on llvmpipe): 1:110m coasts and
        # borders from far away, 1:50m coasts and 1:110m borders up close.
        self.coast = DynamicMesh(ctx, self.prog, "3f 4f 1f", "in_pos", "in_colour", "in_t")
        self.coast_far = DynamicMesh(ctx, self.prog, "3f 4f 1f", "in_pos", "in_colour", "in_t")
        self.rings = DynamicMesh(ctx, self.prog, "3f 4f 1f", "in_pos", "in_colour", "in_t")
        self.refit_s = 300.0
        self.itrs_to_gcrs = np.eye(3)
        self._coast_built = False
        self._versions = Versions()
        self._fit_time = None

    def _build_coast(self) -> None:
        radius = EARTH_RADIUS_KM + LIFT_KM

        def lines(segs, colour):
            v = np.zeros(segs.shape[:2], LINE)
            v["pos"] = segs
            v["colour"] = colour
            return v.reshape(-1)

        borders = lines(border_segments(radius), BORDER)
        self.coast.write(np.concatenate([lines(coastline_segments(radius), COAST), borders]))
        self.coast_far.write(np.concatenate([lines(coarse_coastline_segments(radius), COAST),
                                             borders]))
        self._coast_built = True

    def update(self, snapshot, frame) -> None:
        """Build what the frame's layers (borders, all_planes) show; the rest waits."""
        self.itrs_to_gcrs = np.asarray(snapshot.itrs_to_gcrs, float)
        if frame.layers.borders and not self._coast_built:
            self._build_coast()
        if not frame.layers.all_planes:
            self._fit_time = None
            return
        sats = self._versions.changed(snapshot, "satellites", snapshot.n_sats)
        t = float(snapshot.sim_time_s)
        if sats or self._fit_time is None or abs(t - self._fit_time) > self.refit_s:
            self._fit_time = t
            self._build_rings(snapshot)

    def _build_rings(self, snap) -> None:
        rings, _, ring_shell = plane_rings(snap.positions_km, snap.velocities_km_s, snap.shell_index,
                                   snap.plane_index)
        g, k = rings.shape[:2]
        if not g:
            self.rings.write(np.zeros(0, LINE))
            return
        # Colour by the majority role of each ring's shell (shells are single-role in the
        # scenarios: inference or training).
        roles = np.asarray(snap.roles, int)
        shells = np.asarray(snap.shell_index, int)
        shell_role = {int(s): int(np.bincount(roles[shells == s]).argmax())
                      for s in np.unique(ring_shell)}
        role = np.array([shell_role.get(int(s), 0) for s in ring_shell])
        # Fewer planes: each ring may be stronger; hundreds must stay a faint texture.
        alpha = float(np.clip(0.9 / np.sqrt(g), 0.05, 0.22))
        segs = np.zeros((g, k - 1, 2), LINE)
        segs["pos"][:, :, 0] = rings[:, :-1]
        segs["pos"][:, :, 1] = rings[:, 1:]
        colour = np.array([RING.get(r, RING[0]) for r in role], np.float32)
        segs["colour"][..., :3] = colour[:, None, None, :]
        segs["colour"][..., 3] = alpha
        self.rings.write(segs.reshape(-1))

    def draw(self, camera, frame) -> None:
        ctx = self.ctx
        ctx.enable(ctx.BLEND | ctx.DEPTH_TEST)
        depth_write(ctx, False)
        additive(ctx)
        if frame.layers.borders:
            set_uniforms(self.prog, **frame.uniforms, u_model=self.itrs_to_gcrs, u_pulse_rate=0.0)
            near = float(np.linalg.norm(camera.eye())) < FINE_BELOW_KM
            (self.coast if near else self.coast_far).render(ctx.LINES)
        if frame.layers.all_planes:
            set_uniforms(self.prog, **frame.uniforms, u_model=np.eye(3), u_pulse_rate=0.0)
            self.rings.render(ctx.LINES)

    def release(self) -> None:
        for mesh in (self.coast, self.coast_far, self.rings):
            mesh.release()
        super().release()
