#version 330
#include "glow.glsl"
in vec3 v_colour;
out vec4 f_colour;
void main() {
    float r = length(gl_PointCoord * 2.0 - 1.0);
    float a = sprite_halo(r, 3.5);
    f_colour = vec4(v_colour * a, 1.0);
}
