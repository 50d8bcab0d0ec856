#version 330
// Round-trip legs as thick glowing ribbons: this stage passes each polyline vertex through;
// trip.geom widens every segment into a screen-space quad.
#include "common.glsl"
in vec3 in_pos;       // GCRS km
in vec4 in_colour;    // rgb, strength
in float in_s;        // 0..1 arc-length fraction along the leg
in float in_progress; // 0..1 packet position along the leg; < 0: no packet, evenly lit
in float in_width;    // ribbon width, pixels
out vec4 g_colour;
out float g_s;
out float g_progress;
out float g_width;
void main() {
    g_colour = in_colour;
    g_s = in_s;
    g_progress = in_progress;
    g_width = in_width;
    gl_Position = u_view_proj * vec4(in_pos, 1.0);
}
