#version 330
// Data-flow routes: polyline segments of each flow (ground point, satellites...), with the
// arc-length fraction along the route, the packet's progress and its direction per vertex.
#include "common.glsl"
in vec3 in_pos;        // GCRS km
in float in_s;         // 0..1 arc-length fraction along this flow's route
in float in_progress;  // 0..1 packet position along the route
in float in_dir;       // +1 uplink (towards the inference satellite), -1 answer coming back
out float v_s;
flat out float v_progress;
flat out float v_dir;
void main() {
    v_s = in_s;
    v_progress = in_progress;
    v_dir = in_dir;
    gl_Position = u_view_proj * vec4(in_pos, 1.0);
}
