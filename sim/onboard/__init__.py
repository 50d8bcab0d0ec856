"""The onboard language model: a Qwen3 decoder in plain PyTorch that every computing satellite
runs, its loader, sampling, and the worker thread that serves requests per satellite.

Typical use (the round trip)::

    from sim.onboard import load_model, OnboardWorker, InferenceRequest, DoneEvent

    worker = OnboardWorker(load_model())          # or load_model("path/to/qwen3-folder")
    handle = worker.submit(InferenceRequest(7, "What news?", "Kashi", "Xingshi-07",
                                            hardware_tops=744))
    # each frame: drain handle.events without blocking (TokenEvent ..., then DoneEvent)
"""

from sim.onboard.engine import OnboardModel, PreparedPrompt, Reply
from sim.onboard.loading import DEFAULT_MODEL_DIR, load_model
from sim.onboard.qwen3 import KVCache, Qwen3Config, Qwen3ForCausalLM
from sim.onboard.sampling import GREEDY, SamplingParams, generate_ids
from sim.onboard.tokenizer import Tokenizer, chat_prompt, frame_prompt
from sim.onboard.worker import (DoneEvent, ErrorEvent, InferenceFigures, InferenceRequest,
                                OnboardWorker, RequestHandle, TokenEvent)

__all__ = [
    "DEFAULT_MODEL_DIR", "DoneEvent", "ErrorEvent", "GREEDY", "InferenceFigures",
    "InferenceRequest", "KVCache", "OnboardModel", "OnboardWorker", "PreparedPrompt",
    "Qwen3Config", "Qwen3ForCausalLM", "Reply", "RequestHandle", "SamplingParams",
    "TokenEvent", "Tokenizer", "chat_prompt", "frame_prompt", "generate_ids", "load_model",
]
