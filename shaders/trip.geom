#version 330
// Widens a line segment into a quad `g_width` pixels wide in screen space (GL lines are one
// pixel wide on core profiles). A segment crossing the camera plane is cut at a small w so
// that the close chase camera never gets a quad flipped through infinity. g_offset shifts the
// ribbon sideways (to the right of its direction of travel): the way up and the way down of a
// round trip, which follow the same satellites in opposite directions, then run side by side
// like the two lanes of a road instead of on top of each other.
#include "common.glsl"
layout(lines) in;
layout(triangle_strip, max_vertices = 4) out;
in vec4 g_colour[];
in float g_s[];
in float g_progress[];
in float g_width[];
in float g_offset[];
out vec4 v_colour;
out float v_s;
out float v_across;      // -1..1 across the ribbon
flat out float v_progress;
void emit(vec4 clip, vec2 offset, int i, float across) {
    gl_Position = clip + vec4(offset * clip.w, 0.0, 0.0);
    v_colour = g_colour[i];
    v_s = g_s[i];
    v_across = across;
    v_progress = g_progress[0];
    EmitVertex();
}
void main() {
    const float NEAR_W = 1.0;  // km in front of the eye
    vec4 a = gl_in[0].gl_Position, b = gl_in[1].gl_Position;
    if (a.w < NEAR_W && b.w < NEAR_W) return;
    if (a.w < NEAR_W) a = mix(a, b, (NEAR_W - a.w) / (b.w - a.w));
    if (b.w < NEAR_W) b = mix(b, a, (NEAR_W - b.w) / (a.w - b.w));
    vec2 sa = a.xy / a.w * u_viewport, sb = b.xy / b.w * u_viewport;
    vec2 d = sb - sa;
    d = dot(d, d) > 1e-6 ? normalize(d) : vec2(1.0, 0.0);
    vec2 n = vec2(-d.y, d.x) / u_viewport;   // one pixel across, in NDC units / 2
    vec2 sa_off = -n * 2.0 * g_offset[0], sb_off = -n * 2.0 * g_offset[1];  // right-hand lane
    emit(a, sa_off + n * g_width[0], 0, 1.0);
    emit(a, sa_off - n * g_width[0], 0, -1.0);
    emit(b, sb_off + n * g_width[1], 1, 1.0);
    emit(b, sb_off - n * g_width[1], 1, -1.0);
    EndPrimitive();
}
