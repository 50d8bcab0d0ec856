#version 330
// Generic coloured lines (orbit track, ground beams, coastlines). u_model turns the vertex
// frame into the scene frame (identity for GCRS data, ITRS->GCRS for Earth-fixed data).
#include "common.glsl"
uniform mat3 u_model;
in vec3 in_pos;       // km
in vec4 in_colour;    // premultiplied, additive
in float in_t;        // 0..1 along the line, for pulses
out vec4 v_colour;
out float v_t;
void main() {
    v_colour = in_colour;
    v_t = in_t;
    gl_Position = u_view_proj * vec4(u_model * in_pos, 1.0);
}
