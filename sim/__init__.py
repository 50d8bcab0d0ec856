"""The embedded simulation: orbits, sun and shadow, laser and ground links, routing, compute
and traffic. Pure Python + numpy/scipy/skyfield/sgp4/torch; never imports viz/ or any GL/window
library (tests/test_layers.py enforces it). Everything outside reads its `Snapshot`."""
