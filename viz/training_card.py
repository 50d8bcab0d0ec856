"""The training card: a recording's overlay for one training job (layer `training_card`).

The round-trip card's counterpart for training (viz/record_overlay.py draws both, in the same
look): the job's name and members, its collective, sync interval and the lasers' capacity, the
last step as a stacked bar (compute white, the lasers orange while they reduce-scatter and
violet while they all-gather, waiting grey: the scene's own training colours,
viz/layers/training.py) with its seconds, tokens/s, the share of the stated PFLOPS, the busiest
laser link and its utilisation, and the phase the job is in now with its progress.

    card = training_card(snapshot, job="")      # a TrainingCard, or None without a job
    layout = card_layout(card, (1920, 1080))    # where everything goes (tests read it too)
    rgba = paint(card, layout)                  # a PIL RGBA image of layout.width x height

With `sync_every` H > 1 (DiLoCo) the bar is a cycle of H steps (H - 1 local steps, each as
long as the last synced step's compute, and that step), which is what sets the job's pace;
until a step has synced under the current H, the card says the first cycle is under way (a
local step alone would claim the chips' full share of the PFLOPS). Pure CPU (pillow + numpy),
no GL; the figures are the Snapshot's (`TrainingView.figures`, `sync_figures`).
"""
from __future__ import annotations

import dataclasses

from viz.layers.training import COMPUTE, GATHER, IDLE, SCATTER, phase_colour
from viz.words import duration_words

#: The card's colours (RGBA 0..255), as the round-trip card's.
HEAD = (150, 215, 255, 255)
TEXT = (235, 240, 250, 255)
DIM = (170, 182, 205, 255)
PANEL = (4, 10, 24, 185)
TRACK = (40, 50, 72, 255)  #: the empty part of the progress bar


def _rgba(rgb: tuple[float, float, float]) -> tuple[int, int, int, int]:
    return tuple(int(round(255 * c)) for c in rgb) + (255,)


#: The bar's parts in order: (key, legend word, colour).
PARTS = (("compute", "compute", _rgba(COMPUTE)), ("scatter", "lasers", _rgba(SCATTER)),
         ("gather", "lasers", _rgba(GATHER)), ("waiting", "waiting", _rgba(IDLE)))
PROGRESS_STEPS = 200  #: the phase's progress is drawn in steps of 1/200 (the card is cached)
COLLECTIVE_WORDS = {"ring": "ring all-reduce", "grid": "2-D all-reduce (planes, then across)",
                    "hierarchical": "hierarchical all-reduce (plane leaders)"}
PHASE_WORDS = {"compute": "computing", "re-forming": "re-forming the ring", "paused": "paused",
               "done": "finishing the step", "waiting": "waiting for a laser path"}


@dataclasses.dataclass(frozen=True)
class TrainingCard:
    """What the card says, from one Snapshot (hashable: the painter caches the last one)."""

    name: str
    members: int
    collective: str
    sync_every: int
    link_gbps: float
    parameters: float
    phase: str  #: what the job is doing now
    progress: float  #: 0..1 through it (quantised to PROGRESS_STEPS)
    step_now: int  #: the step running now (1-based)
    #: the bar's figures: the last step (or cycle of sync_every steps), seconds; steps = 0
    #: before the first step has finished
    steps: int = 0
    last_step: int = 0  #: the index of the last step the bar covers
    compute_s: float = 0.0
    scatter_s: float = 0.0
    gather_s: float = 0.0
    waiting_s: float = 0.0
    tokens_per_s: float = 0.0
    pflops_fraction: float = 0.0
    busiest: str = ""  #: "A - B" names of the busiest laser link ("" when none)
    busiest_utilisation: float = 0.0

    @property
    def total_s(self) -> float:
        return self.compute_s + self.scatter_s + self.gather_s + self.waiting_s

    @property
    def lasers_s(self) -> float:
        return self.scatter_s + self.gather_s

    def part_s(self, key: str) -> float:
        return getattr(self, f"{key}_s")


def pick_job(snapshot, name: str = ""):
    """The TrainingView named `name` (exactly, else case-insensitively), else the first;
    None when the scenario has no job."""
    jobs = snapshot.training
    if not jobs:
        return None
    for match in (lambda j: j.name == name, lambda j: j.name.lower() == name.lower()):
        found = next((j for j in jobs if name and match(j)), None)
        if found is not None:
            return found
    return jobs[0]


def training_card(snapshot, name: str = "") -> TrainingCard | None:
    """The card of job `name` ("" = the first) in `snapshot`; None when it has no job."""
    job = pick_job(snapshot, name)
    if job is None:
        return None
    capacity = snapshot.isl_capacity_gbps
    head = dict(name=job.name, members=len(job.members), collective=job.collective,
                sync_every=int(job.sync_every),
                link_gbps=float(capacity.max()) if len(capacity) else 0.0,
                parameters=float(job.parameters), phase=job.phase,
                progress=round(float(job.phase_progress) * PROGRESS_STEPS) / PROGRESS_STEPS,
                step_now=int(job.steps_done) + 1)
    f = job.figures
    if not f:
        return TrainingCard(**head)
    h, cycle = int(job.sync_every), job.sync_figures
    if h > 1:  # the last cycle: h - 1 local steps, then the one that synced
        if not cycle or cycle.get("sync_every", h) != h:
            return TrainingCard(**head)  # a local step alone would say 40% of the PFLOPS
        f, steps = cycle, h
    elif not f.get("synced", 1.0):
        return TrainingCard(**head)  # a local step from before sync_every went back to 1
    else:
        steps = 1
    flops_per_step = f["pflops_fraction"] * f["step_s"]  # x the stated FLOP/s
    tokens_per_step = f["tokens_per_s"] * f["step_s"]
    card = TrainingCard(
        **head, steps=steps, last_step=int(f["step"]),
        compute_s=steps * f["compute_s"],
        scatter_s=f["communication_s"] - f.get("gather_s", 0.0),
        gather_s=f.get("gather_s", 0.0), waiting_s=f["waiting_s"],
        busiest=link_words((f.get("busiest_a", -1), f.get("busiest_b", -1)), snapshot),
        busiest_utilisation=float(f["busiest_utilisation"]))
    total = max(card.total_s, 1e-30)
    return dataclasses.replace(card, tokens_per_s=steps * tokens_per_step / total,
                               pflops_fraction=steps * flops_per_step / total)


def link_words(pair, snapshot, dash: str = "\u2013") -> str:
    """'A – B' names of a laser link ('' when none); the panel says them with `dash` "-"."""
    a, b = (int(v) for v in pair)
    if not (0 <= a < snapshot.n_sats and 0 <= b < snapshot.n_sats):
        return ""
    return f"{snapshot.sat_names[a]} {dash} {snapshot.sat_names[b]}"


# --- words ---------------------------------------------------------------------------------------

def number_words(n: float) -> str:
    """'1.51 million', '830,000', '2.4 billion'."""
    for scale, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if n >= scale:
            return f"{n / scale:.3g} {word}"
    return f"{n:,.0f}"


def percent_words(fraction: float) -> str:
    """'29%', '4.2%', '0.0074%' (two significant figures below 10%)."""
    pct = 100 * fraction
    return f"{pct:.0f}%" if pct >= 10 else f"{pct:.2g}%"


def lines_of(card: TrainingCard) -> dict[str, str]:
    """The card's text rows by name (the bar, legend and progress bar go between them)."""
    sync = "sync every step" if card.sync_every == 1 else \
        f"sync every {card.sync_every} steps (DiLoCo)"
    out = {"head": f"Training {card.name}",
           "setup": f"{card.members:,} satellites \u00b7 {number_words(card.parameters)} "
                    f"parameters \u00b7 lasers {card.link_gbps:,.0f} Gbps",
           "links": f"{COLLECTIVE_WORDS.get(card.collective, card.collective)}, {sync}"}
    if not card.steps:
        out["label"] = "the first step is under way" if card.sync_every == 1 else \
            f"the first cycle of {card.sync_every} steps is under way"
    elif card.steps > 1:
        out["label"] = (f"A cycle of {card.steps} steps ({card.steps - 1} local + 1 sync): "
                        f"{duration_words(card.total_s)}")
    else:
        out["label"] = f"Step {card.last_step} took {duration_words(card.total_s)}"
    if card.steps:
        out["rate"] = (f"{number_words(card.tokens_per_s)} tokens/s \u00b7 "
                       f"{percent_words(card.pflops_fraction)} of the stated PFLOPS")
        if card.busiest:
            out["busiest"] = (f"busiest link {card.busiest}: "
                              f"{percent_words(card.busiest_utilisation)}")
    phase = PHASE_WORDS.get(card.phase, card.phase)  # a collective's phase by its name
    out["now"] = f"Now: step {card.step_now}, {phase}"
    return out


def legend_of(card: TrainingCard) -> list[tuple[str, tuple]]:
    """(text, swatch colours) of the legend: compute, lasers (two colours), waiting."""
    if not card.steps:
        return []
    items = [(f"compute {duration_words(card.compute_s)}", (PARTS[0][2],))]
    if card.lasers_s > 0:
        items.append((f"lasers {duration_words(card.lasers_s)}", (PARTS[1][2], PARTS[2][2])))
    if card.waiting_s > 0:
        items.append((f"waiting {duration_words(card.waiting_s)}", (PARTS[3][2],)))
    return items


# --- layout --------------------------------------------------------------------------------------

def bar_segments(seconds: list[float], x0: int, width: int, min_px: int) -> list[tuple[int, int]]:
    """Pixel spans [a, b) of a stacked bar from `x0`, `width` px wide, each part as long as
    its share of the total; a part too short to see (1.6 ms of 8.7 s) still gets `min_px`,
    taken from the longest. Zero parts get an empty span."""
    total = sum(seconds)
    if total <= 0:
        return [(x0, x0)] * len(seconds)
    widths = [width * s / total for s in seconds]
    short = [i for i, s in enumerate(seconds) if 0 < widths[i] < min_px]
    if short:
        longest = max(range(len(seconds)), key=lambda i: seconds[i])
        for i in short:
            widths[longest] -= min_px - widths[i]
            widths[i] = float(min_px)
    spans, edge = [], float(x0)
    for w in widths:
        a = int(round(edge))
        edge += w
        spans.append((a, int(round(edge))))
    return spans


@dataclasses.dataclass(frozen=True)
class CardLayout:
    """Where the card and its parts go. x, y: the card's top-left corner in the frame;
    everything else is in the card's own pixels (add x, y for the frame's)."""

    x: int
    y: int
    width: int
    height: int
    radius: int
    rows: tuple  #: (text, font size px, colour RGBA, x, y)
    bar: tuple[int, int, int, int] | None  #: x0, y0, x1, y1 of the stacked bar
    segments: tuple  #: (key, x0, x1, colour) of the bar's non-empty parts
    swatches: tuple  #: (x0, y0, x1, y1, colour) of the legend's colour squares
    progress: tuple[int, int, int, int]  #: x0, y0, x1, y1 of the phase's progress bar
    progress_x: int  #: where its filled part ends
    progress_colour: tuple


def _font(size_px: int):
    from viz.record_overlay import _font as font  # DejaVu Sans, cached there

    return font(size_px)


def _line_h(size_px: int) -> int:
    return int(sum(_font(size_px).getmetrics()) * 1.2)


def card_layout(card: TrainingCard, size: tuple[int, int],
                position: str = "top-right") -> CardLayout:
    """Lay the card out for a frame of `size` (fonts and margins scale with its height, as
    the captions' and the round-trip card's do); `position` "top-right" or "top-left"."""
    from viz.record_overlay import _wrap

    W, H = size
    s = H / 1080.0
    body, big = max(int(round(24 * s)), 11), max(int(round(27 * s)), 12)
    pad = int(22 * s) + 2
    width = int(min(max(W * 0.38, 740 * s), W - 2 * int(28 * s)))
    inner = width - 2 * pad
    text = lines_of(card)
    rows, y = [], pad

    def add(key: str, px: int, colour, indent: int = 0) -> None:
        nonlocal y
        if key not in text:
            return
        for line in _wrap(text[key], _font(px), inner - indent):
            rows.append((line, px, colour, pad + indent, y))
            y += _line_h(px)

    add("head", big, HEAD)
    add("setup", body, TEXT)
    add("links", body, TEXT)
    y += int(10 * s)
    add("label", body, DIM)
    bar, segments, swatches = None, [], []
    if card.steps:
        bar_h = max(int(26 * s), 8)
        y += int(4 * s)
        bar = (pad, y, pad + inner, y + bar_h)
        spans = bar_segments([card.part_s(k) for k, _, _ in PARTS], pad, inner,
                             max(int(4 * s), 3))
        segments = [(k, a, b, colour) for (k, _, colour), (a, b) in zip(PARTS, spans) if b > a]
        y += bar_h + int(12 * s)
        # the legend: a colour square (two for the lasers) and its words, flowing in rows
        font, sq, gap = _font(body), max(int(18 * s), 7), int(24 * s)
        line_h, x = _line_h(body), pad
        ascent = font.getmetrics()[0]
        for words, colours in legend_of(card):
            item_w = sq * len(colours) + int(8 * s) + int(font.getlength(words))
            if x > pad and x + item_w > pad + inner:
                x, y = pad, y + line_h
            top = y + (ascent - sq) // 2 + int(2 * s)
            for colour in colours:
                swatches.append((x, top, x + sq, top + sq, colour))
                x += sq
            x += int(8 * s)
            rows.append((words, body, TEXT, x, y))
            x += int(font.getlength(words)) + gap
        y += line_h + int(6 * s)
        add("rate", body, TEXT)
        add("busiest", body, DIM)
    y += int(10 * s)
    colour = _rgba(phase_colour(card.phase))
    add("now", body, colour)
    track_h = max(int(6 * s), 3)
    y += int(2 * s)
    progress = (pad, y, pad + inner, y + track_h)
    y += track_h + pad
    margin = int(28 * s)
    x = W - width - margin if position != "top-left" else margin
    return CardLayout(x, margin, width, y, int(12 * s) + 1, tuple(rows), bar, tuple(segments),
                      tuple(swatches), progress,
                      pad + int(round(inner * min(max(card.progress, 0.0), 1.0))), colour)


def paint(card: TrainingCard, layout: CardLayout):
    """The card as a PIL RGBA image (layout.width x layout.height)."""
    from PIL import Image, ImageDraw

    img = Image.new("RGBA", (layout.width, layout.height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.rounded_rectangle((0, 0, layout.width - 1, layout.height - 1), radius=layout.radius,
                           fill=PANEL)
    for text, px, colour, x, y in layout.rows:
        draw.text((x, y), text, font=_font(px), fill=colour)
    for key, a, b, colour in layout.segments:
        draw.rectangle((a, layout.bar[1], b - 1, layout.bar[3] - 1), fill=colour)
    for x0, y0, x1, y1, colour in layout.swatches:
        draw.rectangle((x0, y0, x1 - 1, y1 - 1), fill=colour)
    x0, y0, x1, y1 = layout.progress
    draw.rectangle((x0, y0, x1 - 1, y1 - 1), fill=TRACK)
    if layout.progress_x > x0:
        draw.rectangle((x0, y0, layout.progress_x - 1, y1 - 1), fill=layout.progress_colour)
    return img
