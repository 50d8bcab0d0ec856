"""Lower a thread's CPU priority, so background model work leaves the frame its cores.

The window rasterises on the same CPU cores as the model when there is no GPU (Mesa's
llvmpipe); at equal priority the model stretches frames. Linux applies nice per thread (the
id is the thread's native id); elsewhere this does nothing. Standard library only, so that viz
(the app's model and scenario loaders) uses it too without loading the simulation.
"""

from __future__ import annotations

import os
import threading

BACKGROUND_NICE = 10  # as the app's model thread: it gets what the frame leaves


def lower_thread_priority(native_id: int | None = None, nice: int = BACKGROUND_NICE) -> bool:
    """Raise the nice value of thread ``native_id`` (default: the calling thread) to at least
    ``nice``; never lowers it. Returns True when applied, False when the OS refused or cannot."""
    if not hasattr(os, "setpriority"):
        return False
    ident = threading.get_native_id() if native_id is None else native_id
    try:
        os.setpriority(os.PRIO_PROCESS, ident, max(os.getpriority(os.PRIO_PROCESS, ident), nice))
    except OSError:
        return False
    return True
