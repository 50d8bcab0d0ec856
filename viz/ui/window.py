"""The desktop window: pyglet for the window and input, moderngl for the scene, Dear ImGui for
the panel. One loop: input -> fixed sim steps -> scene -> panel -> flip.

The frame never waits for the model: inference runs on the World's worker thread and
arrives through the sim's queue at the next step.
"""
from __future__ import annotations

import copy
import time

import numpy as np

from sim import clock as clock_mod
from viz.ahead import snapshot_at_frame
from viz.ui.actions import RecordingStatus
from viz.ui.imgui_gl import ImguiInput, ImguiRenderer
from viz.ui.probe import FrameStats, StateWriter

FONT = "assets/fonts/DejaVuSans.ttf"
CLICK_SLOP_PX = 4  #: a press and release closer than this is a click, not a drag


class AppWindow:
    def __init__(self, session, size=(1600, 900), fullscreen=False, quality="high",
                 vsync=True, state_path=None, shots_dir="screenshots"):
        import moderngl
        import pyglet
        from imgui_bundle import imgui, implot

        from sim.layers import LayerSettings
        from viz.camera import OrbitCamera
        from viz.frame import FrameContext
        from viz.renderer import Renderer
        from viz.ui.panel import Panel

        self.session = session
        self.pyglet = pyglet
        config = pyglet.gl.Config(major_version=3, minor_version=3, forward_compatible=True,
                                  double_buffer=True, depth_size=24, alpha_size=0)
        # The window needs no alpha channel: the scene and panel are opaque on screen.
        self.window = pyglet.window.Window(
            width=size[0], height=size[1], caption="Orbital AI computing", resizable=True,
            fullscreen=fullscreen, vsync=vsync, config=config)
        self.vsync = vsync
        self.ctx = moderngl.create_context(require=330)
        self.renderer = Renderer(self.ctx, self.fb_size(), quality=quality, live=True)
        layers = LayerSettings()  # what the scene shows: the panel's Layers section owns it
        # The first frame's uploads (coastlines ~0.2 s, the constellation) happen now, before
        # the loop, instead of as a stall in the first frames.
        self.renderer.update(session.snapshot, FrameContext(layers=layers,
                                                            size_px=self.fb_size()))
        self.camera = OrbitCamera(self.fb_size())
        self.imgui_ctx = imgui.create_context()
        implot.create_context()
        io = imgui.get_io()
        io.set_ini_filename("")  # nothing written next to the user's files
        self.ui_scale = max(float(getattr(self.window, "scale", 1.0) or 1.0), 1.0)
        io.fonts.add_font_from_file_ttf(FONT, 17.0 * self.ui_scale)
        self._style(imgui)
        self.gui = ImguiRenderer(self.ctx, self.renderer.shaders)
        self.input = ImguiInput(self.window)
        self.input.resize()
        self.shots_dir = shots_dir
        self.recorder = None
        self.panel = Panel(session, self.camera, layers, actions=self, gui=self.gui)
        self.stats = FrameStats()
        self.state = StateWriter(state_path) if state_path else None
        self.hovered = -1
        self.ahead_s = 0.0  #: sim seconds this frame is past the Snapshot (viz/ahead.py)
        self.drawn = session.snapshot  #: the Snapshot as this frame draws it
        self._mouse: tuple[float, float] | None = None  #: last mouse point, window points
        self._toggle_fullscreen = False
        self.anim_s = 0.0  #: the shader clock (pulses, packet trails): fixed steps while recording
        self._press = None  #: (x, y, captured by imgui) of the current left press
        self._last_frame = time.perf_counter()
        self._last_hover = 0.0
        self.window.push_handlers(self)  # our on_* methods; returning True stops pyglet's

    # --- setup ------------------------------------------------------------------------------
    @staticmethod
    def _style(imgui) -> None:
        imgui.style_colors_dark()
        style = imgui.get_style()
        style.window_rounding = 6.0
        style.frame_rounding = 4.0
        style.window_padding = (12, 10)
        style.item_spacing = (8, 6)
        bg = style.color_(imgui.Col_.window_bg)
        style.set_color_(imgui.Col_.window_bg, imgui.ImVec4(0.03, 0.05, 0.09, 0.82))
        del bg

    def fb_size(self) -> tuple[int, int]:
        w, h = self.window.get_framebuffer_size()
        return max(int(w), 1), max(int(h), 1)

    def to_pixels(self, x: float, y: float) -> tuple[float, float]:
        """pyglet window point (y up) -> framebuffer pixel (y down), what the camera uses."""
        w, h = self.window.get_size()
        fw, fh = self.fb_size()
        return x * fw / max(w, 1), (h - y) * fh / max(h, 1)

    # --- pyglet events ----------------------------------------------------------------------
    def on_resize(self, width, height):
        size = self.fb_size()
        if self.recorder is not None and tuple(size) != self.recorder.window_size:
            # A video cannot change size midway: finish the file rather than scale frames.
            self.stop_record("the window changed size")
        self.camera.resize(size)
        self.renderer.resize(size)
        self.input.resize()
        return True  # pyglet's default would set a legacy projection

    def on_close(self):
        self.window.has_exit = True
        return True

    def on_mouse_motion(self, x, y, dx, dy):
        self.input.mouse_move(x, y)
        self._mouse = (x, y)

    def on_mouse_press(self, x, y, button, modifiers):
        from imgui_bundle import imgui

        self.input.mouse_button(x, y, button, True)
        captured = imgui.get_io().want_capture_mouse
        if button == self.pyglet.window.mouse.LEFT:
            self._press = (x, y, captured)

    def on_mouse_release(self, x, y, button, modifiers):
        self.input.mouse_button(x, y, button, False)
        press, self._press = self._press, None
        if button != self.pyglet.window.mouse.LEFT or press is None or press[2]:
            return
        if abs(x - press[0]) <= CLICK_SLOP_PX and abs(y - press[1]) <= CLICK_SLOP_PX:
            self.click(*self.to_pixels(x, y))

    def on_mouse_drag(self, x, y, dx, dy, buttons, modifiers):
        self.input.mouse_move(x, y)
        if self._press is not None and not self._press[2]:
            fw = self.fb_size()[0] / max(self.window.get_size()[0], 1)
            self.camera.drag(dx * fw, -dy * fw)

    def on_mouse_scroll(self, x, y, scroll_x, scroll_y):
        from imgui_bundle import imgui

        self.input.scroll(scroll_x, scroll_y)
        if not imgui.get_io().want_capture_mouse:
            self.camera.zoom(0.88 ** scroll_y)

    def on_text(self, text):
        self.input.text(text)

    def on_key_release(self, symbol, modifiers):
        self.input.key(symbol, False)
        return True

    def on_key_press(self, symbol, modifiers):
        from imgui_bundle import imgui

        key = self.pyglet.window.key
        self.input.key(symbol, True)
        if symbol == key.F11:
            self._toggle_fullscreen = True  # after pyglet has finished with this key event
        elif symbol == key.F12:
            self.screenshot()
        elif not imgui.get_io().want_capture_keyboard:
            self.hotkey(symbol, key)
        return True  # never let pyglet's default close the window on Escape

    def hotkey(self, symbol, key) -> None:
        """Keys for the scene, only when no text field has the keyboard."""
        s = self.session
        if symbol == key.SPACE:
            s.set_paused(not s.paused)
        elif symbol in (key.PLUS, key.EQUAL, key.NUM_ADD):
            s.set_warp(clock_mod.warp_up(s.warp))
        elif symbol in (key.MINUS, key.NUM_SUBTRACT, key.UNDERSCORE):
            s.set_warp(clock_mod.warp_down(s.warp))
        elif symbol == key.F:
            self.toggle_follow()
        elif symbol == key.ESCAPE:
            s.select(-1)
            if self.camera.follow_index >= 0:
                self.camera.follow(-1)
        elif symbol == key.TAB:
            self.panel.visible = not self.panel.visible
        elif symbol == key.R:
            self.toggle_record()
        elif symbol == key.H:
            self.panel.show_help = not self.panel.show_help
        elif symbol in (key.RETURN, key.ENTER, key.NUM_ENTER):
            self.panel.ask.send_or_focus()

    # --- actions ----------------------------------------------------------------------------
    def click(self, px: float, py: float) -> None:
        """Select the satellite under the pixel (empty space keeps the selection)."""
        index = self.renderer.pick(self.drawn, self.camera, px, py, radius_px=10.0)
        if index is not None:
            self.session.select(index)
            self.session.prepare_model()
            self.panel.offer_follow(index)

    def detail_notes(self) -> list[str]:
        return self.renderer.detail_notes() + self.session.sim_notes(self.ahead_s)

    def toggle_fullscreen(self) -> None:
        self._toggle_fullscreen = False
        self.window.set_fullscreen(not self.window.fullscreen)
        # On X11 pyglet makes a new window and F11's release goes to the old one: pyglet then
        # took the next F11 press for an auto-repeat and dropped it (F11 had to be pressed
        # twice to leave fullscreen). Forget the press.
        key = self.pyglet.window.key.F11
        getattr(self.window, "pressed_keys", set()).discard(key)
        self.input.key(key, False)

    def toggle_follow(self) -> None:
        snap = self.drawn
        if self.camera.follow_index >= 0:
            self.camera.follow(-1)
        elif 0 <= snap.selected < snap.n_sats:
            self.camera.follow(int(snap.selected), snap.sat_positions(int(snap.selected)))

    def screenshot(self) -> str | None:
        """F12: the scene (no panel) offscreen at the window's full resolution, 4x MSAA."""
        import pathlib

        from viz.offscreen import render_image, save_png

        snap = self.drawn  # at the frame's instant, as the window shows it
        # The scene as the window shows it, without the panels (nothing hides labels).
        image = render_image(snap, copy.deepcopy(self.camera), self.fb_size(), samples=4,
                             frame=self.frame_context(snap, self.hovered, occluders=()),
                             ctx=self.ctx, renderer=self.renderer)
        from viz.ui.recording import unique_path

        try:
            folder = pathlib.Path(self.shots_dir)
            folder.mkdir(parents=True, exist_ok=True)
            path = unique_path(folder, f"orbitviz-{time.strftime('%Y%m%d-%H%M%S')}", ".png")
            save_png(image, path)
        except OSError as error:
            self.session.message(f"Screenshot not saved: {error}", "error")
            return None
        self.session.message(f"Screenshot saved: {path}", "info")
        return str(path)

    def recording(self) -> RecordingStatus | None:
        """The live recording under way (frames, video seconds), or None."""
        if self.recorder is None:
            return None
        return RecordingStatus(self.recorder.frames, self.recorder.seconds)

    def toggle_record(self) -> None:
        from viz.ui.recording import LiveRecorder

        if self.recorder is not None:
            self.stop_record()
            return
        try:
            self.recorder = LiveRecorder(self.ctx, self.fb_size(), self.shots_dir)
        except Exception as error:  # no ffmpeg, unwritable folder: say so, keep running
            self.session.message(f"Recording not started: {error}", "error")
            return
        self.session.message(f"Recording to {self.recorder.path} (R stops)", "info")

    def stop_record(self, why: str = "") -> None:
        """Finish the recording; `why` (a resize, an encoder error) makes it a warning."""
        recorder, self.recorder = self.recorder, None
        if recorder is None:
            return
        try:
            path = recorder.stop()
        except Exception as error:  # ffmpeg died, disk full: the file may be cut short
            self.session.message(f"Recording failed: {error}", "error")
            return
        what = f"{recorder.frames} frames, {recorder.seconds:.1f} s"
        if why:
            self.session.message(f"Recording stopped ({why}): saved {path} ({what})", "error")
        else:
            self.session.message(f"Recording saved: {path} ({what})", "info")

    # --- the loop ---------------------------------------------------------------------------
    def run(self) -> None:
        while not self.window.has_exit:
            self.pyglet.clock.tick()
            self.window.dispatch_events()
            if self.window.has_exit:
                break
            if self._toggle_fullscreen:
                self.toggle_fullscreen()
            self.frame()
            self.window.flip()
            # Without vsync, do not spin faster than ~60 Hz. While recording, each frame is
            # 1/FPS of video: never run faster than that, or the live view runs fast.
            period = self.recorder.frame_dt if self.recorder is not None else \
                (0.0 if self.vsync else 1 / 60)
            left = period - (time.perf_counter() - self._last_frame)
            if left > 0:
                time.sleep(left)

    def frame(self) -> None:
        from imgui_bundle import imgui

        now = time.perf_counter()
        dt = min(now - self._last_frame, 0.25)
        self._last_frame = now
        # "busy": the onboard model answers or a real training run computes (frame figures)
        busy = self.session.model_busy() or self.session.snapshot.real_training_running
        self.stats.add(now, busy)
        recorder = self.recorder
        if recorder is not None:  # one video frame = one fixed step, whatever the wall clock
            dt = recorder.frame_dt
        self.session.tick(dt, exact=recorder is not None)
        self.camera.advance(dt)
        self.anim_s += dt
        snap = self.session.snapshot
        # The sim may step on its own thread: the frame shows its Snapshot moved on to now,
        # and picking, labels and the followed camera read the same positions.
        self.ahead_s = self.session.ahead_s(time.perf_counter())
        self.drawn = snapshot_at_frame(snap, self.ahead_s)
        self._update_hover(self.drawn, now)
        target = self.recorder.target if self.recorder is not None else self.ctx.screen
        self.camera.move_with(self.drawn)
        # The panels drawn over this frame hide the scene's labels (last frame's rectangles).
        frame = self.frame_context(self.drawn, self.hovered, tuple(self.panel.rects.values()))
        self.renderer.draw(self.drawn, self.camera, target, frame)
        io = imgui.get_io()
        io.delta_time = max(dt, 1e-4)
        imgui.new_frame()
        self.panel.draw(self.drawn)  # the inspector and clock show the instant drawn
        imgui.render()
        self.gui.render(imgui.get_draw_data())
        if self.recorder is not None:
            try:
                self.recorder.capture()
            except Exception as error:  # the encoder failed: keep the app, end the file
                self.stop_record(f"the encoder failed: {error}")
        if self.state is not None:
            self.state.maybe_write(self, now)

    def frame_context(self, snap, hovered: int, occluders: tuple):
        """What the scene draws this frame besides `snap`: the shader clock, the panel's
        layers, the hovered satellite, the caption (scenario and time) and the boxes
        (framebuffer pixels, y down) whose labels the panels hide."""
        from viz.frame import FrameContext

        return FrameContext(time_s=self.anim_s, layers=self.panel.layers, hovered=hovered,
                            caption=tuple(self.panel.caption_lines(snap)),
                            label_occluders=occluders, ahead_s=self.ahead_s)

    def _update_hover(self, snap, now: float) -> None:
        """The satellite under the mouse (for its name label), a few times a second."""
        from imgui_bundle import imgui

        mouse = self._mouse
        # Picking projects every satellite (~0.1 s of numpy at a million): rarer as they grow.
        every_s = 0.1 * max(1.0, snap.n_sats / 100_000)
        if mouse is None or now - self._last_hover < every_s:
            return
        self._last_hover = now
        if imgui.get_io().want_capture_mouse:
            self.hovered = -1
            return
        found = self.renderer.pick(snap, self.camera, *self.to_pixels(*mouse), radius_px=10.0)
        self.hovered = -1 if found is None else found

    def close(self) -> None:
        from imgui_bundle import imgui, implot

        if self.recorder is not None:  # closing the window finishes the video properly
            self.stop_record()
            _, text, level = self.session.messages[-1]
            if level != "error":  # errors are already on the terminal
                import sys

                print(f"orbitviz: {text}", file=sys.stderr)
        self.gui.release()
        implot.destroy_context()
        imgui.destroy_context(self.imgui_ctx)
        self.renderer.release()
        self.window.close()


def project_candidates(camera, snap, exclude_rects=(), limit: int = 12) -> list[dict]:
    """Satellites a test can click: on screen, not behind the Earth, not under a panel,
    with no other satellite within 14 px. Pixels in framebuffer pixels, y down."""
    from viz.picking import occluded_by_earth

    pos = np.asarray(snap.positions_km, float)
    if not len(pos):
        return []
    px, _, front = camera.project(pos)
    w, h = camera.size
    ok = front & (px[:, 0] > 20) & (px[:, 0] < w - 20) & (px[:, 1] > 20) & (px[:, 1] < h - 20)
    for x0, y0, x1, y1 in exclude_rects:
        ok &= ~((px[:, 0] >= x0 - 16) & (px[:, 0] <= x1 + 16) & (px[:, 1] >= y0 - 16)
                & (px[:, 1] <= y1 + 16))
    idx = np.nonzero(ok)[0]
    idx = idx[~occluded_by_earth(camera.eye(), pos[idx])]
    # Why bounded: this runs in the frame (the test probe, a few times a second); checking
    # every satellite of a 2,800 network against all others cost ~100 ms a write.
    fronts = px[front]
    out = []
    for i in idx[:limit * 20]:
        d = np.hypot(fronts[:, 0] - px[i, 0], fronts[:, 1] - px[i, 1])
        if np.count_nonzero(d <= 14) <= 1:  # itself only
            out.append({"index": int(i), "name": snap.sat_names[i],
                        "px": [float(px[i, 0]), float(px[i, 1])]})
        if len(out) >= limit:
            break
    return out
