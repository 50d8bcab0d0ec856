"""One way to say a duration, from nanoseconds of inference to hours waiting for a pass."""
import pytest

from viz.words import duration_words


@pytest.mark.parametrize("seconds, words", [
    (955e-9, "955 ns"), (12.3e-6, "12.3 us"), (0.0031, "3.10 ms"), (0.042, "42.0 ms"),
    (0.52, "520 ms"), (8.18, "8.18 s"), (12.34, "12.3 s"), (400, "6 min 40 s"),
    (7500, "2 h 05 min"), (0.0, "0 s"), (-1.0, "0 s"),
    # a value that rounds up to 1000 of a unit goes to the next unit, 60 s to a minute
    (999.7e-9, "1.00 us"), (0.99996, "1.00 s"), (59.96, "1 min 00 s"),
    (3599.4, "59 min 59 s"), (3599.6, "1 h 00 min"),
])
def test_duration_words(seconds, words):
    assert duration_words(seconds) == words
