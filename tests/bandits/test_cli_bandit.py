"""``softrl bandit``: PNG and table; every error one line with exit status 2."""

from __future__ import annotations

import pytest

from softrl.cli.main import main as softrl


def test_writes_png_and_prints_final_regret_table(tmp_path, capsys):
    out = tmp_path / "regret.png"
    code = softrl(["bandit", "--algorithms", "ucb1,thompson,klucb,boltzmann",
                   "--arms", "0.5,0.4,0.3", "--horizon", "1500", "--runs", "20",
                   "--out", str(out), "--log-x"])  # fmt: skip
    assert code == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 10_000
    rows = {line.split()[0]: line.split()[1:] for line in capsys.readouterr().out.splitlines()}
    finals = {name: float(rows[name][0]) for name in ("ucb1", "thompson", "klucb", "boltzmann")}
    assert finals["thompson"] < finals["ucb1"] and finals["klucb"] < finals["boltzmann"]


def test_gaussian_bandit_runs(tmp_path, capsys):
    out = tmp_path / "g.png"
    assert softrl(["bandit", "--bandit", "gaussian", "--sigma", "2", "--arms", "1,0,3",
                   "--algorithms", "ids,epsilon_greedy", "--horizon", "300", "--runs", "5",
                   "--out", str(out)]) == 0  # fmt: skip
    assert out.exists() and "ids" in capsys.readouterr().out


@pytest.mark.parametrize("argv,needle", [
    (["--algorithms", "ucb,thompson"], "Did you mean 'ucb1'"),
    (["--arms", "0.1,1.3"], "means"),
    (["--arms", "0.1,x"], "--arms"),
    (["--horizon", "0"], "horizon"),
    (["--runs", "0"], "runs"),
    (["--horizon", "ten"], "--horizon"),
    (["--temperature", "-1"], "temperature"),
    (["--bandit", "poisson"], "--bandit"),
    (["--no-such-flag"], "unrecognized"),
    (["--out", "regret.jpg"], "--out"),
])  # fmt: skip
def test_errors_are_one_line(argv, needle, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert softrl(["bandit", "--horizon", "50", "--runs", "2", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("softrl bandit: error: ") and needle in err
    assert not list(tmp_path.iterdir())
