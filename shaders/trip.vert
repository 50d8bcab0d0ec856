#version 330
// Round-trip legs as thick glowing ribbons: this stage passes each polyline vertex through;
// trip.geom widens every segment into a screen-space quad.
#include "common.glsl"
in vec3 in_pos;       // GCRS km
in vec4 in_colour;    // rgb, strength
in float in_s;        // 0..1 arc-length fraction along the leg
in float in_progress; // 0..1 packet position along the leg; < 0: no packet, evenly lit
in float in_width;    // ribbon width, pixels
in float in_offset;   // sideways shift, pixels, to the right of the direction of travel
out vec4 g_colour;
out float g_s;
out float g_progress;
out float g_width;
out float g_offset;
void main() {
    g_colour = in_colour;
    g_s = in_s;
    g_progress = in_progress;
    g_width = in_width;
    g_offset = in_offset;
    gl_Position = u_view_proj * vec4(in_pos, 1.0);
}
