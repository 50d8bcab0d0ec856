"""Prompt preparation, sampling and streaming on a tiny random model."""

import pytest
import torch

from sim.errors import UserError
from sim.onboard.engine import MAX_PROMPT_CHARS
from sim.onboard.loading import load_model
from sim.onboard.sampling import GREEDY, SamplingParams, generate_ids, pick_token
from sim.onboard.tokenizer import chat_prompt, frame_prompt


@pytest.fixture
def om(tiny_dir):
    return load_model(tiny_dir)


def test_frame_prompt_reads_as_a_play():
    text = frame_prompt("  What news from orbit?\n", "Kashi", "Xingshi-07")
    assert text == "GROUND STATION KASHI.\nWhat news from orbit?\n\nSATELLITE XINGSHI-07.\n"


def test_chat_prompt_non_thinking():
    text = chat_prompt("Hi", "Kashi", "Xingshi-07")
    assert text.endswith("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
                         "<think>\n\n</think>\n\n")
    assert "Xingshi-07" in text and "Kashi" in text


@pytest.mark.parametrize("prompt", ["", "   \n\t"])
def test_empty_prompt_refused(om, prompt):
    with pytest.raises(UserError, match="empty prompt"):
        om.generate(prompt)


def test_overlong_prompt_truncated_and_said(om):
    prep = om.prepare("x" * 500, "Kashi", "Sat", max_new_tokens=40)
    assert prep.truncated_tokens > 0
    assert "prompt truncated" in prep.notice
    assert prep.prompt_tokens + prep.max_new_tokens <= om.context_length
    reply = om.generate("x" * 500, params=SamplingParams(40, seed=1))
    assert reply.truncated_tokens > 0 and "truncated" in reply.notice


def test_huge_prompt_refused(om):
    with pytest.raises(UserError, match="prompt too long"):
        om.prepare("y" * (MAX_PROMPT_CHARS + 1))


def test_seeded_sampling_is_reproducible(om):
    ids = om.tokenizer.encode(frame_prompt("Hello", "A", "B"))
    p = SamplingParams(30, temperature=1.0, top_k=50, top_p=0.9, seed=123)
    a = list(generate_ids(om.model, ids, p))
    b = list(generate_ids(om.model, ids, p))
    c = list(generate_ids(om.model, ids, SamplingParams(30, 1.0, 50, 0.9, seed=124)))
    assert a == b
    assert a != c
    assert a == list(generate_ids(om.model, ids, p, use_cache=False))  # cache changes nothing


def test_top_k_and_top_p_filter():
    logits = torch.tensor([5.0, 4.0, 1.0, 0.0, -1.0])
    g = torch.Generator().manual_seed(0)
    picks = {pick_token(logits, SamplingParams(1, 1.0, top_k=2, top_p=1.0), g) for _ in range(200)}
    assert picks <= {0, 1} and len(picks) == 2
    picks = {pick_token(logits, SamplingParams(1, 1.0, top_k=0, top_p=0.5), g) for _ in range(50)}
    assert picks == {0}  # the top token alone already covers half the mass
    assert pick_token(logits, GREEDY, None) == 0


def test_stops_on_end_token(om):
    ids = om.tokenizer.encode("abc")
    free = list(generate_ids(om.model, ids, SamplingParams(10, 0.0, 0, 1.0)))
    assert len(free) == 10  # no end ids: runs to max_new_tokens
    # Declare the third greedy token an end token: generation yields it, then stops.
    assert list(generate_ids(om.model, ids, SamplingParams(10, 0.0, 0, 1.0),
                             end_ids={free[2]})) == free[:free.index(free[2]) + 1]


def test_streamed_pieces_add_up_to_reply(om):
    pieces = []
    reply = om.generate("Speak", "Kashi", "Sat", SamplingParams(50, seed=7), on_text=pieces.append)
    assert "".join(pieces) == reply.text
    assert "\n\n" not in reply.text  # one speech
    assert reply.generated_tokens >= 1 and reply.prompt_tokens == len(
        om.tokenizer.encode(frame_prompt("Speak", "Kashi", "Sat")))
    assert reply.flops == pytest.approx(om.flops_per_token * (reply.prompt_tokens
                                                              + reply.generated_tokens))
    assert 0 < reply.time_to_first_token_s <= reply.inference_s


def test_cancel_stops_after_the_current_token_even_inside_the_first_line(om):
    """The byte model's reply is held back until its first line is complete (a heading is
    dropped); a cancel must still stop it after the current token, not at the line's end."""
    assert om.tokenizer.play
    reply = om.generate("Speak", params=SamplingParams(60, seed=7), cancelled=lambda: True)
    assert reply.stop_reason == "cancelled" and reply.generated_tokens == 1
