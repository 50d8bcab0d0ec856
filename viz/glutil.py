"""Small moderngl helpers shared by the layers: uniforms, matrices, textures, change tracking."""
from __future__ import annotations

import functools
import pathlib

import numpy as np

ANISOTROPY = 1.0  #: llvmpipe: anisotropic filtering costs ~10x in the Earth shader
ASSETS = pathlib.Path(__file__).resolve().parents[1] / "assets"


def mat4_bytes(m: np.ndarray) -> bytes:
    """Row-major float64 numpy matrix -> column-major float32 bytes for a GLSL mat."""
    return np.ascontiguousarray(np.asarray(m, np.float32).T).tobytes()


def set_uniforms(prog, **values) -> None:
    """Set uniforms that exist in `prog` (the GLSL compiler drops unused ones, which is fine).
    numpy matrices go through mat4_bytes; other values are assigned as they are."""
    for name, value in values.items():
        if name not in prog:
            continue
        if isinstance(value, np.ndarray) and value.ndim == 2:
            prog[name].write(mat4_bytes(value))
        elif isinstance(value, np.ndarray):
            prog[name].value = tuple(float(v) for v in value)
        else:
            prog[name].value = value


def frame_uniforms(camera, time_s: float) -> dict:
    """The uniforms of shaders/include/common.glsl for this camera."""
    return dict(u_view_proj=camera.view_projection(), u_eye=np.asarray(camera.eye()),
                u_viewport=tuple(float(v) for v in camera.size), u_time=float(time_s))


@functools.lru_cache(maxsize=8)
def _read_image(path: str, max_width: int, alpha_path: str | None = None):
    from PIL import Image  # pillow is only needed when a texture is first loaded

    img = Image.open(path)
    if img.width > max_width:
        img = img.resize((max_width, max_width * img.height // img.width), Image.LANCZOS)
    if alpha_path:
        alpha = Image.open(alpha_path).convert("L").resize(img.size, Image.BILINEAR)
        img = img.convert("RGB")
        img.putalpha(alpha)
    return img.mode, img.size, img.tobytes()


def load_texture(ctx, relpath: str, max_width: int = 8192, mipmaps: bool = True,
                 alpha_relpath: str | None = None):
    """Load an image from assets/ into a texture (RGB or single-channel; with alpha_relpath, a
    grey image from assets/ becomes the alpha channel), mipmapped, repeat in u (longitude
    wraps) and clamped in v."""
    mode, size, data = _read_image(str(ASSETS / relpath), max_width,
                                   str(ASSETS / alpha_relpath) if alpha_relpath else None)
    components = {"L": 1, "RGB": 3, "RGBA": 4}[mode]
    tex = ctx.texture(size, components, data)
    if mipmaps:
        tex.build_mipmaps()
        tex.anisotropy = ANISOTROPY
    tex.repeat_y = False
    return tex


class Versions:
    """Remembers which (group version, array size) a layer last uploaded, so that `changed()`
    is True only when the snapshot's content differs (also when a new World starts over)."""

    def __init__(self):
        self._seen: dict[str, tuple] = {}

    def changed(self, snapshot, group: str, *sizes) -> bool:
        key = (snapshot.versions.get(group, -1), *sizes)
        if self._seen.get(group) == key:
            return False
        self._seen[group] = key
        return True

    def reset(self) -> None:
        self._seen.clear()


def uv_sphere(n_lon: int = 128, n_lat: int = 64):
    """Unit sphere mesh: (vertices (V,5) float32 [nx ny nz u v], indices (I,) int32). The seam
    column is duplicated so u runs 0..1 without wrapping; v = 0 at the north pole."""
    u = np.linspace(0.0, 1.0, n_lon + 1)
    v = np.linspace(0.0, 1.0, n_lat + 1)
    uu, vv = np.meshgrid(u, v)
    lon = uu * 2 * np.pi - np.pi
    lat = np.pi / 2 - vv * np.pi
    verts = np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat), uu, vv],
                     -1).reshape(-1, 5)
    i = np.arange(n_lat)[:, None] * (n_lon + 1) + np.arange(n_lon)[None, :]
    a, b, c, d = i, i + 1, i + n_lon + 1, i + n_lon + 2
    # Counter-clockwise seen from outside.
    tris = np.stack([a, c, b, b, c, d], -1).reshape(-1)
    return verts.astype(np.float32), tris.astype(np.int32)


class DynamicMesh:
    """A vertex buffer + VAO that grows as needed; `write(array)` uploads a structured or
    float32 array of vertices and remembers the count for `render`."""

    def __init__(self, ctx, prog, fmt: str, *attrs: str):
        self.ctx, self.prog, self.fmt, self.attrs = ctx, prog, fmt, attrs
        self.count = 0
        self._cap = 0
        self.buf = self.vao = None

    def write(self, vertices: np.ndarray) -> None:
        data = np.ascontiguousarray(vertices)
        self.count = len(data)
        if not self.count:
            return
        if data.nbytes > self._cap:
            self.release()
            self._cap = max(data.nbytes, 2 * self._cap, 4096)
            self.buf = self.ctx.buffer(reserve=self._cap)
            self.vao = self.ctx.vertex_array(self.prog, [(self.buf, self.fmt, *self.attrs)])
        self.buf.write(data.tobytes())

    def render(self, mode) -> None:
        if self.count:
            self.vao.render(mode, vertices=self.count)

    def release(self) -> None:
        for obj in (self.vao, self.buf):
            if obj is not None:
                obj.release()
        self.vao = self.buf = None
        self._cap = 0
