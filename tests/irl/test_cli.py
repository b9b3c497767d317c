"""The IRL command: runs end to end and writes the picture."""

from __future__ import annotations

from softrl.irl.cli import main


def test_cli_writes_png(tmp_path, capsys):
    out = tmp_path / "irl.png"
    main(["--n-demos", "20", "--max-iter", "20", "--no-verbose", "--out", str(out)])
    assert out.stat().st_size > 10_000
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    printed = capsys.readouterr().out
    assert "evd_greedy" in printed and "epic" in printed


def test_registered_as_softrl_subcommand(tmp_path):
    from softrl.cli.main import main as softrl_main

    out = tmp_path / "irl.png"
    code = softrl_main(
        ["irl", "--algorithm", "feature-matching", "--n-demos", "10", "--max-iter", "5",
         "--no-verbose", "--out", str(out)]
    )  # fmt: skip
    assert code == 0 and out.exists()
