#version 330
// One point sprite per satellite, no vertex buffer: gl_VertexID is the satellite index and the
// position/state come from the shared satellite textures. Size attenuates with distance and with
// the constellation's size (u_base_px) so that 12 and 100,000 satellites both read well.
#include "common.glsl"
#include "satdata.glsl"
uniform float u_base_px;       // marker diameter at the reference distance, pixels
uniform float u_ref_dist_km;   // distance at which the marker is u_base_px wide
uniform float u_halo_gain;     // halo strength: high for a dozen satellites, 1 for thousands
uniform int u_stride;          // draw satellite gl_VertexID * u_stride (1: every one)
out vec3 v_colour;
out float v_halo;
// True when the Earth hides `p` from the eye: the straight segment between them passes inside
// the sphere (viz/picking.py `occluded_by_earth`, the same test). Such markers are dropped
// here: the depth test would hide them too, but only after shading every fragment (the round
// sprite discards, so there is no early depth test), about half the markers of a globe view.
bool behind_earth(vec3 p) {
    vec3 d = p - u_eye;
    float t = clamp(-dot(u_eye, d) / max(dot(d, d), 1e-6), 0.0, 1.0);
    vec3 closest = u_eye + d * t;
    return dot(closest, closest) < EARTH_RADIUS_KM * EARTH_RADIUS_KM;
}

void main() {
    int i = gl_VertexID * max(u_stride, 1);
    vec4 st = sat_state(i);
    vec3 p = sat_position(i);
    if (st.w < 0.5 || behind_earth(p)) {
        gl_Position = vec4(2.0, 2.0, 2.0, 1.0); gl_PointSize = 1.0; return;
    }
    gl_Position = u_view_proj * vec4(p, 1.0);
    float util = clamp(st.z, 0.0, 1.0);
    float zoom = clamp(pow(u_ref_dist_km / max(distance(p, u_eye), 1.0), 0.6), 0.6, 3.5);
    float size = u_base_px * zoom * (1.0 + 0.5 * util);
    gl_PointSize = max(size, 1.5);
    // Eclipse: much dimmer and a little bluer. Busy: a little brighter and warmer, with a
    // somewhat bigger halo; kept modest because hundreds of busy satellites side by side
    // would otherwise merge into a white glare (the round trip's target must stay brighter).
    float light = st.y > 0.5 ? 1.0 : 0.42;
    vec3 role = role_colour(st.x);
    vec3 busy = mix(role, vec3(1.0, 0.72, 0.55), 0.35 * util);
    v_colour = busy * light * (1.0 + 0.3 * util) * min(size / 1.5, 1.0);
    v_halo = (0.25 + 0.25 * util) * u_halo_gain;
}
