"""`run.py ask --deploy-steps N`: the answer comes from the checkpoint the satellite holds,
and the JSON says which (the inference satellite: the trained one; a training satellite,
which no deploy reaches: the shipped model). Bad input is one line, exit 2."""
import json

from tests.cli_helpers import assert_one_line_error, cli


def test_ask_after_a_deploy_names_the_checkpoint(capsys):
    code, out, err = cli(capsys, "ask", "--scenario", "network-2030", "--sat", "0",
                         "--prompt", "What news?", "--max-tokens", "8", "--timing", "fixed",
                         "--deploy-steps", "1", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["model"] == "trained step 1" and report["tokens"]["generated"] >= 1


def test_bad_deploy_steps(capsys):
    code, _, err = cli(capsys, "ask", "--sat", "0", "--prompt", "hi", "--deploy-steps", "0")
    assert_one_line_error(code, err, "--deploy-steps: expected 1..")
