"""Traffic bookkeeping helpers."""
import numpy as np

from sim.traffic import percentile


def test_percentile_is_numpys_to_the_bit():
    rng = np.random.default_rng(3)
    for n in list(range(1, 80)) + [499, 500]:
        values = rng.gamma(2.0, 5.0, n)
        if n % 3 == 0:
            values = np.round(values, 1)  # ties
        for q in (0.0, 12.5, 50.0, 95.0, 99.9, 100.0):
            assert percentile(values.copy(), q) == float(np.percentile(values, q)), (n, q)
