#version 330
// Atmosphere shell: a sphere slightly larger than the Earth (radius u_radius km, GCRS); the
// fragment shader integrates a simple exponential haze along each view ray.
#include "common.glsl"
uniform float u_radius;
in vec3 in_normal;
in vec2 in_uv;
out vec3 v_world;
void main() {
    v_world = in_normal * u_radius;
    gl_Position = u_view_proj * vec4(v_world, 1.0);
}
