#version 330
#include "glow.glsl"
uniform float u_halo_gain;   // > 1 for a few satellites: a brighter and wider halo
in vec3 v_colour;
in float v_halo;
out vec4 f_colour;
void main() {
    float r = length(gl_PointCoord * 2.0 - 1.0);
    if (r > 1.0) discard;
    float a = sprite_core(r, 0.45) + sprite_halo(r, 5.0 / u_halo_gain) * v_halo;
    // White-hot centre so that markers look like lights, not flat dots.
    vec3 c = mix(v_colour, vec3(1.0), sprite_core(r, 0.22) * 0.6);
    f_colour = vec4(c * a, 1.0);
}
