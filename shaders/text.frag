#version 330
// Font atlas: red = glyph fill, green = glyph with a dark outline (stroke) for readability over
// the bright Earth. Alpha blending (not additive).
uniform sampler2D u_atlas;
in vec2 v_uv;
in vec4 v_colour;
out vec4 f_colour;
void main() {
    vec2 g = texture(u_atlas, v_uv).rg;
    vec3 c = mix(vec3(0.0, 0.02, 0.05), v_colour.rgb, g.r);
    float a = max(g.r, g.g * 0.85) * v_colour.a;
    f_colour = vec4(c, a);
}
