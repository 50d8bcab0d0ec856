#version 330
// The Sun: a screen-facing quad centred on the sun direction (GCRS unit vector, at infinity),
// u_size_px across. Hidden when the sun is behind the camera.
#include "common.glsl"
uniform vec3 u_sun_dir;
uniform float u_size_px;
out vec2 v_offset;
void main() {
    vec2 corner = vec2(float(gl_VertexID & 1), float(gl_VertexID >> 1)) * 2.0 - 1.0;
    vec4 clip = u_view_proj * vec4(u_sun_dir, 0.0);
    v_offset = corner;
    if (clip.w <= 0.0) { gl_Position = vec4(2.0, 2.0, 2.0, 1.0); return; }
    vec2 ndc = clip.xy / clip.w + corner * u_size_px / u_viewport;
    gl_Position = vec4(ndc, 0.99999, 1.0);
}
