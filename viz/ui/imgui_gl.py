"""Dear ImGui (imgui-bundle 1.93) drawn with moderngl, fed with pyglet input.

Why not a ready-made backend: moderngl-window's integration still calls the font-atlas API
that ImGui 1.92 removed, and imgui_bundle's own pyglet backend draws with PyOpenGL (another
dependency, and GL state changes behind moderngl's back). This renderer implements the 1.92
texture protocol (`renderer_has_textures`: ImGui asks for textures to be created, updated
and destroyed) with moderngl objects, and the shaders come from `shaders/imgui.*` through the
one shader loader.

Input: `ImguiInput` turns pyglet events into ImGui io events. The app calls it first from its
own handlers and then checks `io.want_capture_mouse` / `want_capture_keyboard`, so a click on
the panel never also turns the camera.
"""
from __future__ import annotations

import ctypes

import numpy as np
from imgui_bundle import imgui


class ImguiRenderer:
    """Draws `imgui.get_draw_data()` into the bound framebuffer with moderngl."""

    def __init__(self, ctx, shaders):
        import moderngl

        self.ctx = ctx
        self._moderngl = moderngl
        self.prog = shaders.program("imgui")
        self.vbo = ctx.buffer(reserve=1 << 16, dynamic=True)
        self.ibo = ctx.buffer(reserve=1 << 16, dynamic=True)
        self.vao = ctx.vertex_array(
            self.prog, [(self.vbo, "2f 2f 4f1", "in_pos", "in_uv", "in_colour")],
            index_buffer=self.ibo, index_element_size=imgui.INDEX_SIZE)
        self.textures: dict[int, object] = {}  #: ImTextureID (the GL name) -> moderngl texture
        io = imgui.get_io()
        io.backend_flags |= imgui.BackendFlags_.renderer_has_textures
        io.backend_flags |= imgui.BackendFlags_.renderer_has_vtx_offset
        size = ctx.info.get("GL_MAX_TEXTURE_SIZE", 4096)
        imgui.get_platform_io().renderer_texture_max_width = size
        imgui.get_platform_io().renderer_texture_max_height = size

    # --- textures (ImGui 1.92 protocol) -----------------------------------------------------
    def _update_textures(self) -> None:
        for tex in imgui.get_platform_io().textures:
            if tex.status != imgui.ImTextureStatus.ok:
                self._update_texture(tex)

    def _update_texture(self, tex) -> None:
        status = tex.status
        if status == imgui.ImTextureStatus.want_create:
            pixels = tex.get_pixels_array()
            texture = self.ctx.texture((tex.width, tex.height), 4, bytes(pixels))
            texture.filter = (self._moderngl.LINEAR, self._moderngl.LINEAR)
            texture.repeat_x = texture.repeat_y = False
            self.textures[texture.glo] = texture
            tex.set_tex_id(texture.glo)
            tex.status = imgui.ImTextureStatus.ok
        elif status == imgui.ImTextureStatus.want_updates:
            texture = self.textures.get(tex.tex_id)
            if texture is not None:
                full = tex.get_pixels_array().reshape(tex.height, tex.width, 4)
                for r in tex.updates:  # only regions never used before are written
                    block = np.ascontiguousarray(full[r.y:r.y + r.h, r.x:r.x + r.w])
                    texture.write(block.tobytes(), viewport=(r.x, r.y, r.w, r.h))
            tex.status = imgui.ImTextureStatus.ok
        elif status == imgui.ImTextureStatus.want_destroy:
            texture = self.textures.pop(tex.tex_id, None)
            if texture is not None:
                texture.release()
            tex.set_tex_id(0)
            tex.status = imgui.ImTextureStatus.destroyed

    # --- drawing ----------------------------------------------------------------------------
    def render(self, draw_data) -> None:
        """Draw the lists of `draw_data` (after `imgui.render()`) over what is on screen."""
        self._update_textures()
        io = imgui.get_io()
        width, height = io.display_size.x, io.display_size.y
        sx, sy = io.display_framebuffer_scale.x, io.display_framebuffer_scale.y
        fb_w, fb_h = int(width * sx), int(height * sy)
        if fb_w <= 0 or fb_h <= 0 or not draw_data.cmd_lists:
            return
        ctx, mgl = self.ctx, self._moderngl
        ctx.viewport = (0, 0, fb_w, fb_h)
        ctx.enable_only(mgl.BLEND)
        ctx.blend_func = mgl.SRC_ALPHA, mgl.ONE_MINUS_SRC_ALPHA
        ctx.blend_equation = mgl.FUNC_ADD
        proj = np.array([[2.0 / width, 0, 0, 0], [0, -2.0 / height, 0, 0], [0, 0, -1, 0],
                         [-1.0, 1.0, 0, 1]], np.float32)  # column-major, as GL reads it
        self.prog["u_proj"].write(proj.tobytes())
        self.prog["u_texture"].value = 0
        for lst in draw_data.cmd_lists:
            vbytes = lst.vtx_buffer.size() * imgui.VERTEX_SIZE
            ibytes = lst.idx_buffer.size() * imgui.INDEX_SIZE
            self._upload(self.vbo, lst.vtx_buffer.data_address(), vbytes)
            self._upload(self.ibo, lst.idx_buffer.data_address(), ibytes)
            for cmd in lst.cmd_buffer:
                x0, y0, x1, y1 = cmd.clip_rect.x * sx, cmd.clip_rect.y * sy, \
                    cmd.clip_rect.z * sx, cmd.clip_rect.w * sy
                if x1 <= x0 or y1 <= y0:
                    continue
                texture = self.textures.get(cmd.tex_ref.get_tex_id())
                if texture is not None:
                    texture.use(0)
                ctx.scissor = (int(x0), int(fb_h - y1), int(x1 - x0), int(y1 - y0))
                if cmd.vtx_offset:  # rare: lists longer than the index type can address
                    self.vao.bind(0, "f", self.vbo, "2f 2f 4f1",
                                  offset=cmd.vtx_offset * imgui.VERTEX_SIZE)
                self.vao.render(mgl.TRIANGLES, vertices=cmd.elem_count, first=cmd.idx_offset)
        ctx.scissor = None
        ctx.disable(mgl.BLEND)

    @staticmethod
    def _upload(buffer, address: int, nbytes: int) -> None:
        if nbytes > buffer.size:
            buffer.orphan(max(nbytes, buffer.size * 2))
        buffer.write(ctypes.string_at(address, nbytes))

    def release(self) -> None:
        for tex in imgui.get_platform_io().textures:
            if tex.tex_id:
                tex.status = imgui.ImTextureStatus.want_destroy
                self._update_texture(tex)
        for texture in self.textures.values():
            texture.release()
        self.textures.clear()
        for obj in (self.vao, self.vbo, self.ibo):
            obj.release()


def _key_map() -> dict[int, int]:
    """pyglet key symbol -> ImGui key, for editing text and the keys the app binds."""
    from pyglet.window import key

    k = imgui.Key
    table = {key.TAB: k.tab, key.LEFT: k.left_arrow, key.RIGHT: k.right_arrow,
             key.UP: k.up_arrow, key.DOWN: k.down_arrow, key.PAGEUP: k.page_up,
             key.PAGEDOWN: k.page_down, key.HOME: k.home, key.END: k.end,
             key.INSERT: k.insert, key.DELETE: k.delete, key.BACKSPACE: k.backspace,
             key.SPACE: k.space, key.RETURN: k.enter, key.ENTER: k.enter,
             key.NUM_ENTER: k.keypad_enter, key.ESCAPE: k.escape,
             key.LCTRL: k.left_ctrl, key.RCTRL: k.right_ctrl, key.LSHIFT: k.left_shift,
             key.RSHIFT: k.right_shift, key.LALT: k.left_alt, key.RALT: k.right_alt}
    for letter in "ACVXYZ":  # clipboard and undo shortcuts in text fields
        table[getattr(key, letter)] = getattr(k, letter.lower())
    return table


class ImguiInput:
    """pyglet events -> ImGui io. Positions arrive in window points with y up; ImGui wants y
    down from the top."""

    MODS = {"left_ctrl": "mod_ctrl", "right_ctrl": "mod_ctrl", "left_shift": "mod_shift",
            "right_shift": "mod_shift", "left_alt": "mod_alt", "right_alt": "mod_alt"}

    def __init__(self, window):
        self.window = window
        self.io = imgui.get_io()
        self.keys = _key_map()

    def resize(self) -> None:
        w, h = self.window.get_size()
        fw, fh = self.window.get_framebuffer_size()
        self.io.display_size = (max(w, 1), max(h, 1))
        self.io.display_framebuffer_scale = (fw / max(w, 1), fh / max(h, 1))

    def mouse_move(self, x: float, y: float) -> None:
        self.io.add_mouse_pos_event(float(x), float(self.io.display_size.y - y))

    def mouse_button(self, x, y, button: int, down: bool) -> None:
        from pyglet.window import mouse

        self.mouse_move(x, y)
        index = {mouse.LEFT: 0, mouse.RIGHT: 1, mouse.MIDDLE: 2}.get(button, 0)
        self.io.add_mouse_button_event(index, down)

    def scroll(self, dx: float, dy: float) -> None:
        self.io.add_mouse_wheel_event(float(dx), float(dy))

    def key(self, symbol: int, down: bool) -> None:
        imgui_key = self.keys.get(symbol)
        if imgui_key is None:
            return
        self.io.add_key_event(imgui_key, down)
        mod = self.MODS.get(imgui_key.name if hasattr(imgui_key, "name") else "")
        if mod:
            self.io.add_key_event(getattr(imgui.Key, mod), down)

    def text(self, text: str) -> None:
        for char in text:
            if char.isprintable():
                self.io.add_input_character(ord(char))


class ImageTexture:
    """An RGB picture for `imgui.image` (the inspector's capture thumbnail): a moderngl
    texture that `gui` (the ImguiRenderer) binds by its GL name like its own. `show(key,
    pixels)` uploads only when `key` changes (a new capture), not every frame."""

    def __init__(self, gui):
        self.gui = gui
        self.texture = None
        self.key = None
        self.uploads = 0  #: how many times pixels were written (tests read it)

    def show(self, key, pixels: np.ndarray):
        """The imgui.ImTextureRef of `pixels` ((H,W,3) uint8, row 0 at the top), written
        to the GPU only when `key` differs from the last call's."""
        import moderngl

        if key != self.key or self.texture is None:
            h, w = pixels.shape[:2]
            if self.texture is None or self.texture.size != (w, h):
                self.release()
                self.texture = self.gui.ctx.texture((w, h), 3)
                # a 64-px tile shown at 2-3x: keep its pixels sharp
                self.texture.filter = (moderngl.NEAREST, moderngl.NEAREST)
                self.gui.textures[self.texture.glo] = self.texture
            # ImGui's uv (0, 0) is the first row written: the picture's top row
            self.texture.write(np.ascontiguousarray(pixels[..., :3], np.uint8).tobytes())
            self.key = key
            self.uploads += 1
        return imgui.ImTextureRef(self.texture.glo)

    def release(self) -> None:
        if self.texture is not None:
            self.gui.textures.pop(self.texture.glo, None)
            self.texture.release()
            self.texture = None
            self.key = None
