"""The Ask window (right side): prompt box with ready prompts, target and ground station,
Send, and the conversation log that streams each reply and lists its phases with times.

Enter in the prompt box (or in the scene, when no text field has the keyboard) sends the
prompt to the selected satellite as an `Ask` command.
"""
from __future__ import annotations

import pathlib

import numpy as np
from imgui_bundle import imgui

from sim.commands import MAX_TOKENS, TIMINGS as ASK_TIMINGS
from viz.ui.model_list import ModelList
from viz.ui.session import MAX_PROMPT_CHARS, READY_PROMPTS, Session
from viz.ui.trips import phase_lines, status_line
from viz.words import duration_words

PROMPT_COLOUR = (1.0, 0.84, 0.42, 1.0)  #: the prompt's colour in the scene (white-gold)
ANSWER_COLOUR = (0.40, 0.95, 1.0, 1.0)  #: the answer's colour in the scene (cyan-white)
ERROR_COLOUR = (1.0, 0.45, 0.4, 1.0)
#: The combo's label of each Ask timing the app offers ("fixed" is for recordings).
_TIMING_LABELS = {"measured": "time: measured here", "onboard": "time: on board (roofline)"}
#: What may drive a new prompt's inference phase: (Ask timing, label in the combo), in the
#: order of sim.commands.TIMINGS (the one list of timing names).
TIMINGS = tuple((name, _TIMING_LABELS[name]) for name in ASK_TIMINGS if name in _TIMING_LABELS)
#: The reply length the app asks for, tokens. The shipped model is byte-level (a token is a
#: character): 48 gave half a line.
APP_MAX_TOKENS = min(120, MAX_TOKENS)


def ask_width(window_w: float) -> float:
    """Width of the Ask window (right), window points: a quarter of the window, 340..470."""
    return float(np.clip(window_w * 0.24, 340, 470))


class AskPanel:
    """The Ask window. `remember_rect(name)` records the window's rectangle (so that scene
    labels are not drawn under it, and tests know where it is)."""

    def __init__(self, session: Session, remember_rect, remember_item=lambda name: None):
        self.session = session
        self.remember_rect = remember_rect
        self.remember_item = remember_item  #: (name) records the last widget's box (tests)
        self.prompt = ""
        self.station = 0  #: 0 = nearest station with a path, else index + 1
        self.max_tokens = APP_MAX_TOKENS
        self.timing = 0  #: index into TIMINGS, for new prompts
        self.prompt_rect: list[float] = []  #: prompt box, window points (for a test's clicks)
        self.model_folder = ""  #: the "open folder" field of the model picker
        #: the picker's list, scanned on a worker thread (now, when the picker opens, and
        #: every few seconds while it is open): the frame never waits for the cache scan
        self.models = ModelList(session.model_choices)
        self.models.refresh()
        self._picker_open = False
        self._focus = False
        self._last_count = 0

    def send_or_focus(self) -> None:
        if self.prompt.strip():
            self.send()
        else:
            self._focus = True

    def send(self) -> None:
        names = self.session.station_names()
        station = names[self.station - 1] if 0 < self.station <= len(names) else ""
        if self.session.ask(self.prompt, station, self.max_tokens, TIMINGS[self.timing][0]):
            self.prompt = ""

    def draw(self, snap, w: float, h: float) -> None:
        width = ask_width(w)
        imgui.set_next_window_pos((w - width - 10, 10), imgui.Cond_.always)
        imgui.set_next_window_size((width, min(h - 20, max(h * 0.62, 380))), imgui.Cond_.always)
        imgui.begin("Ask a satellite", None, imgui.WindowFlags_.no_move
                    | imgui.WindowFlags_.no_resize | imgui.WindowFlags_.no_collapse)
        self.remember_rect("ask")
        self._form(snap)
        imgui.separator()
        self._log(snap)
        imgui.end()

    def _model_picker(self, snap) -> None:
        """Which model is on board: the shipped one, each model found (run.py model list),
        or a checkpoint folder. Switching loads it on a thread ("Loading ...")."""
        current = snap.onboard_model
        choices = self.models.choices()
        label = next((name for name, path in choices if path == current),
                     pathlib.PurePath(current).name if current else "shipped byte-level model")
        if self.session.model_loading:  # said in the label: the rows below must not move
            label = f"loading {label} ..."
        imgui.text("Model:")
        imgui.same_line()
        imgui.set_next_item_width(-1)
        imgui.begin_disabled(self.session.model_loading)
        opened = imgui.begin_combo("##model", label)
        if opened and not self._picker_open:  # just opened: the cache may have changed
            self.models.refresh()  # the rows below update when the scan is done
        self.models.tick(opened)
        if opened:
            for name, path in choices:
                if imgui.selectable(name, path == current)[0] and path != current:
                    self.session.switch_model(path)
                self.remember_item(f"model:{name.split(' (')[0]}")
            imgui.end_combo()
        self.remember_item("model_combo")
        self._picker_open = opened
        imgui.set_next_item_width(-70)
        _, self.model_folder = imgui.input_text_with_hint("##model_folder",
                                                          "or a checkpoint folder",
                                                          self.model_folder)
        imgui.same_line()
        if imgui.button("Open##model") and self.model_folder.strip():
            if self.session.switch_model(self.model_folder.strip()):
                self.model_folder = ""
        imgui.end_disabled()

    def _form(self, snap) -> None:
        self._model_picker(snap)
        sel = int(snap.selected)
        if 0 <= sel < snap.n_sats:
            imgui.text("To:")
            imgui.same_line()
            imgui.text_colored((0.55, 0.9, 1.0, 1.0), snap.sat_names[sel])
        else:
            imgui.text_colored((1.0, 0.75, 0.5, 1.0), "Click a satellite to choose who answers.")
        names = ["nearest station with a path"] + [n.split("(")[0].strip()
                                                   for n in snap.station_names]
        self.station = min(self.station, len(names) - 1)
        imgui.text("From:")
        imgui.same_line()
        imgui.set_next_item_width(-1)
        _, self.station = imgui.combo("##station", self.station, names)
        self._timing_control()
        imgui.set_next_item_width(-1)
        if imgui.begin_combo("##ready", "ready prompts..."):
            for text in READY_PROMPTS:
                if imgui.selectable(text, False)[0]:
                    self.prompt = text
            imgui.end_combo()
        if self._focus:
            imgui.set_keyboard_focus_here()
            self._focus = False
        imgui.set_next_item_width(-80)
        entered, self.prompt = imgui.input_text_with_hint(
            "##prompt", "type a prompt, Enter sends", self.prompt,
            imgui.InputTextFlags_.enter_returns_true)
        lo, hi = imgui.get_item_rect_min(), imgui.get_item_rect_max()
        self.prompt_rect = [lo.x, lo.y, hi.x, hi.y]
        imgui.same_line()
        clicked = imgui.button("Send", (-1, 0))
        if entered or clicked:
            self.send()
            self._focus = entered  # keep typing the next prompt
        if len(self.prompt) > MAX_PROMPT_CHARS:
            imgui.text_colored(ERROR_COLOUR, f"{len(self.prompt)}/{MAX_PROMPT_CHARS} characters: "
                                             "too long to send")

    def _timing_control(self) -> None:
        """Which time drives the inference phase of the next prompts."""
        imgui.set_next_item_width(-1)
        _, self.timing = imgui.combo("##timing", self.timing, [label for _, label in TIMINGS])
        if imgui.is_item_hovered():
            imgui.set_tooltip("How long a new prompt's inference lasts in the scene: as the "
                              "model took on this computer, or as the satellite's hardware "
                              "profile would take (roofline: compute or memory bound).")

    def _log(self, snap) -> None:
        imgui.begin_child("log", (0, 0))
        trips = list(snap.round_trips)
        if not trips:
            imgui.text_wrapped("Your prompts and the satellites' answers appear here, with "
                               "where the time went: waiting for a path, light-time legs, "
                               "queue and inference.")
        for trip in trips:
            self._trip(trip, snap)
        if len(trips) != self._last_count or any(not t.done for t in trips):
            imgui.set_scroll_here_y(1.0)  # follow the newest output
        self._last_count = len(trips)
        imgui.end_child()

    def _trip(self, trip, snap) -> None:
        target = snap.sat_names[trip.sat] if 0 <= trip.sat < snap.n_sats else "?"
        colour = ERROR_COLOUR if trip.error else ANSWER_COLOUR if trip.done else PROMPT_COLOUR
        # which weights answer: "shipped", or a deployed checkpoint ("trained step N")
        model = f", {trip.model} model" if trip.model else ""
        imgui.text_colored(colour, f"#{trip.request_id} to {target}{model}")
        imgui.push_text_wrap_pos(0.0)
        imgui.text_disabled(status_line(trip, snap.sat_names))
        imgui.pop_text_wrap_pos()
        imgui.push_text_wrap_pos(0.0)
        imgui.text_colored(PROMPT_COLOUR, f"> {trip.prompt}")
        if trip.reply or trip.phase == "inference":
            cursor = " _" if trip.phase == "inference" else ""  # still generating
            imgui.text_colored(ANSWER_COLOUR, f"{trip.reply}{cursor}")
        imgui.pop_text_wrap_pos()
        rows = phase_lines(trip)
        figures = dict(trip.figures)
        if rows and imgui.begin_table(f"phases{trip.request_id}", 2,
                                      imgui.TableFlags_.sizing_stretch_prop
                                      | imgui.TableFlags_.row_bg):
            imgui.table_setup_column("phase", imgui.TableColumnFlags_.width_fixed)
            imgui.table_setup_column("time and where", imgui.TableColumnFlags_.width_stretch)
            for title, duration, detail in rows:
                imgui.table_next_row()
                imgui.table_next_column()
                imgui.text(title)
                imgui.table_next_column()
                imgui.text(duration)
                if detail:  # the hops or why there is no path, wrapped under the time
                    imgui.push_text_wrap_pos(0.0)
                    imgui.text_disabled(detail)
                    imgui.pop_text_wrap_pos()
            imgui.end_table()
        # The model may have answered in wall time while the prompt still waits for its pass
        # in sim time: show the figures only once the trip has reached and left inference.
        answered = any(p.name == "inference" for p in trip.phases) and trip.phase != "inference"
        if figures.get("generated_tokens") and answered:
            imgui.text_disabled(f"{figures['generated_tokens']:.0f} tokens, "
                                f"{figures.get('tokens_per_s', 0):.0f} tokens/s, first token "
                                f"{figures.get('ttft_ms', 0):.0f} ms")
            for line in time_lines(figures):
                imgui.text_disabled(line)
        imgui.spacing()
        imgui.separator()


def time_lines(figures) -> list[str]:
    """The two inference times of an answered trip: measured here, and on board (with its
    prefill/decode split) or why there is none."""
    lines = [f"measured here: {duration_words(figures.get('measured_s', 0.0))}"]
    if "onboard_s" in figures:
        lines.append(f"on board: {duration_words(figures['onboard_s'])} (prefill "
                     f"{duration_words(figures['onboard_prefill_s'])}, decode "
                     f"{duration_words(figures['onboard_decode_s'])})")
    else:
        lines.append("on board: no hardware profile")
    return lines
