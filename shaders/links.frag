#version 330
// Thin glowing laser link (one-pixel GL line): colour by load and pulses in the direction of
// flow (include/linkshade.glsl). All animation is here (u_time): no per-frame CPU work.
#include "common.glsl"
#include "linkshade.glsl"
uniform float u_alpha;          // overall strength (lower for huge constellations)
in float v_s_km;
in float v_load;
flat in float v_sign;
out vec4 f_colour;
void main() {
    f_colour = vec4(link_colour(v_s_km, v_load, v_sign, u_time) * u_alpha, 1.0);
}
