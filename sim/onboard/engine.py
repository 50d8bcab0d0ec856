"""``OnboardModel``: a loaded model with its tokenizer; turns a ground-station prompt into the
satellite's reply, streaming text pieces and measuring the run (wall-clock, this machine)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from sim.errors import UserError
from sim.onboard.qwen3 import Qwen3ForCausalLM
from sim.onboard.sampling import SamplingParams, generate_ids
from sim.onboard.tokenizer import StreamDecoder, Tokenizer

#: Longer prompts are refused outright, before tokenising them, characters.
MAX_PROMPT_CHARS = 20_000
#: A line naming the next speaker ("DUKE.", "FIRST LORD.") or a stage direction ("[Exit]").
HEADING = re.compile(r"^\s*(?:[A-Z][A-Z' -]{1,30}\.|\[.*\])\s*$")


@dataclass(frozen=True)
class PreparedPrompt:
    ids: list[int]  # the framed prompt, ready for the model
    prompt_tokens: int  # len(ids): what the model reads, framing included
    max_new_tokens: int  # possibly lowered so prompt + reply fit the context
    truncated_tokens: int  # user-prompt tokens cut to fit (0: none)
    notice: str  # says what was cut or lowered, "" if nothing


@dataclass(frozen=True)
class Reply:
    """One finished generation, with figures measured on this machine."""

    text: str
    prompt_tokens: int
    generated_tokens: int
    time_to_first_token_s: float  # prompt prefill + first sampled token
    inference_s: float  # from start to the last token
    tokens_per_s: float  # generated tokens / time after the first token (decode speed)
    flops: float  # ~2 x (matmul) parameters x (prompt + generated tokens)
    stop_reason: str  # "end_of_speech", "end_token", "max_tokens" or "cancelled"
    truncated_tokens: int
    notice: str


class OnboardModel:
    """A Qwen3 model plus tokenizer, framed as the satellite answering a ground station."""

    def __init__(self, model: Qwen3ForCausalLM, tokenizer: Tokenizer, path: Path | None = None):
        self.model = model
        self.tokenizer = tokenizer
        self.path = path
        self.config = model.config
        self.num_parameters = model.num_parameters()
        #: what the matmuls compute in: "float32", "bfloat16" or "int8" (dynamic, float32 rest)
        self.compute_dtype = "int8" if model.int8 else str(model.model.embed_tokens.weight.dtype
                                                              ).removeprefix("torch.")
        # Per token, every weight matrix does one multiply-add per weight (2 FLOPs); the input
        # embedding is a table look-up, so it counts only when it is also the (tied) LM head.
        embed = 0 if self.config.tie_word_embeddings else model.model.embed_tokens.weight.numel()
        self.flops_per_token = 2.0 * (self.num_parameters - embed)

    @property
    def context_length(self) -> int:
        return self.config.max_position_embeddings

    def prepare(self, prompt: str, station_name: str = "", satellite_name: str = "",
                max_new_tokens: int = 160) -> PreparedPrompt:
        """Frame and tokenise; refuse an empty prompt, cut an over-long one to fit the context
        (keeping its beginning) and say so."""
        if not prompt or not prompt.strip():
            raise UserError("empty prompt: give the satellite something to answer")
        if len(prompt) > MAX_PROMPT_CHARS:
            raise UserError(f"prompt too long: {len(prompt):,} characters "
                            f"(at most {MAX_PROMPT_CHARS:,})")
        before, after = self.tokenizer.frame_parts(station_name, satellite_name)
        head, tail = self.tokenizer.encode(before), self.tokenizer.encode(after)
        body = self.tokenizer.encode_plain(prompt.strip())
        ctx = self.context_length
        notes = []
        # Keep at least a quarter of the context (up to 64 tokens) for the reply.
        reply_floor = min(max_new_tokens, 64, ctx // 4)
        room = ctx - len(head) - len(tail) - reply_floor
        if room < 1:
            raise UserError(f"the model's context ({ctx} tokens) is too small for the framing")
        cut = max(0, len(body) - room)
        if cut:
            body = body[:room]
            notes.append(f"prompt truncated: kept its first {room} of {room + cut} tokens "
                         f"to fit the model's {ctx}-token context")
        ids = head + body + tail
        new = min(max_new_tokens, ctx - len(ids))
        if new < max_new_tokens:
            notes.append(f"reply limited to {new} tokens (context {ctx})")
        return PreparedPrompt(ids, len(ids), new, cut, "; ".join(notes))

    def generate(self, prompt: str, station_name: str = "", satellite_name: str = "",
                 params: SamplingParams = SamplingParams(), *, use_cache: bool = True,
                 on_text: Callable[[str], None] | None = None,
                 cancelled: Callable[[], bool] | None = None) -> Reply:
        """Generate the satellite's reply. ``on_text`` receives each new piece of text as soon
        as it is final; ``cancelled`` is polled between tokens."""
        prep = self.prepare(prompt, station_name, satellite_name, params.max_new_tokens)
        if prep.max_new_tokens != params.max_new_tokens:
            params = replace(params, max_new_tokens=prep.max_new_tokens)
        stops = self.tokenizer.stop_strings
        hold = max((len(s) for s in stops), default=1) - 1  # chars that may start a stop string
        decoder = StreamDecoder(self.tokenizer)
        text, sent, n, reason = "", 0, 0, "max_tokens"
        t0 = time.perf_counter()
        t_first = t_last = t0
        play = self.tokenizer.play
        heading = play  # the first line is not yet judged
        for token in generate_ids(self.model, prep.ids, params, self.tokenizer.end_ids, use_cache,
                                  self.tokenizer.banned_first):
            t_last = time.perf_counter()
            if n == 0:
                t_first = t_last
            n += 1
            if token in self.tokenizer.end_ids:
                reason = "end_token"
                break
            text += decoder.push(token)
            if heading and "\n" in text:  # the first line, held back, is complete: judge it
                heading = False
                first, rest = text.split("\n", 1)
                if HEADING.match(first):
                    text = rest.lstrip("\n")
            if not heading:
                hit = min((i for i in (text.find(s) for s in stops) if i >= 0), default=-1)
                if hit >= 0:
                    text, reason = text[:hit], "end_of_speech"
                    break
                sent = _stream(text, sent, stops, hold, play, on_text)
            # Checked while the first line is held back too: a cancel stops at this token.
            if cancelled is not None and cancelled():
                reason = "cancelled"
                break
        if heading and HEADING.match(text):  # the reply was nothing but a heading
            text = ""
        if play and reason in ("max_tokens", "cancelled") and text[-1:].strip():
            cut = max(text.rfind(" "), text.rfind("\n"))  # drop the unfinished last word
            text = text[:cut] if cut > 0 else text
        text = text.rstrip()
        if on_text and len(text) > sent:
            on_text(text[sent:])
        decode_s = t_last - t_first
        return Reply(
            text=text, prompt_tokens=prep.prompt_tokens, generated_tokens=n,
            time_to_first_token_s=t_first - t0, inference_s=t_last - t0,
            tokens_per_s=(n - 1) / decode_s if n > 1 and decode_s > 0 else 0.0,
            flops=self.flops_per_token * (prep.prompt_tokens + n), stop_reason=reason,
            truncated_tokens=prep.truncated_tokens, notice=prep.notice)


def _stream(text: str, sent: int, stops: tuple[str, ...], hold: int, play: bool,
            on_text: Callable[[str], None] | None) -> int:
    """Hand `on_text` the part of `text` after `sent` (characters already handed over) that
    is final; returns the new `sent`."""
    # Hold back a tail that could be the start of a stop string ("\n" before "\n\n").
    safe = len(text) - _stop_prefix_len(text, stops, hold)
    # Trailing spaces wait for what follows, so the pieces add up to the final text.
    safe = min(safe, len(text.rstrip()))
    if play:  # whole words only: hold back the word being written
        safe = min(safe, max(text.rfind(" "), text.rfind("\n")))
    if on_text and safe > sent:
        on_text(text[sent:safe])
        return safe
    return sent


def _stop_prefix_len(text: str, stops: tuple[str, ...], hold: int) -> int:
    """Length of the longest tail of ``text`` that begins some stop string."""
    for k in range(min(hold, len(text)), 0, -1):
        if any(s.startswith(text[-k:]) for s in stops):
            return k
    return 0
