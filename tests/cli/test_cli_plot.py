"""``softrl plot``: one-line errors (exit 2) for every bad input, never a traceback."""

from __future__ import annotations

import pytest

from softrl.cli.main import main as softrl


@pytest.fixture
def run_dir(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "metrics.csv").write_text("step,key,value,wall_time\n1,losses/a,0.5,0\n")
    return run


def _one_error_line(capsys, needle: str) -> str:
    err = capsys.readouterr().err
    assert err.startswith("softrl plot: error: ") and needle in err, err
    assert len(err.strip().splitlines()) == 1, err
    return err


def test_no_run_dir(capsys):
    assert softrl(["plot"]) == 2
    _one_error_line(capsys, "give one or more run directories")


def test_unknown_key_names_it_and_the_keys_present(run_dir, capsys):
    assert softrl(["plot", str(run_dir), "--keys", "losses/b"]) == 2
    err = _one_error_line(capsys, "'losses/b'")
    assert "losses/a" in err
    assert softrl(["plot", str(run_dir), "--keys", "losses/a"]) == 0
    assert (run_dir / "learning_curve.png").exists()


def test_missing_run_dir(tmp_path, capsys):
    assert softrl(["plot", str(tmp_path / "nowhere")]) == 2
    _one_error_line(capsys, "nowhere")


def test_out_that_cannot_be_written(run_dir, tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    out = blocker / "curve.png"  # its folder would be a file
    assert softrl(["plot", str(run_dir), "--keys", "losses/a", "--out", str(out)]) == 2
    _one_error_line(capsys, "a_file")


def test_keys_without_a_run_dir(capsys):
    assert softrl(["plot", "--keys", "losses/a"]) == 2
    _one_error_line(capsys, "give one or more run directories")
