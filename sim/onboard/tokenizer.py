"""Tokenizers (through the ``tokenizers`` library, from a checkpoint's tokenizer.json), prompt
framing, and streaming detokenisation.

Two kinds of model are served:
- the shipped byte-level model: token id == byte value (0-255) plus ``<|endoftext|>`` (256). It
  was trained on plays, so a prompt is framed as a play dialogue between the ground station and
  the satellite, and the satellite's speech ends at the first blank line;
- a real Qwen3 checkpoint: its own tokenizer.json, the Qwen3 chat template in non-thinking mode,
  and generation stops on its end tokens (``<|im_end|>``, ``<|endoftext|>``).
"""

from __future__ import annotations

from pathlib import Path

from sim.errors import UserError

END_OF_TEXT = "<|endoftext|>"
IM_START, IM_END = "<|im_start|>", "<|im_end|>"


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's byte -> printable character map, which the ByteLevel pre-tokenizer uses (so every
    byte has a visible, whitespace-free stand-in inside tokenizer.json)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) \
        + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def _import_tokenizers():
    try:
        import tokenizers
    except ImportError as exc:  # a runtime dependency: say so instead of a traceback
        raise UserError("the 'tokenizers' package is needed to load a model folder: "
                        "pip install tokenizers") from exc
    return tokenizers


def build_byte_tokenizer():
    """A ``tokenizers.Tokenizer`` whose ids are raw byte values, plus <|endoftext|> = 256.

    train.py saves it as the shipped model's tokenizer.json, so the default model loads through
    the same code path as a real Qwen3 checkpoint."""
    tk = _import_tokenizers()
    vocab = {ch: b for b, ch in bytes_to_unicode().items()}
    tok = tk.Tokenizer(tk.models.BPE(vocab=vocab, merges=[]))  # no merges: one token per byte
    # use_regex=False: no word splitting, the text maps to its bytes one for one.
    tok.pre_tokenizer = tk.pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    tok.decoder = tk.decoders.ByteLevel()
    tok.add_special_tokens([tk.AddedToken(END_OF_TEXT, special=True)])
    return tok


class Tokenizer:
    """Encode / decode text for one model folder, and frame prompts the way that model expects."""

    def __init__(self, path: Path | str):
        path = Path(path)
        tk = _import_tokenizers()
        try:
            self._tok = tk.Tokenizer.from_file(str(path))
        except Exception as exc:  # the library raises a bare Exception on bad JSON
            raise UserError(f"{path}: not a readable tokenizer.json ({exc})") from exc
        self.vocab_size = self._tok.get_vocab_size(with_added_tokens=True)
        self.chat = self._tok.token_to_id(IM_START) is not None and \
            self._tok.token_to_id(IM_END) is not None
        ends = [IM_END, END_OF_TEXT] if self.chat else [END_OF_TEXT]
        self.end_ids = {i for i in (self._tok.token_to_id(t) for t in ends) if i is not None}
        # The byte model's reply is one speech: it ends where the play's next speaker would begin.
        self.stop_strings: tuple[str, ...] = () if self.chat else ("\n\n",)
        # The byte model may take an unfamiliar speaker name for a stage heading and open with
        # a blank line (which would end the speech at once) or another speaker's name: the
        # engine bans a newline as first token and drops a speaker or stage line it opens with,
        # and streams whole words (a reply cut at max tokens then ends on a whole word).
        self.play = not self.chat
        self.banned_first: set[int] = set(self.encode("\n")) if self.play else set()

    def encode(self, text: str) -> list[int]:
        """Text -> ids; special-token strings inside the text are tokens (the chat template
        relies on that)."""
        return self._tok.encode(text, add_special_tokens=False).ids

    def encode_plain(self, text: str) -> list[int]:
        """User text -> ids, with special-token strings split into ordinary text, so that a user
        cannot close the template's turn by typing ``<|im_end|>``."""
        specials = [t for t in (IM_START, IM_END, END_OF_TEXT) if t in text]
        for s in specials:  # a zero-width joiner breaks the marker without changing how it reads
            text = text.replace(s, s[0] + "\u200d" + s[1:])
        return self.encode(text)

    def decode(self, ids: list[int]) -> str:
        return self._tok.decode(ids, skip_special_tokens=True)

    def frame_parts(self, station_name: str, satellite_name: str,
                    system: str | None = None) -> tuple[str, str]:
        """Text before and after the user's prompt, so the answer reads as the satellite speaking."""
        if self.chat:
            return chat_template_parts(station_name, satellite_name, system)
        return play_frame_parts(station_name, satellite_name)


def play_frame_parts(station_name: str, satellite_name: str) -> tuple[str, str]:
    """The plays name each speaker in capitals on their own line ("HAMLET.") and leave a blank
    line between speeches; the ground station speaks first, then the satellite answers."""
    station = f"GROUND STATION {station_name}".upper() if station_name else "GROUND STATION"
    sat = f"SATELLITE {satellite_name}".upper() if satellite_name else "SATELLITE"
    return f"{station}.\n", f"\n\n{sat}.\n"


def frame_prompt(prompt: str, station_name: str, satellite_name: str) -> str:
    """The play-style dialogue the byte model continues as the satellite::

        GROUND STATION KASHI.
        What news from orbit?

        SATELLITE XINGSHI-07.
    """
    before, after = play_frame_parts(station_name, satellite_name)
    return before + prompt.strip() + after


def chat_template_parts(station_name: str, satellite_name: str,
                        system: str | None = None) -> tuple[str, str]:
    """Qwen3's chat template, rendered for one user turn in non-thinking mode (what
    ``apply_chat_template(..., add_generation_prompt=True, enable_thinking=False)`` produces:
    an empty think block tells the model to answer directly)."""
    if system is None:
        system = (f"You are the onboard AI of the computing satellite {satellite_name or 'in orbit'}. "
                  f"You answer the ground station {station_name or 'on Earth'} briefly.")
    before = f"{IM_START}system\n{system}{IM_END}\n{IM_START}user\n"
    after = f"{IM_END}\n{IM_START}assistant\n<think>\n\n</think>\n\n"
    return before, after


def chat_prompt(prompt: str, station_name: str = "", satellite_name: str = "",
                system: str | None = None) -> str:
    """The full chat-template text for one prompt (for real Qwen3 checkpoints)."""
    before, after = chat_template_parts(station_name, satellite_name, system)
    return before + prompt + after


class StreamDecoder:
    """Turns ids arriving one at a time into text pieces. A byte-level token can be half of a
    UTF-8 character, so text is emitted only once it decodes without a replacement character."""

    def __init__(self, tokenizer: Tokenizer):
        self.tok = tokenizer
        self.ids: list[int] = []
        self.emitted = 0  # characters of decode(self.ids) already handed out

    def push(self, token_id: int) -> str:
        """Add one id; return the new text it completes (may be empty)."""
        self.ids.append(token_id)
        text = self.tok.decode(self.ids)
        if text.endswith("\ufffd"):
            return ""  # wait for the rest of the character
        piece = text[self.emitted:]
        self.emitted = len(text)
        return piece
