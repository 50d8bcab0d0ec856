#version 330
in vec3 v_colour;
in float v_pulse;
out vec4 f_colour;
void main() {
    float r = length(gl_PointCoord * 2.0 - 1.0);
    float ring = 1.0 - smoothstep(0.06, 0.12, abs(r - 0.72));
    float outer = exp(-pow((r - (0.8 + 0.15 * v_pulse)) / 0.08, 2.0)) * 0.35;
    float a = (ring + outer) * (1.0 - smoothstep(0.95, 1.0, r));
    f_colour = vec4(v_colour * a, 1.0);
}
