#version 330
// Thin glowing line coloured by load (idle blue -> teal -> hot orange) with light pulses that
// travel along links carrying traffic; more load, more and faster pulses.
#include "common.glsl"
uniform float u_alpha;          // overall strength (lower for huge constellations)
uniform float u_pulse_spacing_km;
in float v_s_km;
in float v_load;
out vec4 f_colour;
vec3 load_colour(float x) {
    vec3 idle = vec3(0.16, 0.36, 0.95), mid = vec3(0.15, 0.95, 0.85), hot = vec3(1.0, 0.5, 0.18);
    return x < 0.5 ? mix(idle, mid, x * 2.0) : mix(mid, hot, (x - 0.5) * 2.0);
}
void main() {
    float load = clamp(v_load, 0.0, 1.0);
    vec3 c = load_colour(load) * (0.24 + 0.76 * load);
    float phase = v_s_km / u_pulse_spacing_km - u_time * (0.6 + 1.4 * load);
    float pulse = pow(0.5 + 0.5 * cos(6.2831853 * phase), 24.0) * step(0.02, v_load);
    c += vec3(0.9, 1.0, 1.0) * pulse * (0.5 + load);
    f_colour = vec4(c * u_alpha, 1.0);
}
