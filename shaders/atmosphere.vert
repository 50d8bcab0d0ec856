#version 330
// Atmosphere halo geometry. Two modes:
//  ring (u_ring = 1): a screen-facing annulus between the silhouettes of two spheres, radius
//    u_inner_km and u_radius (both km, centred on the Earth): it covers exactly the rays whose
//    closest approach to the centre lies in that range, so no fragment is spent on the disc.
//    Vertices are made from gl_VertexID (triangle strip, 2 per step, u_steps steps).
//  shell (u_ring = 0): the sphere mesh of radius u_radius, used when the camera is so close
//    that the silhouette construction breaks down.
#include "common.glsl"
uniform float u_radius;
uniform float u_inner_km;
uniform int u_ring;
uniform int u_steps;
in vec3 in_normal;
out vec3 v_world;
void main() {
    if (u_ring == 1) {
        float d = length(u_eye);
        vec3 back = u_eye / d;
        vec3 a = normalize(cross(back, abs(back.z) < 0.9 ? vec3(0.0, 0.0, 1.0) : vec3(1.0, 0.0, 0.0)));
        vec3 b = cross(back, a);
        float theta = 6.2831853 * float(gl_VertexID / 2) / float(u_steps);
        float r = (gl_VertexID & 1) == 0 ? u_inner_km : u_radius;
        // Silhouette circle of a sphere of radius r seen from distance d.
        vec3 around = cos(theta) * a + sin(theta) * b;
        v_world = back * (r * r / d) + around * (r * sqrt(max(1.0 - r * r / (d * d), 0.0)));
    } else {
        v_world = in_normal * u_radius;
    }
    gl_Position = u_view_proj * vec4(v_world, 1.0);
}
