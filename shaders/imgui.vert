#version 330 core
// Dear ImGui draw lists (viz/ui/imgui_gl.py): 2D vertices in display points, projected by
// an orthographic matrix covering the display.
uniform mat4 u_proj;
in vec2 in_pos;
in vec2 in_uv;
in vec4 in_colour;
out vec2 v_uv;
out vec4 v_colour;

void main() {
    v_uv = in_uv;
    v_colour = in_colour;
    gl_Position = u_proj * vec4(in_pos, 0.0, 1.0);
}
