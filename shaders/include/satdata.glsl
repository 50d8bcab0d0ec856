// Per-satellite data lives in two float textures, 1024 texels per row, indexed by satellite:
// u_sat_pos: xyz = GCRS position km; u_sat_state: x role code, y sunlit 0/1, z utilisation 0..1,
// w online 0/1. One upload per change serves every layer (markers, links, beams, rings).
uniform sampler2D u_sat_pos;
uniform sampler2D u_sat_state;

ivec2 sat_texel(int i) { return ivec2(i & 1023, i >> 10); }
vec3 sat_position(int i) { return texelFetch(u_sat_pos, sat_texel(i), 0).xyz; }
vec4 sat_state(int i) { return texelFetch(u_sat_state, sat_texel(i), 0); }

// Role colours: 0 inference (cyan), 1 training (amber), 2 other (pale grey-blue).
vec3 role_colour(float role) {
    if (role < 0.5) return vec3(0.30, 0.82, 1.00);
    if (role < 1.5) return vec3(1.00, 0.62, 0.22);
    return vec3(0.75, 0.78, 0.88);
}
