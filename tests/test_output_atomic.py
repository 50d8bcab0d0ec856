"""Output files through sim/output.py: written beside the target under a temporary name,
verified, renamed only when complete; a failure, a folder in the way, a missing permission or a
SIGTERM in a real process leaves no temporary file and never changes what was there before."""
import pathlib
import signal
import subprocess
import sys
import time

import pytest

from tests.output_helpers import OLD, ROOT, disk_full, only
from sim import output
from sim.errors import UserError


# --- the helper ----------------------------------------------------------------------------

def test_atomic_output_keeps_the_old_file_when_the_block_fails(tmp_path):
    target = tmp_path / "x.csv"
    target.write_bytes(OLD)
    with pytest.raises(UserError, match="disk full"):
        with output.atomic_output(target) as temp:
            temp.write_bytes(b"half")
            disk_full()
    assert target.read_bytes() == OLD and only(tmp_path) == ["x.csv"]


def test_atomic_output_keeps_the_old_file_when_verification_fails(tmp_path):
    target = tmp_path / "x.csv"
    target.write_bytes(OLD)

    def verify(path):
        raise UserError("incomplete")

    with pytest.raises(output.OutputError, match="incomplete"):
        with output.atomic_output(target, verify) as temp:
            temp.write_bytes(b"new")
    assert target.read_bytes() == OLD and only(tmp_path) == ["x.csv"]


def test_atomic_output_replaces_on_success(tmp_path):
    target = tmp_path / "x.csv"
    target.write_bytes(OLD)
    target.chmod(0o640)
    with output.atomic_output(target, verify=lambda p: None) as temp:
        temp.write_bytes(b"new")
    assert target.read_bytes() == b"new" and only(tmp_path) == ["x.csv"]
    assert target.stat().st_mode & 0o777 == 0o640  # the old file's mode is kept


def test_a_new_output_gets_the_mode_of_a_plain_write(tmp_path):
    plain = tmp_path / "plain"
    plain.write_bytes(b"")
    with output.atomic_output(tmp_path / "new.csv") as temp:
        temp.write_bytes(b"new")
    assert (tmp_path / "new.csv").stat().st_mode & 0o777 == plain.stat().st_mode & 0o777


def test_check_output_path_refuses_a_folder_and_a_file_in_place_of_a_folder(tmp_path):
    (tmp_path / "x.csv").mkdir()
    with pytest.raises(UserError, match="--out: .*x.csv is a folder"):
        output.check_output_path("--out", tmp_path / "x.csv", (".csv",))
    (tmp_path / "no").write_text("a file, not a folder")
    with pytest.raises(UserError, match="--out: cannot write .*no is not a folder"):
        output.check_output_path("--out", tmp_path / "no" / "x.csv", (".csv",))


def test_check_output_path_without_permission(tmp_path, monkeypatch):
    monkeypatch.setattr(output.os, "access", lambda path, mode: False)  # root ignores chmod
    with pytest.raises(UserError, match="--out: cannot write .*permission denied"):
        output.check_output_path("--out", tmp_path / "x.csv", (".csv",))


# --- SIGTERM in a real process ----------------------------------------------------------------

def catches_sigterm(pid: int) -> bool:
    """True once process `pid` has a SIGTERM handler (run.py's main is running)."""
    status = pathlib.Path(f"/proc/{pid}/status").read_text()
    caught = int(next(l for l in status.splitlines() if l.startswith("SigCgt:")).split()[1], 16)
    return bool(caught & (1 << (signal.SIGTERM - 1)))


@pytest.mark.skipif(not pathlib.Path("/proc/self/status").exists(), reason="needs /proc")
def test_sigterm_ends_a_command_with_one_line_and_exit_143(tmp_path):
    big = tmp_path / "big.toml"
    big.write_text('[scenario]\nname = "big"\nepoch = "2026-01-15T00:00:00Z"\n[[shells]]\n'
                   'altitude_km = 550\ninclination_deg = 53\nplanes = 1000\n'
                   'sats_per_plane = 1000\n')
    target = tmp_path / "sats.csv"
    proc = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "export", "--scenario",
                             str(big), "--out", str(target)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not catches_sigterm(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGTERM)  # now inside main: building a million satellites
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err
    assert err == "terminated\n"
    assert only(tmp_path) == ["big.toml"]
