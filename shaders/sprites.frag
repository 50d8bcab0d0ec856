#version 330
#include "glow.glsl"
in vec4 v_colour;
in float v_shape;
out vec4 f_colour;
void main() {
    float r = length(gl_PointCoord * 2.0 - 1.0);
    if (r > 1.0) discard;
    float a = v_shape < 0.5
        ? sprite_core(r, 0.3) + sprite_halo(r, 4.0) * 0.7
        : (1.0 - smoothstep(0.07, 0.14, abs(r - 0.7))) + sprite_core(r, 0.28);
    f_colour = vec4(v_colour.rgb * v_colour.a * a, 1.0);
}
