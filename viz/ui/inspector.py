"""Panel sections that read the Snapshot: the satellite inspector and the network totals.

Latitude, longitude and altitude are the sim's WGS-84 geodetic values of the selection
(`Snapshot.selected_geodetic`), the same as `run.py export` writes.
"""
from __future__ import annotations

import numpy as np
from imgui_bundle import imgui

from sim.snapshot import ROLE_NAMES
from viz.ui.history import PlotHistory

LINK_ROWS = 6  #: laser links listed per satellite (a +Grid satellite has at most 4)


def _row(label: str, value: str) -> None:
    imgui.table_next_row()
    imgui.table_next_column()
    imgui.text_disabled(label)
    imgui.table_next_column()
    imgui.text(value)


def draw_inspector(snap, follow_index: int, toggle_follow) -> None:
    """The selected satellite: role, shell, where it is, compute, links. `follow_index`:
    the satellite the camera follows (-1 none); `toggle_follow()` follows or stops."""
    i = int(snap.selected)
    if not 0 <= i < snap.n_sats:
        imgui.text_wrapped("Click a satellite in the scene to inspect it and send it a prompt.")
        return
    lat, lon, alt = (float(v) for v in snap.selected_geodetic)
    speed = float(np.linalg.norm(snap.sat_velocities(i)))  # one row, not all N moved on
    role = ROLE_NAMES[int(snap.roles[i])] if int(snap.roles[i]) < len(ROLE_NAMES) else "?"
    shell = snap.shell_names[int(snap.shell_index[i])] if len(snap.shell_names) else "-"
    imgui.text_colored((0.55, 0.9, 1.0, 1.0), snap.sat_names[i])
    following = follow_index == i
    imgui.same_line()
    if imgui.small_button("Stop following" if following else "Follow (F)"):
        toggle_follow()
    if imgui.begin_table("sat", 2, imgui.TableFlags_.sizing_fixed_fit):
        _row("Role", role)
        _row("Shell", shell)
        _row("Altitude", f"{alt:,.0f} km")
        _row("Lat, lon", f"{lat:+.2f}, {lon:+.2f} deg")
        _row("Speed", f"{speed:.2f} km/s")
        _row("Sunlit", "yes" if bool(snap.sunlit[i]) else "no (eclipse)")
        cap = float(snap.capacity_pflops[i])
        use = float(snap.utilisation[i])
        _row("Compute", f"{cap:,.1f} PFLOPS, {100 * use:.0f}% busy")
        served = snap.served_requests
        _row("Answered", f"{int(served[i]) if i < len(served) else 0}")
        imgui.end_table()
    pairs = np.asarray(snap.isl_pairs)
    mine = np.nonzero((pairs[:, 0] == i) | (pairs[:, 1] == i))[0] if len(pairs) else []
    imgui.text_disabled(f"Laser links: {len(mine)}")
    for k in list(mine)[:LINK_ROWS]:
        other = int(pairs[k, 1] if pairs[k, 0] == i else pairs[k, 0])
        load = float(snap.isl_load_gbps[k]) if len(snap.isl_load_gbps) else 0.0
        capacity = float(snap.isl_capacity_gbps[k]) if len(snap.isl_capacity_gbps) else 0.0
        imgui.bullet_text(f"{snap.sat_names[other]}  {float(snap.isl_length_km[k]):,.0f} km")
        if capacity:
            imgui.same_line()
            imgui.text_disabled(f"{100 * load / capacity:.0f}%")
    ground = np.asarray(snap.ground_pairs)
    seen = [int(s) for s, sat in ground if sat == i] if len(ground) else []
    if seen:
        names = ", ".join(snap.station_names[s].split("(")[0].split(",")[0].strip()
                          for s in seen[:3])
        imgui.text_disabled(f"In view of: {names}")


def draw_network(snap, history: PlotHistory) -> None:
    """The network's totals now and their live plots."""
    from viz.ui.panel import plot_series

    t = snap.totals

    def get(name: str) -> float:
        value = t.get(name, 0.0)
        return float(value) if value is not None and np.isfinite(value) else 0.0

    if imgui.begin_table("net", 2, imgui.TableFlags_.sizing_fixed_fit):
        _row("Satellites online", f"{get('sats_online'):,.0f} of {get('sats_total'):,.0f}")
        _row("Laser links up", f"{get('links_up'):,.0f} ({get('links_loaded'):,.0f} busy)")
        _row("Ground links up", f"{get('ground_links_up'):,.0f}")
        _row("PFLOPS available", f"{get('pflops_available'):,.1f}")
        _row("PFLOPS in use", f"{get('pflops_in_use'):,.2f}")
        _row("Requests/s", f"{get('requests_per_s'):,.2f}")
        _row("Latency mean", f"{get('latency_mean_ms'):,.1f} ms")
        _row("Latency p95", f"{get('latency_p95_ms'):,.1f} ms")
        imgui.end_table()
    plot_series("requests/s", history.series("rate"))
    plot_series("PFLOPS in use", history.series("pflops"))
    plot_series("p95 latency", history.series("p95"), unit="ms")
