#version 330
// Thin glowing line coloured by load (idle blue -> teal -> hot orange) with comet-shaped light
// pulses that travel along links carrying traffic in the direction of the net flow; more load,
// faster pulses. The animation is all here (u_time), so the CPU uploads nothing per frame.
#include "common.glsl"
uniform float u_alpha;          // overall strength (lower for huge constellations)
uniform float u_pulse_spacing_km;
in float v_s_km;
in float v_load;
flat in float v_sign;
out vec4 f_colour;
vec3 load_colour(float x) {
    vec3 idle = vec3(0.16, 0.36, 0.95), mid = vec3(0.15, 0.95, 0.85), hot = vec3(1.0, 0.5, 0.18);
    return x < 0.5 ? mix(idle, mid, x * 2.0) : mix(mid, hot, (x - 0.5) * 2.0);
}
void main() {
    float load = clamp(v_load, 0.0, 1.0);
    vec3 c = load_colour(load) * (0.24 + 0.76 * load);
    // u rises towards the head of each pulse (u -> 1) and wraps to 0 just ahead of it; with
    // sign -1 the same formula runs the other way along the link. The head moves at
    // (0.6..2) pulse spacings per second.
    float u = fract(v_sign * v_s_km / u_pulse_spacing_km - u_time * (0.6 + 1.4 * load));
    float comet = pow(u, 10.0) * (1.0 - smoothstep(0.96, 1.0, u));
    float on = step(0.02, v_load) * abs(v_sign);
    c += vec3(0.9, 1.0, 1.0) * comet * on * (0.7 + load);
    f_colour = vec4(c * u_alpha, 1.0);
}
