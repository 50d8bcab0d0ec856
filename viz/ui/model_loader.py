"""Loading the onboard model ahead of the first prompt, on a thread, at a lower CPU priority
(sim/priority.py), so that the first prompt does not freeze the window for the seconds a
model takes to load. The model's worker thread lowers its own priority."""
from __future__ import annotations

import threading

from sim.errors import UserError
from sim.interface import SimWorld
from sim.priority import lower_thread_priority

class ModelPreloader:
    """One "model-loader" thread at a time calling `world.load_model()`; a failure is passed
    to `on_error(text)` (the message log), and the prompt that waits for it is sent anyway
    (it then reports the same failure)."""

    def __init__(self, on_error):
        self.on_error = on_error
        self._thread: threading.Thread | None = None

    def start(self, world: SimWorld) -> None:
        """Load `world`'s model on a thread, unless it is loaded or already loading."""
        if self._thread is not None or world.model_loaded:
            return

        def load():
            lower_thread_priority()  # the frame on the main thread goes first
            try:
                world.load_model()
            except Exception as error:  # noqa: BLE001 (reported; the app goes on)
                text = str(error) if isinstance(error, UserError) else \
                    f"{type(error).__name__}: {error}"
                self.on_error(f"The onboard model did not load: {text}")

        self._thread = threading.Thread(target=load, name="model-loader", daemon=True)
        self._thread.start()

    @property
    def loading(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def join(self) -> None:
        """Wait for the thread (call only when `loading` is False, or off the frame)."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None
