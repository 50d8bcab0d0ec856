"""The control panel (left), the status banner (top centre), messages and help.

Sections: Scenario, Time, Layers, Satellite (with its captures: viz/ui/observation.py),
Network, Observation, Training, Record & screenshot, Help. The Ask
window with the conversation log lives in viz/ui/ask.py (right side). Every change goes to
the Session as a Command. Widths follow the window so that at 1080p the globe keeps the
middle of the screen.
"""
from __future__ import annotations

import math
import time

import numpy as np
from imgui_bundle import imgui, implot

from sim import clock as clock_mod
from viz.ui.actions import AppActions
from viz.ui.ask import AskPanel, ask_width
from viz.ui.imgui_gl import ImageTexture
from viz.ui.inspector import draw_inspector, draw_network
from viz.ui.observation import ObservationSection
from viz.ui.session import Session
from viz.ui.training import TrainingSection

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
    """Every imgui window of the app. Handed the Session (state and commands), the camera
    (reset, follow), the renderer's layer settings and the app's few actions."""

    def __init__(self, session: Session, camera, layers, actions: AppActions, gui=None):
        """`gui`: the ImguiRenderer, for pictures in the panel (the capture thumbnail)."""
        self.session = session
        self.camera = camera
        self.layers = layers
        self.actions = actions
        self.ask = AskPanel(session, self._remember_rect, self._remember_item)
        self.training = TrainingSection(session, plot_series, self._remember_item)
        self.observation = ObservationSection(
            session, plot_series, ImageTexture(gui) if gui is not None else None,
            self._remember_item)
        self.visible = True  #: Tab hides the panels (a clean picture)
        from sim.scenario import builtin_names

        self.builtin_scenarios = list(builtin_names())  #: read once: the folder is the app's
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
        return [self.session.title, snap.time_utc.strftime("%Y-%m-%d %H:%M:%S UTC")]

    # --- frame ------------------------------------------------------------------------------
    def draw(self, snap) -> None:
        self.rects = {}
        io = imgui.get_io()
        w, h = io.display_size.x, io.display_size.y
        self._banner(snap, w)
        self._messages(w, h)
        if self.visible:
            self._controls(snap, w, h)
            self.ask.draw(snap, w, h)
        if self.show_help:
            self._help(w, h)

    def _controls(self, snap, w: float, h: float) -> None:
        width = controls_width(w)
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
            draw_inspector(snap, self.camera.follow_index, self.actions.toggle_follow)
            self.observation.draw_satellite(snap)
        if imgui.collapsing_header("Network"):
            draw_network(snap, self.session.history)
        if snap.observation.imaging_shells or snap.observation.captures:
            opened = imgui.collapsing_header("Observation")
            self._remember_item("observation_header")
            if opened:
                self.observation.draw_network(snap)
        if snap.training:
            opened = imgui.collapsing_header("Training")
            self._remember_item("training_header")
            if opened:
                self.training.draw(snap, self.session.history)
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
        session = self.session
        loading = session.loading
        imgui.begin_disabled(loading)
        names = self.builtin_scenarios
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
            session.switch_scenario(names[pick], on_loaded=self.camera.reset)
        imgui.end_disabled()
        imgui.set_next_item_width(-70)
        _, self.scenario_path = imgui.input_text_with_hint("##file", "scenario .toml / TLE file",
                                                           self.scenario_path)
        self._remember_item("scenario_file")
        imgui.same_line()
        imgui.begin_disabled(loading)
        if imgui.button("Open") and self.scenario_path.strip() and not loading:
            session.switch_scenario(self.scenario_path.strip(), on_loaded=self.camera.reset)
        self._remember_item("scenario_open")
        if imgui.button("Reset scenario") and not loading:
            session.reset()
        self._remember_item("scenario_reset")
        imgui.end_disabled()
        imgui.same_line()
        if imgui.button("Reset view"):
            self.camera.reset()
        if loading:  # below the controls, so that nothing above moves while it shows
            dots = "." * (1 + int(time.monotonic() * 3) % 3)
            imgui.text_colored(MODE_COLOURS["slow"], f"Loading {session.loading_name} {dots}")
            self._remember_item("scenario_loading")
        else:
            self.widgets.pop("scenario_loading", None)  # a test reads it as "still loading"

    def _time(self, snap) -> None:
        session = self.session
        clock = snap.clock
        if imgui.button("Play" if clock.paused else "Pause", (70, 0)):
            session.set_paused(not clock.paused)
        imgui.same_line()
        if imgui.button("Real time"):
            session.set_warp(1.0)
        imgui.same_line()
        if imgui.button("Step 1 min"):
            session.step_sim(60.0)
        log_warp = math.log10(max(clock.warp_set, 1.0))
        imgui.set_next_item_width(-1)
        changed, log_warp = imgui.slider_float("##warp", log_warp, 0.0, 4.0,
                                               f"warp x{clock.warp_set:,.0f}")
        if changed:
            session.set_warp(round(10 ** log_warp, 1 if log_warp < 1 else 0))
        changed, on = imgui.checkbox("Fast-forward waits for a path",
                                     session.fast_forward_waits)
        if changed:
            session.set_fast_forward(on)
        self._script()
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
        self._detail_notes()

    def _detail_notes(self) -> None:
        """What the scene thins (level of detail) and how the sim keeps up, when either
        applies: a presenter of a million satellites must see what is not drawn."""
        notes = self.actions.detail_notes()
        if notes:
            imgui.push_text_wrap_pos(0.0)
            for note in notes:
                imgui.text_disabled(note)
            imgui.pop_text_wrap_pos()

    def _script(self) -> None:
        """Play / stop the scenario file's script, when it has one."""
        session = self.session
        if session.script is not None:
            if imgui.button("Stop script"):
                session.stop_script()
            imgui.same_line()
            imgui.text_disabled(f"script {session.script.t:.0f} / "
                                f"{session.script.length_s:.0f} s")
        elif session.has_script and imgui.button("Play script"):
            session.play_script()

    def _layers(self) -> None:
        """A checkbox per toggle of the scene's LayerSettings (sim/layers.py names and titles
        them); a click replaces the settings with the changed copy."""
        settings = self.layers
        for name in settings.panel_names():
            changed, value = imgui.checkbox(settings.title(name), bool(getattr(settings, name)))
            if changed:
                settings = settings.with_toggles({name: value})
        self.layers = settings

    def _record(self) -> None:
        actions = self.actions
        recording = actions.recording()
        if imgui.button("Stop recording (R)" if recording else "Record video (R)"):
            actions.toggle_record()
        imgui.same_line()
        if imgui.button("Screenshot (F12)"):
            actions.screenshot()
        if recording is not None:
            imgui.text_colored((1, 0.4, 0.4, 1), f"REC {recording.frames} frames")
        imgui.text_disabled(f"Files go to {actions.shots_dir}/")

    # --- overlays ---------------------------------------------------------------------------
    def _banner(self, snap, w: float) -> None:
        """Top centre: time, warp and what the clock is doing (slow motion is explained)."""
        clock = snap.clock
        imgui.set_next_window_pos((w / 2, 10), imgui.Cond_.always, (0.5, 0.0))
        # Keep the banner between the two panels (wrapping its notes), never under them.
        side = 0.0
        if self.visible:
            side = max(controls_width(w), ask_width(w))
        wrap = max(w - 2 * (side + 30) - 24, 260.0)
        flags = (imgui.WindowFlags_.no_decoration | imgui.WindowFlags_.always_auto_resize
                 | imgui.WindowFlags_.no_inputs | imgui.WindowFlags_.no_focus_on_appearing
                 | imgui.WindowFlags_.no_nav)
        imgui.set_next_window_bg_alpha(0.55)
        imgui.begin("##banner", None, flags)
        self._remember_rect("banner")
        mode = clock.mode
        warp = clock_mod.format_warp(clock.warp)
        imgui.push_text_wrap_pos(wrap)
        imgui.text(f"{snap.time_utc:%Y-%m-%d %H:%M:%S} UTC   {warp}")
        if mode == "slow":
            imgui.text_colored(MODE_COLOURS["slow"], f"SLOW MOTION {warp}: light needs only "
                               f"milliseconds")
            imgui.text_colored(MODE_COLOURS["slow"], clock.note)
        elif mode in MODE_COLOURS and mode != "paused":
            label = {"fast": "FAST-FORWARD", "search": "SEARCHING", "realtime": "REAL TIME",
                     "wait": "WAITING"}[mode]
            imgui.text_colored(MODE_COLOURS[mode], f"{label} {warp}: {clock.note}")
        elif mode == "paused":
            imgui.text_colored(MODE_COLOURS["paused"], "PAUSED (Space plays)")
        if clock.mode and not clock.paused and abs(clock.warp_set - clock.warp) > 1e-9:
            imgui.text_disabled(f"back to x{clock.warp_set:,.0f} after")
        recording = self.actions.recording()
        if recording is not None and self.visible:
            imgui.text_colored((1.0, 0.4, 0.4, 1.0), f"REC {recording.seconds:.1f} s (R stops)")
        offer = self.follow_offer
        if offer and time.monotonic() < offer[1] and self.camera.follow_index != offer[0] \
                and offer[0] < snap.n_sats:
            imgui.text_colored((0.7, 0.9, 1.0, 1.0),
                               f"Selected {snap.sat_names[offer[0]]}: press F to follow it")
        imgui.pop_text_wrap_pos()
        imgui.end()

    def _messages(self, w: float, h: float) -> None:
        # With the panels hidden (Tab: a clean picture, a recording) only errors show.
        recent = self.session.messages.recent(8.0, errors_only=not self.visible)
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


def controls_width(window_w: float) -> float:
    """Width of the control panel (left), window points: a fifth of the window, 300..400."""
    return float(np.clip(window_w * 0.2, 300, 400))


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
