"""Load a model folder: config.json, *.safetensors (memory-mapped), tokenizer.json.

The shipped byte-level model lives in ``assets/model``; a real Qwen3 checkpoint folder (as
written by Hugging Face's ``save_pretrained``) loads the same way with ``--model-dir PATH``.
Nothing is ever downloaded. Every problem is a ``UserError`` naming the file or key at fault.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import torch

from sim.errors import UserError
from sim.onboard.qwen3 import Qwen3Config, Qwen3ForCausalLM
from sim.onboard.tokenizer import Tokenizer

DEFAULT_MODEL_DIR = Path(__file__).resolve().parents[2] / "assets" / "model"

# config.json keys that do not change inference (bookkeeping, training-only, or defaults
# we check below); any key not listed here or in Qwen3Config is refused by name.
IGNORED_KEYS = {
    "architectures", "model_type", "torch_dtype", "dtype", "transformers_version",
    "bos_token_id", "eos_token_id", "pad_token_id", "use_cache", "initializer_range",
    "attention_dropout", "max_window_layers", "sliding_window", "_name_or_path",
    "hidden_act", "rope_scaling", "rope_parameters", "use_sliding_window", "layer_types",
    "output_attentions", "output_hidden_states", "return_dict", "tie_encoder_decoder",
}
REQUIRED_KEYS = ("vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
                 "num_attention_heads")


def _unsupported(path: Path, key: str, value, why: str) -> UserError:
    return UserError(f"{path}: unsupported config key {key!r} = {value!r} ({why})")


def parse_config(raw: dict, path: Path) -> Qwen3Config:
    """Check a config.json dict and turn it into a Qwen3Config."""
    mt = raw.get("model_type", "qwen3")
    if mt != "qwen3":
        raise _unsupported(path, "model_type", mt, "only the Qwen3 architecture is supported")
    for key in raw:
        if key not in IGNORED_KEYS and key not in Qwen3Config.field_names():
            raise _unsupported(path, key, raw[key], "not part of the Qwen3 architecture served here")
    missing = [k for k in REQUIRED_KEYS if k not in raw]
    if missing:
        raise UserError(f"{path}: missing config key {missing[0]!r}")
    if raw.get("hidden_act", "silu") != "silu":
        raise _unsupported(path, "hidden_act", raw["hidden_act"], "Qwen3 uses silu")
    if raw.get("rope_scaling") not in (None, {}):
        raise _unsupported(path, "rope_scaling", raw["rope_scaling"], "only plain RoPE")
    rope = raw.get("rope_parameters") or {}  # transformers >= 5 moves rope_theta in here
    if rope.get("rope_type", "default") != "default":
        raise _unsupported(path, "rope_parameters", rope, "only plain RoPE (rope_type default)")
    if raw.get("use_sliding_window"):
        raise _unsupported(path, "use_sliding_window", True, "sliding-window attention")
    kinds = set(raw.get("layer_types") or ["full_attention"])
    if kinds != {"full_attention"}:
        raise _unsupported(path, "layer_types", sorted(kinds), "only full attention")
    heads = raw["num_attention_heads"]
    values = {
        "num_key_value_heads": heads,
        "head_dim": raw["hidden_size"] // heads,
        "max_position_embeddings": 32768,
        "rms_norm_eps": 1e-6,
        "rope_theta": rope.get("rope_theta", 10000.0),
        "tie_word_embeddings": False,  # Hugging Face's Qwen3Config default
        "attention_bias": False,
    }
    values.update({k: raw[k] for k in Qwen3Config.field_names() if k in raw})
    cfg = Qwen3Config(**values)
    for key in ("vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
                "num_attention_heads", "num_key_value_heads", "head_dim"):
        value = getattr(cfg, key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise _unsupported(path, key, value, "must be a positive integer")
    if cfg.num_attention_heads % cfg.num_key_value_heads:
        raise _unsupported(path, "num_key_value_heads", cfg.num_key_value_heads,
                           "must divide num_attention_heads")
    return cfg


def read_config(folder: Path, where: str | None = None) -> dict:
    """The config.json of checkpoint folder `folder` as a dict (a JSON object; its keys are
    checked by `parse_config`): the one reader of a checkpoint's config, for loading, the
    model list and `model pull`. A missing, unreadable or non-object file is one UserError
    line starting with `where` (default: the folder, or the file's path)."""
    path = Path(folder) / "config.json"
    if not path.is_file():
        raise UserError(f"{where or folder}: missing config.json (a model folder needs "
                        "config.json, *.safetensors and tokenizer.json)")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"{where or path}: not valid JSON ({exc})") from None
    if not isinstance(raw, dict):
        raise UserError(f"{where or path}: expected a JSON object")
    return raw


def load_config(folder: Path) -> Qwen3Config:
    """The checked Qwen3Config of checkpoint folder `folder` (UserError naming the file)."""
    return parse_config(read_config(folder), folder / "config.json")


def load_weights(folder: Path) -> dict[str, torch.Tensor]:
    """All tensors of every *.safetensors file in the folder (a sharded checkpoint has several).
    safetensors memory-maps each file, so only the tensors read are paged in."""
    try:
        from safetensors import safe_open
    except ImportError as exc:
        raise UserError("the 'safetensors' package is needed to load model weights") from exc
    files = sorted(folder.glob("*.safetensors"))
    if not files:
        raise UserError(f"{folder}: missing weights (no *.safetensors file)")
    state: dict[str, torch.Tensor] = {}
    for f in files:
        try:
            with safe_open(str(f), framework="pt") as sf:
                for key in sf.keys():
                    state[key] = sf.get_tensor(key)
        except Exception as exc:  # the library raises its own error types, or OSError
            raise UserError(f"{f}: corrupt or unreadable safetensors file ({exc})") from exc
    return state


_INIT_FUNCTIONS = ("normal_", "uniform_", "kaiming_uniform_", "kaiming_normal_",
                   "xavier_uniform_", "xavier_normal_", "trunc_normal_", "zeros_", "ones_",
                   "constant_")


@contextlib.contextmanager
def _skipped_init():
    """torch.nn.init's in-place initialisers as no-ops (tensors keep whatever they hold)."""
    saved = {name: getattr(torch.nn.init, name) for name in _INIT_FUNCTIONS}
    try:
        for name in _INIT_FUNCTIONS:
            setattr(torch.nn.init, name, lambda tensor, *args, **kwargs: tensor)
        yield
    finally:
        for name, function in saved.items():
            setattr(torch.nn.init, name, function)


def build_model(cfg: Qwen3Config, state: dict[str, torch.Tensor], folder: Path,
                dtype: torch.dtype) -> Qwen3ForCausalLM:
    """Check names and shapes against the architecture, then fill the model."""
    # No throw-away random init: the checkpoint fills every tensor. The module's own init
    # calls are skipped too: on meta tensors they route through torch's Python reference
    # kernels, whose first use imports torch._dynamo and sympy (~1,200 modules, ~1 s).
    with torch.device("meta"), _skipped_init():
        model = Qwen3ForCausalLM(cfg)
    expected = {k: v.shape for k, v in model.state_dict().items()}
    if cfg.tie_word_embeddings:
        expected.pop("lm_head.weight")
        state.pop("lm_head.weight", None)  # some tied checkpoints store it anyway
    for key, shape in expected.items():
        if key not in state:
            raise UserError(f"{folder}: weights lack tensor {key!r}")
        if tuple(state[key].shape) != tuple(shape):
            raise UserError(f"{folder}: tensor {key!r} has shape {tuple(state[key].shape)}, "
                            f"config.json implies {tuple(shape)}")
    extra = sorted(set(state) - set(expected))
    if extra:
        raise UserError(f"{folder}: unexpected tensor {extra[0]!r} (not a Qwen3 checkpoint "
                        "matching config.json?)")
    # assign=True: the (memory-mapped) tensors become the parameters; .to() is a no-op when the
    # dtype is already the checkpoint's, so nothing is copied in that case.
    model.load_state_dict({k: v.to(dtype) for k, v in state.items()}, strict=False, assign=True)
    if cfg.tie_word_embeddings:
        model.lm_head.weight = model.model.embed_tokens.weight
    return model.eval()


#: Below this many parameters "auto" computes in float32: a small model is bound by per-token
#: Python and kernel-launch overhead, not by matmuls, and float32 is exact to the checkpoint.
AUTO_BF16_MIN_PARAMETERS = 200_000_000
DTYPE_NAMES = {"float32": torch.float32, "fp32": torch.float32,
               "bfloat16": torch.bfloat16, "bf16": torch.bfloat16}


def cpu_has_native_bf16() -> bool:
    """True where this CPU has bf16 dot-product instructions (AVX512-BF16 or AMX). Without them
    bf16 matmuls go through conversion code and are usually slower than float32 ones."""
    try:
        return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
    except AttributeError:  # an older torch without these probes: assume no
        return False


def resolve_dtype(dtype: str | torch.dtype | None, parameters: int) -> torch.dtype:
    """The compute dtype for ``dtype`` ("auto" or None, "float32"/"fp32", "bfloat16"/"bf16", or
    a torch dtype) and a model of ``parameters`` parameters.

    "auto": float32 for small models (see AUTO_BF16_MIN_PARAMETERS); for large ones bfloat16
    where the CPU has native bf16 (half the bytes streamed per token, and its bf16 prefill is
    about twice as fast as float32 on such a CPU), else float32."""
    if isinstance(dtype, torch.dtype):
        chosen = dtype
    elif dtype is None or dtype == "auto":
        large = parameters >= AUTO_BF16_MIN_PARAMETERS
        chosen = torch.bfloat16 if large and cpu_has_native_bf16() else torch.float32
    elif isinstance(dtype, str) and dtype.lower() in DTYPE_NAMES:
        chosen = DTYPE_NAMES[dtype.lower()]
    else:
        raise UserError(f"dtype {dtype!r}: expected auto, float32 or bfloat16")
    if chosen not in (torch.float32, torch.bfloat16):
        raise UserError(f"dtype {chosen}: expected float32 or bfloat16")
    return chosen


def quantize_int8(model: Qwen3ForCausalLM) -> Qwen3ForCausalLM:
    """Dynamic int8 quantisation of every Linear layer (LM head included): int8 weights with
    one scale per output row (per-channel: a row of small weights keeps its precision beside a
    row of large ones), activations quantised per call. The model must be float32 (the
    quantised kernels take float32 activations); embeddings and norms stay float32."""
    import warnings

    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    if next(model.parameters()).dtype != torch.float32:
        raise ValueError("int8 quantisation needs a float32 model")
    model._parameter_count = model.num_parameters()
    with warnings.catch_warnings():  # torch.ao announces its move to torchao: nothing to act on
        warnings.simplefilter("ignore")
        quantized = quantize_dynamic(model, {torch.nn.Linear: per_channel_dynamic_qconfig},
                                     dtype=torch.qint8, inplace=True)
    quantized.int8 = True
    return quantized


def load_model(model_dir: Path | str | None = None, dtype: str | torch.dtype | None = "auto",
               int8: bool = False):
    """Load a model folder (the shipped default when ``model_dir`` is None) -> ``OnboardModel``.

    The safetensors files are memory-mapped and their tensors become the model's parameters
    without a copy when the dtype is the checkpoint's own (pages are read on first use).
    ``dtype``: see ``resolve_dtype`` ("auto" by default). ``int8``: quantise the Linear layers
    (dynamic int8, see ``quantize_int8``); the rest then computes in float32."""
    from sim.onboard.engine import OnboardModel

    folder = Path(model_dir) if model_dir is not None else DEFAULT_MODEL_DIR
    if not folder.is_dir():
        raise UserError(f"{folder}: model folder not found")
    cfg = load_config(folder)
    tok_path = folder / "tokenizer.json"
    if not tok_path.is_file():
        raise UserError(f"{folder}: missing tokenizer.json")
    tokenizer = Tokenizer(tok_path)
    if tokenizer.vocab_size > cfg.vocab_size:
        raise UserError(f"{tok_path}: {tokenizer.vocab_size} tokens but config.json "
                        f"vocab_size is {cfg.vocab_size}")
    state = load_weights(folder)
    chosen = resolve_dtype(dtype, sum(t.numel() for t in state.values()))
    if int8:
        chosen = torch.float32
    model = build_model(cfg, state, folder, chosen)
    if int8:
        model = quantize_int8(model)
    return OnboardModel(model, tokenizer, folder)
