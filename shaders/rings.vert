#version 330
// Highlight rings: vertex 0 marks the selected satellite, vertex 1 the hovered one (index -1 =
// none, moved off screen).
#include "common.glsl"
#include "satdata.glsl"
uniform int u_selected;
uniform int u_hovered;
uniform float u_size_px;
out vec3 v_colour;
out float v_pulse;
void main() {
    int i = gl_VertexID == 0 ? u_selected : u_hovered;
    if (i < 0) { gl_Position = vec4(2.0, 2.0, 2.0, 1.0); return; }
    vec3 p = sat_position(i);
    gl_Position = u_view_proj * vec4(p, 1.0);
    // Draw rings in front of the Earth's surface even when the marker is right at the limb.
    gl_Position.z -= 0.0005 * gl_Position.w;
    gl_PointSize = gl_VertexID == 0 ? u_size_px : u_size_px * 0.8;
    v_colour = gl_VertexID == 0 ? vec3(1.0, 0.93, 0.55) : vec3(0.75, 0.9, 1.0);
    v_pulse = gl_VertexID == 0 ? 0.5 + 0.5 * sin(u_time * 4.0) : 0.0;
}
