// Per-satellite data lives in float textures, 1024 texels per row, indexed by satellite:
// u_sat_pos: xyz = GCRS position km; u_sat_vel: xyz = GCRS velocity km/s; u_sat_state: x role
// code, y sunlit 0/1, z utilisation 0..1, w online 0/1. One upload per change serves every
// layer (markers, links, beams, rings).
//
// u_ahead_s: sim seconds from the Snapshot to this frame. The sim steps on its own thread
// (sim/runner.py); between two Snapshots every satellite moves on by the two-body f and g
// series to third order, the sums of sim/ahead.py `positions_ahead` (error and source there).
uniform sampler2D u_sat_pos;
uniform sampler2D u_sat_vel;
uniform sampler2D u_sat_state;
uniform float u_ahead_s;

ivec2 sat_texel(int i) { return ivec2(i & 1023, i >> 10); }
vec3 sat_position(int i) {
    vec3 r = texelFetch(u_sat_pos, sat_texel(i), 0).xyz;
    if (u_ahead_s == 0.0) return r;
    vec3 v = texelFetch(u_sat_vel, sat_texel(i), 0).xyz;
    float t = u_ahead_s;
    float r2 = dot(r, r);
    float u = EARTH_MU_KM3_S2 / (r2 * sqrt(r2));
    float p = dot(r, v) / r2;
    float f = 1.0 - 0.5 * u * t * t + 0.5 * u * p * t * t * t;
    float g = t - u * t * t * t / 6.0;
    return f * r + g * v;
}
vec4 sat_state(int i) { return texelFetch(u_sat_state, sat_texel(i), 0); }

// Role colours: 0 inference (cyan), 1 training (amber), 2 other (pale grey-blue).
vec3 role_colour(float role) {
    if (role < 0.5) return vec3(0.30, 0.82, 1.00);
    if (role < 1.5) return vec3(1.00, 0.62, 0.22);
    return vec3(0.75, 0.78, 0.88);
}
