"""The IRL command: the default runs recover the reward, and the picture is written."""

from __future__ import annotations

import dataclasses

import pytest

from softrl.cli.irl import IRLConfig, main, run


def _metrics(printed: str) -> dict[str, str]:
    rows = (line.split(":", 1) for line in printed.splitlines() if ":" in line)
    return {key.strip(): value.strip() for key, value in rows}


def test_default_mce_run_recovers_the_reward_and_writes_png(tmp_path, capsys):
    out = tmp_path / "irl.png"
    assert main(["--out", str(out)]) == 0  # defaults, progress bar on
    assert out.stat().st_size > 10_000
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    printed = _metrics(capsys.readouterr().out)
    assert printed["slip"] == "0.1"
    assert float(printed["evd_greedy"]) < 0.02
    assert float(printed["epic"]) < 0.05
    # The demonstrations are noisy: imitating them (the expert's own policy) loses far more.
    assert float(printed["evd_expert"]) > 0.2


def test_default_maxent_run_is_deterministic_and_recovers_a_good_policy(tmp_path):
    config = IRLConfig(algorithm="maxent", verbose=False, out=tmp_path / "maxent.png")
    assert config.effective_slip == 0.0
    assert run(config)["evd_greedy"] < 0.02
    slippery = dataclasses.replace(config, slip=0.1)
    assert slippery.effective_slip == 0.1  # an explicit slip is kept (and misleads MaxEnt)
    assert run(slippery)["evd_greedy"] > 0.5


@pytest.mark.parametrize("reward_model", ["state", "state_action"])
def test_tabular_reward_models_run_end_to_end(tmp_path, reward_model):
    out = tmp_path / f"{reward_model}.png"
    config = IRLConfig(reward_model=reward_model, n_demos=20, max_iter=20, verbose=False, out=out)
    metrics = run(config)
    assert out.exists() and set(metrics) >= {"evd_greedy", "epic", "demo_log_likelihood"}


def test_registered_as_softrl_subcommand(tmp_path, capsys):
    from softrl.cli.main import main as softrl_main

    out = tmp_path / "irl.png"
    code = softrl_main(
        ["irl", "--algorithm", "feature-matching", "--no-verbose", "--out", str(out)]
    )  # fmt: skip
    assert code == 0 and out.exists()
    assert float(_metrics(capsys.readouterr().out)["evd_greedy"]) < 0.02


@pytest.mark.parametrize("argv,needle", [
    (["--layout", "S.X\n..G"], "unknown symbol 'X'"),
    (["--layout", "S..\n..."], "no goal"),
    (["--n-demos", "0"], "--n-demos"),
    (["--expert-temperature", "nan"], "--expert-temperature"),
    (["--l2", "-1"], "--l2"),
    (["--goal-reward", "nan"], "goal_reward"),
])
def test_bad_settings_fail_at_once_with_one_line(tmp_path, capsys, argv, needle):
    from softrl.cli.main import main as softrl

    out = tmp_path / "irl.png"
    assert softrl(["irl", "--out", str(out), *argv]) == 2
    err = capsys.readouterr().err
    assert needle in err and len(err.strip().splitlines()) == 1 and not out.exists()


@pytest.mark.parametrize("reward_model", ["state", "state_action"])
def test_feature_matching_honours_a_tabular_reward_model(tmp_path, capsys, reward_model):
    from softrl.cli.main import main as softrl

    out = tmp_path / "fm.png"
    argv = ["irl", "--algorithm", "feature-matching", "--reward-model", reward_model,
            "--n-demos", "20", "--max-iter", "5", "--no-verbose", "--out", str(out)]  # fmt: skip
    assert softrl(argv) == 0 and out.exists()
    printed = capsys.readouterr().out
    assert f"reward_model: {reward_model}" in printed
    assert float(_metrics(printed)["evd_greedy"]) >= 0.0


def test_an_output_that_cannot_be_written_fails_before_any_work(tmp_path, capsys):
    from softrl.cli.main import main as softrl

    blocker = tmp_path / "a_file"
    blocker.write_text("")
    for out in (blocker / "irl.png", tmp_path):  # under a file; a directory
        assert softrl(["irl", "--out", str(out)]) == 2
        captured = capsys.readouterr()
        assert "--out" in captured.err and len(captured.err.strip().splitlines()) == 1
        assert captured.out == ""  # no fit was run, nothing printed
