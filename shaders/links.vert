#version 330
// Laser links as GL lines. Each vertex carries the link's two satellite indices (this end
// first), its load ratio and the net direction of its traffic; positions come from the
// satellite texture, so nothing is uploaded per frame for links unless the topology or the
// load changed.
#include "common.glsl"
#include "satdata.glsl"
in ivec2 in_pair;     // (this end, other end) satellite indices
in float in_end;      // 0 at satellite i (the lower index), 1 at j
in float in_load;     // load / capacity, 0..1 (may exceed 1 when overloaded)
in float in_sign;     // +1 traffic flows i -> j, -1 j -> i, 0 none
out float v_s_km;     // distance from the lower-index end, km
out float v_load;
flat out float v_sign;
void main() {
    vec3 p = sat_position(in_pair.x);
    vec3 q = sat_position(in_pair.y);
    v_s_km = in_end * distance(p, q);
    v_load = in_load;
    v_sign = in_sign;
    gl_Position = u_view_proj * vec4(p, 1.0);
}
