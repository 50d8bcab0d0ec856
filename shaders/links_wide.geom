#version 330
// Widens each link into a screen-space quad u_width_px wide (cut at the camera plane, as in
// trip.geom), with v_across -1..1 across it for a soft glow profile.
#include "common.glsl"
layout(lines) in;
layout(triangle_strip, max_vertices = 4) out;
uniform float u_width_px;
in float g_s_km[];
in float g_load[];
in float g_sign[];
out float v_s_km;
out float v_across;
flat out float v_load;
flat out float v_sign;
void emit(vec4 clip, vec2 offset, float s, float across) {
    gl_Position = clip + vec4(offset * clip.w, 0.0, 0.0);
    v_s_km = s;
    v_across = across;
    v_load = g_load[0];
    v_sign = g_sign[0];
    EmitVertex();
}
void main() {
    const float NEAR_W = 1.0;
    vec4 a = gl_in[0].gl_Position, b = gl_in[1].gl_Position;
    float sa = g_s_km[0], sb = g_s_km[1];
    if (a.w < NEAR_W && b.w < NEAR_W) return;
    if (a.w < NEAR_W) { float k = (NEAR_W - a.w) / (b.w - a.w); a = mix(a, b, k); sa = mix(sa, sb, k); }
    if (b.w < NEAR_W) { float k = (NEAR_W - b.w) / (a.w - b.w); b = mix(b, a, k); sb = mix(sb, sa, k); }
    vec2 d = b.xy / b.w * u_viewport - a.xy / a.w * u_viewport;
    d = dot(d, d) > 1e-6 ? normalize(d) : vec2(1.0, 0.0);
    vec2 n = vec2(-d.y, d.x) / u_viewport * u_width_px;
    emit(a, n, sa, 1.0);
    emit(a, -n, sa, -1.0);
    emit(b, n, sb, 1.0);
    emit(b, -n, sb, -1.0);
    EndPrimitive();
}
