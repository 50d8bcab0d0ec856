#version 330
// Laser links as wide glowing ribbons, for small constellations (a 12-satellite cluster must
// not look like a few hairlines): the same inputs as links.vert; links_wide.geom widens them.
#include "common.glsl"
#include "satdata.glsl"
in ivec2 in_pair;     // (this end, other end) satellite indices
in float in_end;      // 0 at satellite i (the lower index), 1 at j
in float in_load;     // load / capacity
in float in_sign;     // +1 traffic flows i -> j, -1 j -> i, 0 none
out float g_s_km;
out float g_load;
out float g_sign;
void main() {
    vec3 p = sat_position(in_pair.x);
    vec3 q = sat_position(in_pair.y);
    g_s_km = in_end * distance(p, q);
    g_load = in_load;
    g_sign = in_sign;
    gl_Position = u_view_proj * vec4(p, 1.0);
}
