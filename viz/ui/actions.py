"""What the panels may ask of the app beyond the Session and the camera: a narrow protocol
(implemented by viz/ui/window.py AppWindow), so that a panel is handed what it needs and not
the whole window."""
from __future__ import annotations

from typing import NamedTuple, Protocol


class RecordingStatus(NamedTuple):
    frames: int
    seconds: float  #: video seconds so far


class AppActions(Protocol):
    shots_dir: str  #: where screenshots and recordings go

    def toggle_follow(self) -> None:
        """Follow the selected satellite, or stop following."""

    def toggle_record(self) -> None:
        """Start or stop recording the window."""

    def screenshot(self) -> str | None:
        """Save a full-resolution picture of the scene; the path, or None on failure."""

    def recording(self) -> RecordingStatus | None:
        """The recording under way, or None."""

    def detail_notes(self) -> list[str]:
        """What the scene thins or leaves out and how the sim keeps up, one line each."""
