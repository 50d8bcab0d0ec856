#version 330
// Screen-space text quads: pixel coordinates with the origin at the top-left corner.
#include "common.glsl"
in vec2 in_px;
in vec2 in_uv;
in vec4 in_colour;
out vec2 v_uv;
out vec4 v_colour;
void main() {
    v_uv = in_uv;
    v_colour = in_colour;
    gl_Position = vec4(in_px.x / u_viewport.x * 2.0 - 1.0, 1.0 - in_px.y / u_viewport.y * 2.0, 0.0, 1.0);
}
