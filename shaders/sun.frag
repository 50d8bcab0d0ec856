#version 330
// White-hot disc, warm corona and faint diffraction spikes.
in vec2 v_offset;
out vec4 f_colour;
void main() {
    float r = length(v_offset);
    float disc = 1.0 - smoothstep(0.035, 0.05, r);
    float corona = exp(-r * 9.0) * 0.9 + exp(-r * 3.0) * 0.12;
    float spikes = (exp(-abs(v_offset.x) * 90.0) + exp(-abs(v_offset.y) * 90.0)) * exp(-r * 4.0) * 0.35;
    vec3 c = vec3(1.0, 0.98, 0.92) * disc + vec3(1.0, 0.82, 0.55) * (corona + spikes);
    f_colour = vec4(c * (1.0 - smoothstep(0.85, 1.0, r)), 1.0);
}
