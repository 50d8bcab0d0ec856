#version 330
#include "common.glsl"
uniform float u_pulse_rate;  // pulses per second travelling along t (0 = none)
in vec4 v_colour;
in float v_t;
out vec4 f_colour;
void main() {
    float pulse = u_pulse_rate > 0.0 ? pow(0.5 + 0.5 * cos(6.2831853 * (v_t * 3.0 - u_time * u_pulse_rate)), 8.0) : 0.0;
    f_colour = vec4(v_colour.rgb * v_colour.a * (1.0 + 1.5 * pulse), 1.0);
}
