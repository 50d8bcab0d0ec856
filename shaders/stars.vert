#version 330
// Catalogue stars as points at infinity: in_dir is a unit vector in GCRS (w = 0, so the
// camera's position does not matter), pushed to the far plane.
#include "common.glsl"
uniform float u_size_scale;
in vec3 in_dir;
in float in_vmag;
in float in_bv;
out vec3 v_colour;
vec3 bv_colour(float bv) {
    // Rough B-V to RGB: blue-white hot stars, white sun-like, orange-red cool giants.
    vec3 hot = vec3(0.62, 0.74, 1.0), mid = vec3(1.0, 0.97, 0.92), cool = vec3(1.0, 0.62, 0.38);
    return bv < 0.5 ? mix(hot, mid, smoothstep(-0.3, 0.5, bv)) : mix(mid, cool, smoothstep(0.5, 1.8, bv));
}
void main() {
    vec4 clip = u_view_proj * vec4(in_dir, 0.0);
    gl_Position = vec4(clip.xy, clip.w * 0.99999, clip.w);
    float flux = pow(10.0, -0.4 * (in_vmag - 0.5));   // relative to a magnitude 0.5 star
    gl_PointSize = clamp(1.6 + 2.4 * sqrt(flux), 1.6, 4.5) * u_size_scale;
    v_colour = bv_colour(in_bv) * clamp(0.35 + 1.2 * sqrt(flux), 0.0, 1.5);
}
