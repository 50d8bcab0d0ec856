#version 330
// Faint route plus a bright comet trail behind the packet head (uplink periwinkle, downlink
// lilac: gold and cyan are kept for the round trips a presenter sends).
uniform float u_trail;   // trail length as a fraction of the route
uniform float u_gain;    // overall strength: lower when hundreds of routes are in view
in float v_s;
flat in float v_progress;
flat in float v_dir;
out vec4 f_colour;
void main() {
    vec3 c = v_dir > 0.0 ? vec3(0.55, 0.62, 1.0) : vec3(0.85, 0.52, 1.0);
    float behind = (v_progress - v_s) * v_dir;            // > 0 behind the head
    float trail = behind >= 0.0 ? exp(-behind / u_trail) : 0.0;
    f_colour = vec4(c * (0.12 + 1.1 * trail) * u_gain, 1.0);
}
