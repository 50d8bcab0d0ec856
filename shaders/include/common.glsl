// Shared uniforms and helpers. Scene frame: GCRS, km. Matrices are column-major.
uniform mat4 u_view_proj;   // scene (GCRS km) -> clip
uniform vec3 u_eye;         // camera position, GCRS km
uniform vec2 u_viewport;    // framebuffer size, pixels
uniform float u_time;       // seconds (wall or sim), drives shader-side animation only

const float EARTH_RADIUS_KM = 6371.0;
