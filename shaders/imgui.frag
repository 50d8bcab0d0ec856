#version 330 core
// Dear ImGui: vertex colour times the bound texture (the font atlas or a white texel).
uniform sampler2D u_texture;
in vec2 v_uv;
in vec4 v_colour;
out vec4 f_colour;

void main() {
    f_colour = v_colour * texture(u_texture, v_uv);
}
