#version 330
// Day texture lit by the real sun direction, city lights on the night side, a soft twilight band
// at the terminator, sun glint on water (mask: white = water) and a thin atmospheric rim.
#include "common.glsl"
uniform sampler2D u_day;
uniform sampler2D u_night;
uniform sampler2D u_water;
uniform vec3 u_sun_dir;       // unit, GCRS
uniform float u_lights_gain;  // city lights brightness
in vec3 v_world;
in vec2 v_uv;
out vec4 f_colour;

void main() {
    vec3 n = normalize(v_world);
    vec3 v = normalize(u_eye - v_world);
    float mu = dot(n, u_sun_dir);                 // cosine of the sun's zenith angle
    float day = smoothstep(-0.10, 0.16, mu);      // 0 night .. 1 day, soft across the terminator
    float twilight = exp(-pow(mu / 0.09, 2.0));   // narrow band around mu = 0

    vec3 albedo = texture(u_day, v_uv).rgb;
    albedo = pow(albedo, vec3(1.1));              // a touch more contrast than the raw JPEG
    float lambert = pow(max(mu, 0.0), 0.75);
    vec3 colour = albedo * (0.02 + 1.25 * lambert) * day;
    colour *= mix(vec3(1.0), vec3(1.25, 0.75, 0.55), twilight * 0.6);  // reddened low sun

    // City lights: only where the sun is well below the horizon; warm sodium tint.
    vec3 lights = texture(u_night, v_uv).rgb;
    lights = pow(lights, vec3(1.6)) * vec3(1.0, 0.78, 0.48) * u_lights_gain;
    colour += lights * (1.0 - smoothstep(-0.16, 0.02, mu));

    // Sun glint: a sharp lobe plus a broad sheen, water only, day side only.
    float water = texture(u_water, v_uv).r;
    vec3 h = normalize(u_sun_dir + v);
    float nh = max(dot(n, h), 0.0);
    float glint = (pow(nh, 180.0) * 1.2 + pow(nh, 16.0) * 0.10) * water * day;
    colour += glint * vec3(1.0, 0.92, 0.78);

    // Atmospheric rim inside the disc: blue haze towards the limb, warmer near the terminator.
    float fres = pow(1.0 - max(dot(n, v), 0.0), 2.5);
    vec3 haze = mix(vec3(0.30, 0.55, 1.0), vec3(1.0, 0.55, 0.30), twilight);
    colour = mix(colour, haze * (0.15 + 0.85 * day), fres * 0.55 * smoothstep(-0.25, 0.2, mu));
    f_colour = vec4(colour, 1.0);
}
