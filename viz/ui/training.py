"""The panel's Training section: each job of `Snapshot.training` (sim/training/) with its
phase, the last step split into compute / communication / waiting as a stacked bar, its
figures and a live plot, and the controls a presenter uses to show that the laser links, not
the chips, set the pace (collective, sync interval, link capacity, pause). Every control sends
a `SetTraining` command through the Session."""
from __future__ import annotations

import math

import numpy as np
from imgui_bundle import imgui

from sim import commands as cmd
from sim.commands import COLLECTIVES
from sim.snapshot import TrainingView
from viz.layers.deploy import DEPLOY
from viz.training_card import link_words, number_words

#: colours of the stacked bar's parts (RGBA 0..1): compute, communication, waiting
PART_COLOURS = (("compute", (0.55, 0.9, 1.0, 1.0)), ("communication", (1.0, 0.78, 0.45, 1.0)),
                ("waiting", (0.65, 0.65, 0.72, 1.0)))

GBPS_RANGE = (1.0, 4.0)  #: the capacity slider, log10 Gbps: 10 Gbps .. 10 Tbps
PARAMS_RANGE = (8.0, 12.0)  #: the model-size slider, log10 parameters: 100 million .. 1 trillion
#: the panel's real run: steps of the shipped architecture, one replica per satellite of a
#: small job (each step takes about 0.5 s on 2 CPU cores at 4 replicas)
REAL_STEPS, REAL_REPLICAS = 300, 4


class TrainingSection:
    """Draws the section; holds the capacity slider's value while it is dragged (the new
    capacity is sent once, on release: each change starts the running step again)."""

    def __init__(self, session, plot_series, remember_item=lambda name: None):
        self.session = session
        self.plot_series = plot_series  #: (title, ys, unit=...) draws a live plot
        self.remember_item = remember_item  #: (name) records the last widget's box (tests)
        self._dragged: dict[str, float] = {}  #: slider -> its value while it is dragged

    def draw(self, snap, history) -> None:
        if not snap.training:
            imgui.text_wrapped("This scenario has no [[training]] job (network-2035 has one).")
            return
        for index, job in enumerate(snap.training):
            imgui.push_id(f"job{index}")
            self._job(job, snap)
            imgui.pop_id()
        self._real(snap)
        self.plot_series("step time", history.series("train_step"), unit="s")
        self.plot_series("of which the lasers", history.series("train_comm"), unit="s")

    def _real(self, snap) -> None:
        """Real data-parallel PyTorch training beside the model: start / stop, loss curve."""
        imgui.separator()
        loss = snap.real_training_loss
        running = snap.real_training_running
        if imgui.button("Stop real training" if running else "Train for real"):
            self.session.apply(cmd.TrainForReal(run=not running, steps=REAL_STEPS,
                                                replicas=REAL_REPLICAS))
        self.remember_item("train_for_real")
        imgui.same_line()
        imgui.text_disabled(f"{REAL_REPLICAS} replicas, ring all-reduce")
        if loss:
            imgui.text_wrapped(f"step {len(loss)} of {REAL_STEPS}: loss {loss[-1]:.3f} "
                               f"nats/byte (from {loss[0]:.3f})")
            self.plot_series("real training loss", np.asarray(loss, np.float64),
                             unit="nats/byte")
        elif running:
            imgui.text_disabled("the first step is under way")
        self._deploy(snap)
        if snap.real_training_error:
            imgui.push_text_wrap_pos(0.0)
            imgui.text_colored((1.0, 0.45, 0.4, 1.0),
                               f"real training stopped: {snap.real_training_error}")
            imgui.pop_text_wrap_pos()

    def _deploy(self, snap) -> None:
        """Send the newest real checkpoint to the inference satellites; who holds it."""
        if snap.real_training_loss:
            if imgui.button(f"Deploy checkpoint (step {len(snap.real_training_loss)})"):
                self.session.apply(cmd.DeployCheckpoint())
            self.remember_item("deploy_checkpoint")
        deploy = snap.deploy
        if deploy is None:
            return
        imgui.push_text_wrap_pos(0.0)
        imgui.text_colored((*DEPLOY, 1.0), deploy_line(deploy))
        imgui.pop_text_wrap_pos()

    def _job(self, job: TrainingView, snap) -> None:
        imgui.text_colored((1.0, 0.78, 0.45, 1.0), f"{job.name}: {len(job.members)} "
                                                   f"satellites, {job.collective}")
        imgui.progress_bar(float(job.phase_progress), (-1, 0),
                           f"step {job.steps_done + 1}: {job.phase}")
        figures = job.figures
        if figures:
            stacked_bar(figures)
            imgui.text_wrapped(f"step {figures['step_s']:,.3g} s: compute "
                               f"{figures['compute_s']:,.3g} s, "
                       f"lasers {figures['communication_s']:,.3g} s, "
                       f"waiting {figures['waiting_s']:,.3g} s")
            imgui.text_wrapped(f"{figures['tokens_per_s']:,.3g} tokens/s, "
                               f"{100 * figures['pflops_fraction']:.3g}% of the stated PFLOPS")
            busiest = busiest_link(job, snap)
            if busiest:
                imgui.push_text_wrap_pos(0.0)
                imgui.text_disabled(f"busiest link {busiest} "
                                    f"({100 * figures['busiest_utilisation']:.0f}%)")
                imgui.pop_text_wrap_pos()
        else:
            imgui.text_disabled("the first step is under way")
        self._controls(job, snap)
        imgui.push_text_wrap_pos(0.0)
        for line in job.log[-2:]:
            imgui.text_disabled(line)
        imgui.pop_text_wrap_pos()

    def _controls(self, job: TrainingView, snap) -> None:
        """Collective, sync interval, the lasers' capacity and pause: SetTraining commands."""
        send = lambda **change: self.session.apply(cmd.SetTraining(job=job.name, **change))  # noqa: E731
        imgui.set_next_item_width(-1)
        current = COLLECTIVES.index(job.collective) if job.collective in COLLECTIVES else 0
        changed, pick = imgui.combo("##collective", current, list(COLLECTIVES))
        if changed and pick != current:
            send(collective=COLLECTIVES[pick])
        imgui.set_next_item_width(-1)
        changed, sync = imgui.slider_int("##sync", int(job.sync_every), 1, 64,
                                         "sync every %d steps")
        if imgui.is_item_deactivated_after_edit():
            send(sync_every=int(sync))
        capacity = float(snap.isl_capacity_gbps.max()) if len(snap.isl_capacity_gbps) else 0.0
        gbps = self._log_slider("gbps", capacity, GBPS_RANGE, "laser links {:,.0f} Gbps")
        if gbps is not None:
            send(link_gbps=float(round(gbps)))
        size = self._log_slider("params", job.parameters, PARAMS_RANGE, "model of {}",
                                count_words)
        if size is not None:
            send(parameters=float(f"{size:.2g}"))
        paused = job.phase == "paused"
        label = ("Start the job" if not job.steps_done else "Resume the job") if paused \
            else "Pause the job"
        if imgui.button(label):
            send(paused=not paused)
        self.remember_item("job_pause")


    def _log_slider(self, name: str, value: float, bounds: tuple[float, float],
                    label: str, words=lambda v: v) -> float | None:
        """A slider over log10(value) within `bounds`; the new value once released (each
        change starts the job's step again, so nothing is sent while it is dragged)."""
        exponent = self._dragged.get(name, math.log10(max(value, 10 ** bounds[0])))
        imgui.set_next_item_width(-1)
        _, exponent = imgui.slider_float(f"##{name}", exponent, *bounds,
                                         label.format(words(10 ** exponent)))
        if imgui.is_item_active():
            self._dragged[name] = exponent
        else:
            self._dragged.pop(name, None)
        return 10 ** exponent if imgui.is_item_deactivated_after_edit() else None


def deploy_line(deploy) -> str:
    """'v2 (trained step 40, 7.09 MB): 1,234 of 2,400 inference satellites hold it, 1,166
    transfers in flight'."""
    text = (f"v{deploy.version} ({deploy.label}, {deploy.byte_size / 1e6:.2f} MB): "
            f"{deploy.holders:,} of {deploy.inference_total:,} inference satellites hold it")
    if deploy.in_flight:
        n = deploy.in_flight
        text += f", {n:,} transfer{'s' if n != 1 else ''} in flight"
    if deploy.unreachable:
        text += f", {deploy.unreachable:,} had no path"
    return text


def count_words(n: float) -> str:
    """'8 billion parameters', '350 million parameters', '1.2 trillion parameters'."""
    return f"{number_words(n)} parameters"


def stacked_bar(figures, height: float = 14.0) -> None:
    """One bar across the section, its parts as long as each share of the step."""
    width = imgui.get_content_region_avail().x
    origin = imgui.get_cursor_screen_pos()
    draw = imgui.get_window_draw_list()
    total = max(figures["step_s"], 1e-12)
    left = origin.x
    for key, colour in PART_COLOURS:
        part = width * figures[f"{key}_s"] / total
        if part > 0:
            draw.add_rect_filled(imgui.ImVec2(left, origin.y),
                                 imgui.ImVec2(left + part, origin.y + height),
                                 imgui.get_color_u32(imgui.ImVec4(*colour)))
            left += part
    imgui.dummy(imgui.ImVec2(width, height))


def busiest_link(job: TrainingView, snap) -> str:
    """'A - B' names of the last step's busiest laser link ('' when none)."""
    return link_words(job.busiest_pair, snap, dash="-")
