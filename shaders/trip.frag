#version 330
// A round-trip leg: a soft ribbon with a white-hot core, bright behind the packet (the hops it
// has crossed stay lit, with a comet trail just behind the head) and faint ahead of it.
uniform float u_trail;   // comet trail length as a fraction of the leg
in vec4 v_colour;
in float v_s;
in float v_across;
flat in float v_progress;
out vec4 f_colour;
void main() {
    float x = abs(v_across);
    float glow = exp(-x * x * 4.0) * (1.0 - smoothstep(0.85, 1.0, x));
    float core = 1.0 - smoothstep(0.08, 0.3, x);
    float lit = 1.0, trail = 0.0;
    if (v_progress >= 0.0) {
        float behind = v_progress - v_s;
        trail = behind >= 0.0 ? exp(-behind / u_trail) : 0.0;
        lit = behind >= 0.0 ? 0.45 + 1.4 * trail : 0.13;
    }
    vec3 c = v_colour.rgb * glow * lit + vec3(1.0) * core * (0.1 * lit + 0.6 * trail);
    f_colour = vec4(c * v_colour.a, 1.0);
}
