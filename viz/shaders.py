"""The one loader of GLSL: reads `shaders/<name>.vert|.frag|.geom`, expands `#include "x.glsl"`
(from `shaders/include/`), and links programs once per context (cached by name).

Nothing here touches GL until `ShaderLibrary.program()` is called with a live context.
"""
from __future__ import annotations

import pathlib
import re

SHADER_DIR = pathlib.Path(__file__).resolve().parents[1] / "shaders"
_INCLUDE = re.compile(r'^\s*#include\s+"([^"]+)"\s*$', re.MULTILINE)


class ShaderError(RuntimeError):
    """A shader failed to load, compile or link; the message names the file."""


def load_source(path: pathlib.Path, root: pathlib.Path = SHADER_DIR, _seen: tuple = ()) -> str:
    """Return the GLSL text of `path` with every `#include "name"` replaced by the text of
    `root/include/name` (recursively; an include cycle raises ShaderError)."""
    if path in _seen:
        raise ShaderError(f"include cycle: {' -> '.join(p.name for p in _seen + (path,))}")
    try:
        text = path.read_text()
    except OSError as error:
        raise ShaderError(f"{path}: {error.strerror}") from None

    def expand(match: re.Match) -> str:
        inc = root / "include" / match.group(1)
        return load_source(inc, root, _seen + (path,))

    return _INCLUDE.sub(expand, text)


def program_names(root: pathlib.Path = SHADER_DIR) -> list[str]:
    """Names of every program in `root` (a .vert file with a matching .frag)."""
    return sorted(p.stem for p in root.glob("*.vert") if p.with_suffix(".frag").exists())


class ShaderLibrary:
    """Compiles and caches moderngl programs for one context, loaded by name."""

    def __init__(self, ctx, root: pathlib.Path = SHADER_DIR):
        self.ctx = ctx
        self.root = pathlib.Path(root)
        self._cache: dict[str, object] = {}

    def program(self, name: str):
        """The linked program `name` (files `name.vert`, `name.frag`, optional `name.geom`)."""
        prog = self._cache.get(name)
        if prog is None:
            parts = {}
            for stage, ext in (("vertex_shader", "vert"), ("fragment_shader", "frag"),
                               ("geometry_shader", "geom")):
                path = self.root / f"{name}.{ext}"
                if path.exists():
                    parts[stage] = load_source(path, self.root)
            if "vertex_shader" not in parts or "fragment_shader" not in parts:
                raise ShaderError(f"{self.root}/{name}: needs both .vert and .frag")
            try:
                prog = self.ctx.program(**parts)
            except Exception as error:  # moderngl raises its own Error with the GL log
                raise ShaderError(f"shaders/{name}: {error}") from None
            self._cache[name] = prog
        return prog

    def release(self) -> None:
        for prog in self._cache.values():
            prog.release()
        self._cache.clear()
