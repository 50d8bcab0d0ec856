// Soft round sprite profile for point sprites: a crisp core plus a gaussian halo.
// r is the distance from the sprite centre, 0 at the centre, 1 at the edge.
float sprite_core(float r, float core) { return 1.0 - smoothstep(core * 0.6, core, r); }
float sprite_halo(float r, float k) { return exp(-r * r * k) * (1.0 - smoothstep(0.8, 1.0, r)); }
