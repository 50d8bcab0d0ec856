"""The app's message line: what happened ("Loaded ...", "Screenshot saved: ...") and what went
wrong, shown for a few seconds at the bottom of the window; errors also go to stderr."""
from __future__ import annotations

import collections
import sys
import time
from typing import Iterator, NamedTuple


class Message(NamedTuple):
    wall_s: float  #: time.monotonic() when it was posted
    text: str
    level: str  #: "info" or "error"


class MessageLog:
    """The last few messages. Thread-safe for posting (deque.append is atomic), so a loader
    thread may post."""

    def __init__(self, keep: int = 6):
        self._messages: collections.deque[Message] = collections.deque(maxlen=keep)

    def post(self, text: str, level: str = "info") -> None:
        self._messages.append(Message(time.monotonic(), text, level))
        if level == "error":
            print(f"orbitviz: {text}", file=sys.stderr)

    def recent(self, within_s: float, errors_only: bool = False) -> list[Message]:
        """Messages posted in the last `within_s` seconds (errors only, if asked)."""
        now = time.monotonic()
        return [m for m in self._messages if now - m.wall_s < within_s
                and (m.level == "error" or not errors_only)]

    def __iter__(self) -> Iterator[Message]:
        return iter(list(self._messages))

    def __getitem__(self, index: int) -> Message:
        return self._messages[index]

    def __len__(self) -> int:
        return len(self._messages)
