#version 330
// Shapes: 0 soft glow, 1 ring with a dot (ground station), 2 dashed ring turning slowly
// (something waiting), 3 thin ring (ripples and upcoming hops).
#include "glow.glsl"
uniform float u_time;
in vec4 v_colour;
in float v_shape;
out vec4 f_colour;
void main() {
    vec2 q = gl_PointCoord * 2.0 - 1.0;
    float r = length(q);
    if (r > 1.0) discard;
    float ring = 1.0 - smoothstep(0.07, 0.14, abs(r - 0.7));
    float a;
    if (v_shape < 0.5) {
        a = sprite_core(r, 0.3) + sprite_halo(r, 4.0) * 0.7;
    } else if (v_shape < 1.5) {
        a = ring + sprite_core(r, 0.28);
    } else if (v_shape < 2.5) {
        float turn = atan(q.y, q.x) / 6.2831853 + 0.08 * u_time;
        a = ring * step(0.45, fract(turn * 10.0));
    } else {
        a = 1.0 - smoothstep(0.04, 0.1, abs(r - 0.8));
    }
    f_colour = vec4(v_colour.rgb * v_colour.a * a, 1.0);
}
