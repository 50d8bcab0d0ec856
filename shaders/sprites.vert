#version 330
// Generic point sprites in the scene frame (stations, packet heads, the inference glow).
#include "common.glsl"
in vec3 in_pos;      // GCRS km
in vec4 in_colour;
in float in_size;    // pixels
in float in_shape;   // 0 soft glow, 1 ring with dot (ground station)
out vec4 v_colour;
out float v_shape;
void main() {
    gl_Position = u_view_proj * vec4(in_pos, 1.0);
    gl_Position.z -= 0.0003 * gl_Position.w;   // stay in front of the surface they sit on
    gl_PointSize = in_size;
    v_colour = in_colour;
    v_shape = in_shape;
}
