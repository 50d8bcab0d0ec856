"""`run.py model pull|list|rm` and `--model NAME`, through huggingface_hub's real download code
against a stand-in hub on 127.0.0.1 (hubstub.py) and a Hugging Face cache in tmp_path: no test
reaches huggingface.co.

The pulled checkpoint is written by transformers' own `save_pretrained` (bf16, sharded with a
safetensors index), so what is served is what the hub holds for a Qwen3ForCausalLM."""
from __future__ import annotations

import errno
import json
import shutil
import socket
from pathlib import Path

import pytest
import torch

from sim.errors import UserError
from sim.onboard import hub, load_model
from sim.onboard.sampling import SamplingParams
from tests.cli_helpers import assert_one_line_error, cli
from tests.sim.onboard.conftest import TINY, write_model_dir
from tests.sim.onboard.hubstub import HubStub

REPO = "Qwen/Qwen3-Tiny"


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> tuple[Path, int]:
    """(folder, parameter count): a tiny Qwen3ForCausalLM saved by transformers in bf16 as
    two safetensors shards and an index, with a chat tokenizer.json and junk the pull must skip
    (a PyTorch .bin copy, a README)."""
    transformers = pytest.importorskip("transformers")
    folder = tmp_path_factory.mktemp("checkpoint")
    config = transformers.Qwen3Config(**{**TINY, "max_position_embeddings": 512},
                                      rope_theta=10000.0)
    torch.manual_seed(0)
    model = transformers.Qwen3ForCausalLM(config).to(torch.bfloat16)
    model.save_pretrained(folder, safe_serialization=True, max_shard_size="40KB")
    assert len(list(folder.glob("*.safetensors"))) >= 2, "expected a sharded checkpoint"
    shutil.copy(write_model_dir(tmp_path_factory.mktemp("tok"), chat=True) / "tokenizer.json",
                folder)
    (folder / "pytorch_model.bin").write_bytes(b"not for us" * 100)
    (folder / "README.md").write_text("# tiny\n")
    parameters = sum(p.numel() for p in model.parameters())  # tied: the embedding once
    return folder, parameters


@pytest.fixture
def stub(tmp_path, monkeypatch, checkpoint):
    """The stand-in hub serving REPO, and an empty Hugging Face cache in tmp_path."""
    from huggingface_hub import constants
    from huggingface_hub.utils import are_progress_bars_disabled, disable_progress_bars, \
        enable_progress_bars

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    # The user-agent header would look up huggingface.co's list of agent harnesses.
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_TELEMETRY", True)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    outside = []  # every host name looked up that is not loopback: must stay empty
    real_getaddrinfo = socket.getaddrinfo

    def loopback_only(host, *args, **kwargs):
        if host not in ("127.0.0.1", "localhost", "::1"):
            outside.append(host)
            raise OSError(f"test tried to reach {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", loopback_only)
    server = HubStub().start()
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    server.repos[REPO] = checkpoint[0]
    bars_were_off = are_progress_bars_disabled()
    disable_progress_bars()  # the bar goes to stderr; these tests check stderr line by line
    yield server
    server.stop()
    if not bars_were_off:
        enable_progress_bars()
    assert not outside, f"a test tried to reach {outside}"


def entries(capsys, *extra) -> dict[str, dict]:
    code, out, err = cli(capsys, "model", "list", "--json", *extra)
    assert code == 0, err
    return {e["name"]: e for e in json.loads(out)}


def test_pull_list_load_and_generate(stub, capsys, checkpoint):
    code, out, err = cli(capsys, "model", "pull", REPO)
    assert code == 0, err
    assert REPO in out and "BF16" in out
    # config.json alone first, then only what the loader reads: no .bin, no README.
    fetched = stub.fetched()
    assert fetched[0] == "config.json"
    assert "pytorch_model.bin" not in fetched and "README.md" not in fetched
    assert {"tokenizer.json", hub.INDEX_FILE} <= set(fetched)

    listed = entries(capsys)
    assert listed["shipped"]["usable"] and listed["shipped"]["parameters"] == 1_771_648
    pulled = listed[REPO]
    assert pulled["usable"] and pulled["source"] == "cache"
    assert pulled["parameters"] == checkpoint[1] and pulled["dtype"] == "BF16"
    assert pulled["size_bytes"] > 0
    code, out, _ = cli(capsys, "model", "list")
    assert code == 0 and REPO in out and "ready" in out

    folder = hub.resolve_model(REPO)
    assert folder.is_relative_to(hub.cache_dir())
    model = load_model(folder)
    reply = model.generate("Hello", params=SamplingParams(max_new_tokens=4))
    assert reply.generated_tokens == 4


def test_the_app_picker_offers_the_usable_models(stub, capsys, checkpoint):
    assert [path for _, path in hub.picker_choices()] == [""]  # the shipped model only
    assert cli(capsys, "model", "pull", REPO)[0] == 0
    (shipped, pulled) = hub.picker_choices()
    assert shipped[1] == "" and shipped[0].startswith("shipped (1.77M parameters")
    assert pulled == (f"{REPO} ({hub.human_count(checkpoint[1])} parameters, BF16)",
                      str(hub.resolve_model(REPO)))


def test_second_pull_fetches_nothing_again(stub, capsys):
    assert cli(capsys, "model", "pull", REPO)[0] == 0
    first = len(stub.fetched())
    assert cli(capsys, "model", "pull", REPO)[0] == 0
    assert len(stub.fetched()) == first  # every file came from the cache (HEAD checks only)


def test_not_qwen3_is_refused_before_any_weights(stub, capsys, tmp_path):
    other = write_model_dir(tmp_path / "llama")
    config = json.loads((other / "config.json").read_text())
    config.update(model_type="llama", architectures=["LlamaForCausalLM"])
    (other / "config.json").write_text(json.dumps(config))
    stub.repos["meta/Llama-Tiny"] = other
    assert_one_line_error(*cli(capsys, "model", "pull", "meta/Llama-Tiny")[::2],
                          "not a Qwen3 checkpoint", "LlamaForCausalLM")
    assert stub.fetched() == ["config.json"]
    assert "meta/Llama-Tiny" not in entries(capsys)  # someone else's model: not listed
    assert_one_line_error(*cli(capsys, "model", "rm", "meta/Llama-Tiny")[::2],
                          "not a Qwen3 checkpoint")  # and not ours to remove
    assert (hub.cache_dir() / "models--meta--Llama-Tiny").is_dir()


def test_repo_without_config_is_refused(stub, capsys, tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "README.md").write_text("nothing here\n")
    stub.repos["Qwen/Qwen3-Empty"] = folder
    assert_one_line_error(*cli(capsys, "model", "pull", "Qwen/Qwen3-Empty")[::2],
                          "no config.json")


def test_unsupported_qwen3_variant_is_refused_before_weights(stub, capsys, tmp_path):
    folder = write_model_dir(tmp_path / "sliding")
    config = json.loads((folder / "config.json").read_text())
    config["use_sliding_window"] = True
    (folder / "config.json").write_text(json.dumps(config))
    stub.repos["Qwen/Qwen3-Sliding"] = folder
    assert_one_line_error(*cli(capsys, "model", "pull", "Qwen/Qwen3-Sliding")[::2],
                          "use_sliding_window")
    assert stub.fetched() == ["config.json"]


@pytest.mark.parametrize("name,message", [
    ("Qwen/Qwen3-Nowhere", "no such repo"),
    ("Qwen/Qwen3-Gated", "gated"),
    ("not a repo id!", "not a valid repo id"),
    ("shipped", "expected a Hugging Face repo id"),
])
def test_unknown_gated_and_bad_names(stub, capsys, name, message):
    stub.gated.add("Qwen/Qwen3-Gated")
    assert_one_line_error(*cli(capsys, "model", "pull", name)[::2], message)


def test_offline_with_an_empty_cache(stub, capsys, monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    assert_one_line_error(*cli(capsys, "model", "pull", REPO)[::2], "cannot reach the Hugging "
                          "Face hub")
    assert stub.requests == []


def test_connection_refused(stub, capsys, monkeypatch):
    """A closed port on loopback: huggingface_hub retries with back-off (sleeps skipped
    here), then gives up: one line, its retry warnings kept quiet."""
    import huggingface_hub.utils._http as hf_http

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{closed}")
    sleeps = []
    monkeypatch.setattr(hf_http.time, "sleep", sleeps.append)
    assert_one_line_error(*cli(capsys, "model", "pull", REPO)[::2], "cannot reach")
    assert sleeps  # it did retry


def _fail_weights(monkeypatch, failure):
    """huggingface_hub's HTTP download writes part of a .safetensors file, then `failure`."""
    import huggingface_hub.file_download as fd

    real = fd.http_get

    def http_get(url, temp_file, **kwargs):
        if not url.split("?")[0].endswith(".safetensors"):
            return real(url, temp_file, **kwargs)
        temp_file.write(b"\0" * 100)
        raise failure

    monkeypatch.setattr(fd, "http_get", http_get)


def test_disk_full_is_one_line_and_not_usable(stub, capsys, monkeypatch):
    _fail_weights(monkeypatch, OSError(errno.ENOSPC, "No space left on device"))
    assert_one_line_error(*cli(capsys, "model", "pull", REPO)[::2], "disk full",
                          str(hub.cache_dir()))
    listed = entries(capsys)
    assert not listed[REPO]["usable"] and listed[REPO]["parameters"] is None
    with pytest.raises(UserError, match="model pull"):
        hub.resolve_model(REPO)


def test_interrupted_pull_is_never_usable_and_continues(stub, capsys, monkeypatch):
    with monkeypatch.context() as patch:  # Ctrl-C in the middle of a weight file
        _fail_weights(patch, KeyboardInterrupt())
        code, _, err = cli(capsys, "model", "pull", REPO)
    assert code == 130 and err.count("\n") == 1 and f"run.py model pull {REPO}" in err
    listed = entries(capsys)
    assert not listed[REPO]["usable"] and "model pull" in listed[REPO]["problem"]
    code, out, _ = cli(capsys, "model", "list")
    assert "incomplete" in out
    with pytest.raises(UserError, match=f"run.py model pull {REPO}"):
        hub.resolve_model(REPO)
    kept = {p.name for p in Path(listed[REPO]["folder"]).iterdir() if p.is_file()}
    assert "config.json" in kept
    before = len(stub.fetched())
    assert cli(capsys, "model", "pull", REPO)[0] == 0  # pulled again: it continues
    again = stub.fetched()[before:]
    assert not kept & set(again)  # finished files are not fetched twice
    assert any(f.endswith(".safetensors") for f in again)
    assert entries(capsys)[REPO]["usable"]


def test_missing_shard_or_partial_blob_is_not_usable(stub, capsys):
    assert cli(capsys, "model", "pull", REPO)[0] == 0
    snapshot = hub.resolve_model(REPO)
    blobs = snapshot.parents[1] / "blobs"
    (blobs / "deadbeef.incomplete").write_bytes(b"\0" * 10)
    listed = entries(capsys)[REPO]
    assert not listed["usable"] and "partial download" in listed["problem"]
    (blobs / "deadbeef.incomplete").unlink()
    shard = sorted(snapshot.glob("*.safetensors"))[-1]
    shard.unlink()  # the index still names it
    listed = entries(capsys)[REPO]
    assert not listed["usable"] and f"missing weight file {shard.name}" in listed["problem"]


def test_truncated_weights_are_not_usable(tmp_path, capsys, stub):
    folder = write_model_dir(tmp_path / "cut")
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-100])
    listed = entries(capsys, "--model-dir", folder)[str(folder)]
    assert not listed["usable"] and "incomplete" in listed["problem"]
    good = write_model_dir(tmp_path / "good")
    listed = entries(capsys, "--model-dir", good)[str(good)]
    assert listed["usable"] and listed["dtype"] == "F32"


def test_rm(stub, capsys):
    assert cli(capsys, "model", "pull", REPO)[0] == 0
    repo_folder = hub.resolve_model(REPO).parents[1]
    (repo_folder / "blobs" / "cafe.incomplete").write_bytes(b"\0" * 10)  # a partial file too
    code, out, err = cli(capsys, "model", "rm", REPO)
    assert code == 0 and f"removed {REPO}" in out and "freed" in out, err
    assert not repo_folder.exists() and REPO not in entries(capsys)
    assert_one_line_error(*cli(capsys, "model", "rm", REPO)[::2], "not in the Hugging Face cache")
    assert_one_line_error(*cli(capsys, "model", "rm", "shipped")[::2], "shipped model")


def test_model_names_for_ask_and_the_app(stub, capsys, tmp_path):
    assert hub.resolve_model("shipped") == hub.DEFAULT_MODEL_DIR
    assert hub.resolve_model(str(tmp_path)) == tmp_path
    assert_one_line_error(*cli(capsys, "ask", "--sat", "1", "--prompt", "hi", "--model",
                               REPO)[::2], f"run.py model pull {REPO}")
    assert_one_line_error(*cli(capsys, "--model", REPO)[::2], f"run.py model pull {REPO}")
    assert_one_line_error(*cli(capsys, "--model", "shipped", "--model-dir", tmp_path)[::2],
                          "--model and --model-dir")
    assert cli(capsys, "model", "pull", REPO)[0] == 0
    assert hub.resolve_model(REPO).is_dir()


def test_ask_and_the_app_run_a_pulled_model(stub, capsys, monkeypatch):
    assert cli(capsys, "model", "pull", REPO)[0] == 0
    folder = str(hub.resolve_model(REPO))
    code, out, err = cli(capsys, "ask", "--scenario", "network-2035", "--sat", "5", "--prompt",
                         "What news?", "--model", REPO, "--max-tokens", "3", "--json")
    assert code == 0, err
    assert json.loads(out)["tokens"]["generated"] == 3
    from viz import app

    seen = {}

    def window(args, world_factory, model_catalog, scenario_size=None):  # the window's stand-in
        seen["dir"], seen["choices"] = args.model_dir, model_catalog()
        return 0

    monkeypatch.setattr(app, "main", window)
    assert cli(capsys, "--model", REPO)[0] == 0
    assert seen["dir"] == folder  # the app gets the checkpoint folder, as with --model-dir
    assert ("", folder) == tuple(path for _, path in seen["choices"])  # and the picker's list
