"""DESIGN.md rule 1: sim/ never imports viz/ or GL/window libraries; viz/ never imports torch
or skyfield. Walks every import statement (module level and inside functions)."""
import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
FORBIDDEN = {
    "sim": {"viz", "moderngl", "pyglet", "imgui_bundle", "glcontext", "OpenGL"},
    "viz": {"torch", "skyfield", "sgp4", "transformers"},
}


def imported_top_names(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_layer_imports(package):
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"{package}/ has no modules"
    offenders = {
        str(f.relative_to(ROOT)): sorted(imported_top_names(f) & FORBIDDEN[package]) for f in files
    }
    offenders = {k: v for k, v in offenders.items() if v}
    assert not offenders, f"layer rule broken: {offenders}"


def test_no_glsl_in_python():
    """DESIGN.md rule 6: shader source lives only in shaders/."""
    for f in list((ROOT / "sim").rglob("*.py")) + list((ROOT / "viz").rglob("*.py")):
        assert "#version" not in f.read_text(), f"GLSL source inside {f}"
