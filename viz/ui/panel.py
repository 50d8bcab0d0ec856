"""The control panel (left), the status banner (top centre), messages and help.

Sections: Scenario, Time, Layers, Satellite, Network, Record & screenshot, Help. The Ask
window with the conversation log lives in viz/ui/ask.py (right side). Every change goes to
the Session as a Command. Widths follow the window so that at 1080p the globe keeps the
middle of the screen.
"""
from __future__ import annotations

import math
import time

import numpy as np
from imgui_bundle import imgui, implot

from viz.ui import clock as clock_mod
from viz.ui.ask import AskPanel
from viz.ui.inspector import draw_inspector, draw_network

HELP = (
    ("Left drag", "turn the view"), ("Wheel", "zoom"), ("Click a satellite", "select it"),
    ("Enter", "send the prompt to the selection"),
    ("Space", "pause / play"), ("+ / -", "warp faster / slower"), ("F", "follow the selection"),
    ("Esc", "deselect"), ("Tab", "hide / show the panels"), ("F11", "fullscreen"),
    ("F12", "screenshot (scene only, full resolution)"), ("R", "start / stop recording"),
    ("H", "this help"),
)
MODE_COLOURS = {"slow": (1.0, 0.84, 0.42, 1.0), "fast": (0.5, 0.85, 1.0, 1.0),
                "wait": (0.5, 0.85, 1.0, 1.0),
                "search": (0.5, 0.85, 1.0, 1.0), "realtime": (0.6, 1.0, 0.7, 1.0),
                "paused": (1.0, 0.6, 0.5, 1.0)}


class Panel:
    def __init__(self, app):
        self.app = app
        self.ask = AskPanel(app)
        self.show_help = False
        self.rects: dict[str, list[float]] = {}  #: window rectangles, framebuffer pixels
        #: last seen rectangles of some widgets, window points (where a test clicks)
        self.widgets: dict[str, list[float]] = {}
        self.scenario_path = ""
        self.time_text = ""
        self.time_dirty = False
        self.follow_offer: tuple[int, float] | None = None  #: (satellite, until monotonic)

    # --- helpers ----------------------------------------------------------------------------
    def _remember_rect(self, name: str) -> None:
        io = imgui.get_io()
        sx, sy = io.display_framebuffer_scale.x, io.display_framebuffer_scale.y
        p, s = imgui.get_window_pos(), imgui.get_window_size()
        self.rects[name] = [p.x * sx, p.y * sy, (p.x + s.x) * sx, (p.y + s.y) * sy]

    def _remember_item(self, name: str) -> None:
        lo, hi = imgui.get_item_rect_min(), imgui.get_item_rect_max()
        self.widgets[name] = [lo.x, lo.y, hi.x, hi.y]

    def offer_follow(self, index: int) -> None:
        self.follow_offer = (index, time.monotonic() + 6.0)

    def caption_lines(self, snap) -> list[str]:
        """Caption drawn by the renderer bottom-left: scenario and instant."""
        return [self.app.session.title, snap.time_utc.strftime("%Y-%m-%d %H:%M:%S UTC")]

    # --- frame ------------------------------------------------------------------------------
    def draw(self, snap) -> None:
        self.rects = {}
        io = imgui.get_io()
        w, h = io.display_size.x, io.display_size.y
        self._banner(snap, w)
        self._messages(w, h)
        if self.app.show_panel:
            self._controls(snap, w, h)
            self.ask.draw(snap, w, h)
        if self.show_help:
            self._help(w, h)

    def _controls(self, snap, w: float, h: float) -> None:
        width = float(np.clip(w * 0.2, 300, 400))
        imgui.set_next_window_pos((10, 10), imgui.Cond_.always)
        # Stop above the renderer's caption (scenario and time, bottom left).
        imgui.set_next_window_size_constraints((width, 80), (width, max(h - 110, 200)))
        flags = imgui.WindowFlags_.always_auto_resize | imgui.WindowFlags_.no_move
        imgui.begin("Control panel", None, flags)
        self._remember_rect("controls")
        if imgui.collapsing_header("Scenario", imgui.TreeNodeFlags_.default_open):
            self._scenario()
        if imgui.collapsing_header("Time", imgui.TreeNodeFlags_.default_open):
            self._time(snap)
        if imgui.collapsing_header("Layers"):
            self._layers()
        if imgui.collapsing_header("Satellite", imgui.TreeNodeFlags_.default_open):
            draw_inspector(self.app, snap)
        if imgui.collapsing_header("Network"):
            draw_network(self.app, snap)
        if imgui.collapsing_header("Record and screenshot"):
            self._record()
        if imgui.button("Help (H)"):
            self.show_help = not self.show_help
        imgui.end()

    # --- sections ---------------------------------------------------------------------------
    def _scenario(self) -> None:
        """The scenario list, a file to open and Reset. While a new scenario loads (on the
        Session's loader thread) these are disabled and a line says what is loading; the
        current scenario keeps running meanwhile."""
        from sim.scenario import builtin_names

        session = self.app.session
        loading = session.loading
        imgui.begin_disabled(loading)
        names = list(builtin_names())
        current = names.index(session.scenario_name) if session.scenario_name in names else -1
        imgui.set_next_item_width(-1)
        pick = current
        shown = names[current] if current >= 0 else session.scenario_name
        if imgui.begin_combo("##scenario", shown):
            for i, name in enumerate(names):
                if imgui.selectable(name, i == current)[0]:
                    pick = i
                self._remember_item(f"scenario:{name}")
            imgui.end_combo()
        self._remember_item("scenario_combo")
        if pick != current and not loading:
            session.switch_scenario(names[pick], on_loaded=self.app.camera.reset)
        imgui.end_disabled()
        imgui.set_next_item_width(-70)
        _, self.scenario_path = imgui.input_text_with_hint("##file", "scenario .toml / TLE file",
                                                           self.scenario_path)
        self._remember_item("scenario_file")
        imgui.same_line()
        imgui.begin_disabled(loading)
        if imgui.button("Open") and self.scenario_path.strip() and not loading:
            session.switch_scenario(self.scenario_path.strip(), on_loaded=self.app.camera.reset)
        self._remember_item("scenario_open")
        if imgui.button("Reset scenario") and not loading:
            session.reset()
        self._remember_item("scenario_reset")
        imgui.end_disabled()
        imgui.same_line()
        if imgui.button("Reset view"):
            self.app.camera.reset()
        if loading:  # below the controls, so that nothing above moves while it shows
            dots = "." * (1 + int(time.monotonic() * 3) % 3)
            imgui.text_colored(MODE_COLOURS["slow"], f"Loading {session.loading_name} {dots}")
            self._remember_item("scenario_loading")
        else:
            self.widgets.pop("scenario_loading", None)  # a test reads it as "still loading"

    def _time(self, snap) -> None:
        session = self.app.session
        if imgui.button("Play" if session.paused else "Pause", (70, 0)):
            session.set_paused(not session.paused)
        imgui.same_line()
        if imgui.button("Real time"):
            session.set_warp(1.0)
        imgui.same_line()
        if imgui.button("Step 1 min"):
            session.world.step(60.0)
            session.snapshot = session.world.snapshot()
        log_warp = math.log10(max(session.warp, 1.0))
        imgui.set_next_item_width(-1)
        changed, log_warp = imgui.slider_float("##warp", log_warp, 0.0, 4.0,
                                               f"warp x{session.warp:,.0f}")
        if changed:
            session.set_warp(round(10 ** log_warp, 1 if log_warp < 1 else 0))
        _, session.auto_fast_forward = imgui.checkbox("Fast-forward waits for a path",
                                                      session.auto_fast_forward)
        if not self.time_dirty:  # show the clock until the presenter edits the field
            self.time_text = snap.time_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
        imgui.set_next_item_width(-110)
        changed, self.time_text = imgui.input_text("##utc", self.time_text)
        self.time_dirty |= changed
        imgui.same_line()
        if imgui.button("Set") and session.set_time(self.time_text):
            session.message(f"Time set to {self.time_text}")
            self.time_dirty = False
        imgui.same_line()
        if imgui.button("Now"):
            self.time_dirty = False

    def _layers(self) -> None:
        """A checkbox per toggle of the app's LayerSettings (sim/layers.py names and titles
        them); a click replaces the app's settings with the changed copy."""
        settings = self.app.layers
        for name in settings.panel_names():
            changed, value = imgui.checkbox(settings.title(name), bool(getattr(settings, name)))
            if changed:
                settings = settings.with_toggles({name: value})
        self.app.layers = settings

    def _record(self) -> None:
        app = self.app
        if imgui.button("Stop recording (R)" if app.recorder else "Record video (R)"):
            app.toggle_record()
        imgui.same_line()
        if imgui.button("Screenshot (F12)"):
            app.screenshot()
        if app.recorder is not None:
            imgui.text_colored((1, 0.4, 0.4, 1), f"REC {app.recorder.frames} frames")
        imgui.text_disabled(f"Files go to {app.shots_dir}/")

    # --- overlays ---------------------------------------------------------------------------
    def _banner(self, snap, w: float) -> None:
        """Top centre: time, warp and what the clock is doing (slow motion is explained)."""
        session = self.app.session
        decision = session.decision
        imgui.set_next_window_pos((w / 2, 10), imgui.Cond_.always, (0.5, 0.0))
        # Keep the banner between the two panels (wrapping its notes), never under them.
        side = 0.0
        if self.app.show_panel:
            side = max(float(np.clip(w * 0.2, 300, 400)), float(np.clip(w * 0.24, 340, 470)))
        wrap = max(w - 2 * (side + 30) - 24, 260.0)
        flags = (imgui.WindowFlags_.no_decoration | imgui.WindowFlags_.always_auto_resize
                 | imgui.WindowFlags_.no_inputs | imgui.WindowFlags_.no_focus_on_appearing
                 | imgui.WindowFlags_.no_nav)
        imgui.set_next_window_bg_alpha(0.55)
        imgui.begin("##banner", None, flags)
        self._remember_rect("banner")
        mode = "paused" if session.paused else decision.mode
        warp = clock_mod.format_warp(0.0 if session.paused else decision.warp)
        imgui.push_text_wrap_pos(wrap)
        imgui.text(f"{snap.time_utc:%Y-%m-%d %H:%M:%S} UTC   {warp}")
        if mode == "slow":
            imgui.text_colored(MODE_COLOURS["slow"], f"SLOW MOTION {warp}: light needs only "
                               f"milliseconds")
            imgui.text_colored(MODE_COLOURS["slow"], decision.note)
        elif mode in MODE_COLOURS and mode != "paused":
            label = {"fast": "FAST-FORWARD", "search": "SEARCHING", "realtime": "REAL TIME",
                     "wait": "WAITING"}[mode]
            imgui.text_colored(MODE_COLOURS[mode], f"{label} {warp}: {decision.note}")
        elif mode == "paused":
            imgui.text_colored(MODE_COLOURS["paused"], "PAUSED (Space plays)")
        if decision.mode and not session.paused and abs(session.warp - decision.warp) > 1e-9:
            imgui.text_disabled(f"back to x{session.warp:,.0f} after")
        recorder = self.app.recorder
        if recorder is not None and self.app.show_panel:
            imgui.text_colored((1.0, 0.4, 0.4, 1.0), f"REC {recorder.seconds:.1f} s (R stops)")
        offer = self.follow_offer
        if offer and time.monotonic() < offer[1] and self.app.camera.follow_index != offer[0] \
                and offer[0] < snap.n_sats:
            imgui.text_colored((0.7, 0.9, 1.0, 1.0),
                               f"Selected {snap.sat_names[offer[0]]}: press F to follow it")
        imgui.pop_text_wrap_pos()
        imgui.end()

    def _messages(self, w: float, h: float) -> None:
        now = time.monotonic()
        # With the panels hidden (Tab: a clean picture, a recording) only errors show.
        recent = [m for m in self.app.session.messages if now - m[0] < 8.0
                  and (self.app.show_panel or m[2] == "error")]
        if not recent:
            return
        imgui.set_next_window_pos((w / 2, h - 60), imgui.Cond_.always, (0.5, 1.0))
        flags = (imgui.WindowFlags_.no_decoration | imgui.WindowFlags_.always_auto_resize
                 | imgui.WindowFlags_.no_inputs | imgui.WindowFlags_.no_focus_on_appearing)
        imgui.begin("##messages", None, flags)
        self._remember_rect("messages")
        for _, text, level in recent[-3:]:
            colour = (1.0, 0.5, 0.45, 1.0) if level == "error" else (0.8, 0.95, 1.0, 1.0)
            imgui.text_colored(colour, text)
        imgui.end()

    def _help(self, w: float, h: float) -> None:
        imgui.set_next_window_pos((w / 2, h / 2), imgui.Cond_.appearing, (0.5, 0.5))
        opened = imgui.begin("Help: keys and mouse", True,
                             imgui.WindowFlags_.always_auto_resize)
        self.show_help = bool(opened[1]) if isinstance(opened, tuple) else self.show_help
        self._remember_rect("help")
        if imgui.begin_table("keys", 2):
            for key, what in HELP:
                imgui.table_next_row()
                imgui.table_next_column()
                imgui.text_colored((1.0, 0.84, 0.42, 1.0), key)
                imgui.table_next_column()
                imgui.text(what)
            imgui.end_table()
        imgui.text_wrapped("Send a prompt: click a satellite, type in the Ask box, press Enter. "
                           "The prompt climbs from a ground station (gold), hops along laser "
                           "links, the satellite's model answers, and the answer comes back "
                           "down (cyan). Light needs milliseconds, so the clock slows down "
                           "while it travels.")
        imgui.end()


def plot_series(title: str, ys: np.ndarray, height: float = 70.0, unit: str = "") -> None:
    """A small live line plot (implot), last value in the title."""
    last = f"{ys[-1]:,.1f} {unit}" if len(ys) else "-"
    if implot.begin_plot(f"{title}: {last}##{title}", (-1, height),
                         implot.Flags_.no_legend | implot.Flags_.no_mouse_text
                         | implot.Flags_.no_inputs | implot.Flags_.no_menus):
        implot.setup_axes("", "", implot.AxisFlags_.no_tick_labels,
                          implot.AxisFlags_.auto_fit)
        if len(ys):
            xs = np.arange(len(ys), dtype=np.float64)
            implot.setup_axis_limits(implot.ImAxis_.x1, 0, max(len(ys) - 1, 1),
                                     implot.Cond_.always)
            implot.plot_line(title, xs, np.ascontiguousarray(ys, np.float64))
        implot.end_plot()
