"""Running `run.py` in-process as a user would, and what a refused input must look like:
exit code 2 and exactly one line on stderr ("error: ..."), never a traceback."""
import run


def cli(capsys, *argv):
    """(exit code, stdout, stderr) of `run.py ARGV`."""
    code = run.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code, err, *expected):
    assert code == 2, err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    for text in expected:
        assert text in err, err
