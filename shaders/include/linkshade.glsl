// Colour of a laser link at distance s_km along it (from its lower-index end): idle blue ->
// teal -> hot orange by load, plus comet-shaped light pulses that travel in the direction of
// the net flow. Shared by the thin (links) and the wide (links_wide) link programs.
uniform float u_pulse_spacing_km;
vec3 load_colour(float x) {
    vec3 idle = vec3(0.16, 0.36, 0.95), mid = vec3(0.15, 0.95, 0.85), hot = vec3(1.0, 0.5, 0.18);
    return x < 0.5 ? mix(idle, mid, x * 2.0) : mix(mid, hot, (x - 0.5) * 2.0);
}
// Visual level of a load ratio: real traffic fills a few percent of a 100 Gbps link, so a
// linear scale would leave every link idle blue. Log scale: any traffic reads as active
// (0.25 and up), 3% is teal, full links are hot.
float load_level(float ratio) {
    if (ratio <= 0.0) return 0.0;
    return clamp(0.25 + 0.75 * log(1.0 + ratio / 0.002) / log(501.0), 0.0, 1.0);
}
vec3 link_colour(float s_km, float ratio, float sign, float time_s) {
    float load = load_level(ratio);
    vec3 tint = load_colour(load);
    // Load shows as hue (blue -> teal -> orange) more than as brightness: thousands of
    // loaded links at full strength would add up to a white glare over the globe.
    vec3 c = tint * (0.24 + 0.6 * load);
    // u rises towards the head of each pulse (u -> 1) and wraps to 0 just ahead of it; with
    // sign -1 the same formula runs the other way along the link. The head moves at
    // (0.6..2) pulse spacings per second.
    float u = fract(sign * s_km / u_pulse_spacing_km - time_s * (0.6 + 1.4 * load));
    float comet = pow(u, 10.0) * (1.0 - smoothstep(0.96, 1.0, u));
    float on = step(1e-6, ratio) * abs(sign);
    // Pulses in the link's own hue, lightened: visible motion, not white streaks.
    return c + mix(tint, vec3(1.0), 0.35) * comet * on * (0.55 + 0.5 * load);
}
