"""The panel's live plots: a few figures of the Snapshot's totals, of its first training
job and of its Earth-observation totals, sampled four times a second of wall time, the last 300 samples (75 s) of each."""
from __future__ import annotations

import collections
import time

import numpy as np

#: series name -> the Snapshot total it samples
SERIES = {"rate": "requests_per_s", "pflops": "pflops_in_use", "mean": "latency_mean_ms",
          "p95": "latency_p95_ms"}
#: series name -> the figure of the first training job's last step it samples (s)
TRAINING_SERIES = {"train_step": "step_s", "train_comm": "communication_s"}
#: series name -> the Earth-observation total it samples (sim.capture_view.ObservationView, B)
OBSERVATION_SERIES = {"obs_raw": "raw_collected_bytes", "obs_down": "downlinked_bytes"}


class PlotHistory:
    def __init__(self, keep: int = 300, every_s: float = 0.25):
        self.every_s = every_s
        self._series = {name: collections.deque(maxlen=keep)
                        for name in ("t", *SERIES, *TRAINING_SERIES, *OBSERVATION_SERIES)}
        self._last = -float("inf")

    def sample(self, totals, training=(), observation=None) -> None:
        """Add the current totals (the first training job's last step figures, the
        observation totals), at most once per `every_s` wall seconds."""
        now = time.monotonic()
        if now - self._last < self.every_s:
            return
        self._last = now
        self._series["t"].append(now)
        for name, key in SERIES.items():
            self._series[name].append(float(totals.get(key, 0.0) or 0.0))
        figures = training[0].figures if training else {}
        for name, key in TRAINING_SERIES.items():
            self._series[name].append(float(figures.get(key, 0.0)))
        for name, key in OBSERVATION_SERIES.items():
            self._series[name].append(float(getattr(observation, key, 0.0) or 0.0))

    def clear(self) -> None:
        for series in self._series.values():
            series.clear()

    def series(self, name: str) -> np.ndarray:
        return np.asarray(self._series[name], np.float64)
