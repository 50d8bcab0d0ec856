#version 330
// Generic point sprites in the scene frame (stations, packet heads, inference glows, round-trip
// markers). They are drawn without the depth test: a sprite is one depth for its whole square,
// so a station on the surface seen at a slant would lose part of its ring to the globe around
// it. Instead each sprite is hidden when the Earth (a sphere slightly smaller than the drawn
// one, so that stations on it stay in view) lies between it and the eye.
#include "common.glsl"
in vec3 in_pos;      // GCRS km
in vec4 in_colour;
in float in_size;    // pixels
in float in_shape;   // 0 soft glow, 1 ring with dot, 2 dashed ring, 3 thin ring
out vec4 v_colour;
out float v_shape;
bool behind_earth(vec3 p) {
    vec3 d = p - u_eye;
    float len = length(d);
    d /= len;
    float r = EARTH_RADIUS_KM - 12.0;
    float b = dot(u_eye, d);
    float disc = b * b - (dot(u_eye, u_eye) - r * r);
    if (disc <= 0.0) return false;
    float t = -b - sqrt(disc);
    return t > 0.0 && t < len;
}
void main() {
    gl_Position = u_view_proj * vec4(in_pos, 1.0);
    if (behind_earth(in_pos)) { gl_Position = vec4(2.0, 2.0, 2.0, 1.0); gl_PointSize = 1.0; }
    else gl_PointSize = in_size;
    v_colour = in_colour;
    v_shape = in_shape;
}
