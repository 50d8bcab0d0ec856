#version 330
// Day texture lit by the real sun direction, city lights on the night side, a soft twilight band
// at the terminator, sun glint on water and a thin atmospheric rim.
// Written for llvmpipe too: two texture fetches (water mask rides in the day texture's alpha),
// few pow() calls. Note that llvmpipe runs both sides of an `if` for every pixel (masked, not
// skipped): the branches below save nothing there, so cost is cut by fetching less (one mip
// level per fetch, see viz/layers/earth.py), not by branching.
#include "common.glsl"
uniform sampler2D u_day;      // rgb: Blue Marble; a: water mask (1 = water)
uniform sampler2D u_night;    // city lights
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
    float tw = mu / 0.09;
    float twilight = exp(-tw * tw);               // narrow band around mu = 0

    vec4 tex = texture(u_day, v_uv);
    vec3 albedo = tex.rgb * (0.85 + 0.15 * tex.rgb);   // a touch more contrast than the JPEG
    float lambert = sqrt(max(mu, 0.0)) * 0.6 + max(mu, 0.0) * 0.5;
    vec3 colour = albedo * (0.02 + 1.2 * lambert) * day;
    colour *= mix(vec3(1.0), vec3(1.25, 0.75, 0.55), twilight * 0.6);  // reddened low sun
    colour += albedo * vec3(0.02, 0.03, 0.05) * (1.0 - day);          // faint earthshine at night

    if (mu < 0.02) {
        // City lights where the sun is below the horizon; warm sodium tint.
        vec3 lights = texture(u_night, v_uv).rgb;
        lights *= lights * vec3(1.0, 0.78, 0.48) * u_lights_gain;
        colour += lights * (1.0 - smoothstep(-0.16, 0.02, mu));
    }
    if (mu > -0.1 && tex.a > 0.01) {
        // Sun glint: a sharp lobe plus a broad sheen, on water only.
        vec3 h = normalize(u_sun_dir + v);
        float nh = max(dot(n, h), 0.0);
        float nh4 = nh * nh; nh4 *= nh4;
        float nh16 = nh4 * nh4; nh16 *= nh16;
        float glint = (exp2(log2(max(nh, 1e-6)) * 900.0) * 0.45 + nh16 * nh16 * 0.07) * tex.a * day;
        colour += glint * vec3(1.0, 0.92, 0.78);
    }

    // Atmospheric rim inside the disc: blue haze towards the limb, warmer near the terminator.
    float f = 1.0 - max(dot(n, v), 0.0);
    float fres = f * f * sqrt(f);
    vec3 haze = mix(vec3(0.30, 0.55, 1.0), vec3(1.0, 0.55, 0.30), twilight);
    colour = mix(colour, haze * (0.15 + 0.85 * day), fres * 0.55 * smoothstep(-0.25, 0.2, mu));
    f_colour = vec4(colour, 1.0);
}
