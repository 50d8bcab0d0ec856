"""Everything that draws or takes input: moderngl, pyglet, imgui-bundle, video capture.
Reads `sim.snapshot.Snapshot` objects only; never imports torch or skyfield, and touches no GL
at import time."""
