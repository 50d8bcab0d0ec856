#version 330
// Wide laser link: the thin link's colour (include/linkshade.glsl) with a soft glow across.
#include "common.glsl"
#include "linkshade.glsl"
uniform float u_alpha;
in float v_s_km;
in float v_across;
flat in float v_load;
flat in float v_sign;
out vec4 f_colour;
void main() {
    float x = abs(v_across);
    float glow = exp(-x * x * 5.0) * (1.0 - smoothstep(0.8, 1.0, x)) + (1.0 - smoothstep(0.1, 0.3, x));
    f_colour = vec4(link_colour(v_s_km, v_load, v_sign, u_time) * glow * 0.7 * u_alpha, 1.0);
}
