"""Every shader program in shaders/ compiles and links; the loader expands #include."""
import pytest

from viz.shaders import SHADER_DIR, ShaderError, ShaderLibrary, load_source, program_names


def test_programs_found():
    names = program_names()
    assert {"earth", "atmosphere", "stars", "sun", "markers", "rings", "links", "flows",
            "lines", "sprites", "text"} <= set(names)


@pytest.mark.parametrize("name", program_names())
def test_program_links(ctx, name):
    lib = ShaderLibrary(ctx)
    prog = lib.program(name)
    assert prog.glo > 0
    lib.release()


def test_include_expanded():
    text = load_source(SHADER_DIR / "markers.vert")
    assert "#include" not in text
    assert "vec3 sat_position(int i)" in text


def test_include_cycle(tmp_path):
    (tmp_path / "include").mkdir()
    (tmp_path / "include" / "a.glsl").write_text('#include "b.glsl"\n')
    (tmp_path / "include" / "b.glsl").write_text('#include "a.glsl"\n')
    (tmp_path / "x.vert").write_text('#include "a.glsl"\n')
    with pytest.raises(ShaderError, match="cycle"):
        load_source(tmp_path / "x.vert", tmp_path)


def test_bad_shader_names_file(ctx, tmp_path):
    (tmp_path / "bad.vert").write_text("#version 330\nvoid main() { nope; }\n")
    (tmp_path / "bad.frag").write_text("#version 330\nout vec4 c; void main() { c = vec4(1); }\n")
    with pytest.raises(ShaderError, match="bad"):
        ShaderLibrary(ctx, tmp_path).program("bad")


def test_earth_radius_comes_from_sim_constants():
    """The shaders' Earth is the sim's Earth: the radius is generated, not typed in GLSL."""
    from sim.constants import EARTH_RADIUS_KM

    text = load_source(SHADER_DIR / "earth.vert")
    assert f"const float EARTH_RADIUS_KM = {EARTH_RADIUS_KM!r};" in text
    assert text.count("const float EARTH_RADIUS_KM") == 1
