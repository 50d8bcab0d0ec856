#version 330
// Earth sphere: the mesh is a unit sphere in the Earth-fixed frame (ITRS), turned into the
// scene frame (GCRS) by u_itrs_to_gcrs for the snapshot's instant.
#include "common.glsl"
uniform mat3 u_itrs_to_gcrs;
in vec3 in_normal;   // unit vector, ITRS
in vec2 in_uv;       // equirectangular texture coordinate (u east from -180 deg, v down from north)
out vec3 v_world;    // GCRS km
out vec2 v_uv;
void main() {
    v_world = u_itrs_to_gcrs * (in_normal * EARTH_RADIUS_KM);
    v_uv = in_uv;
    gl_Position = u_view_proj * vec4(v_world, 1.0);
}
