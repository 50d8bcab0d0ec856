#version 330
// Halo around the limb: brightness falls off exponentially with the ray's closest-approach
// height above the surface; blue where that point is sunlit, orange at the terminator, none
// at night. Drawn additively over space and the Earth's edge.
#include "common.glsl"
uniform vec3 u_sun_dir;
uniform float u_scale_height;   // km, visual (not physical) thickness of the glow
in vec3 v_world;
out vec4 f_colour;
void main() {
    vec3 dir = normalize(v_world - u_eye);
    float t = max(-dot(u_eye, dir), 0.0);
    vec3 p = u_eye + dir * t;                     // closest approach to the Earth's centre
    float b = length(p);
    float height = b - EARTH_RADIUS_KM;
    float glow = height > 0.0 ? exp(-height / u_scale_height)
                              : exp(height / (u_scale_height * 0.35));   // fades onto the disc
    float mu = dot(p / max(b, 1.0), u_sun_dir);
    float lit = smoothstep(-0.28, 0.25, mu);
    float twilight = exp(-pow((mu + 0.02) / 0.12, 2.0));
    vec3 colour = mix(vec3(0.28, 0.55, 1.0), vec3(1.0, 0.50, 0.22), twilight * 0.7);
    f_colour = vec4(colour * glow * lit * 0.9, 1.0);
}
