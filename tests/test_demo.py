"""The main demo runs end to end and writes its pictures."""

from softrl.demo import main


def test_demo_writes_pngs(tmp_path, capsys):
    main(["--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert "Figure 3.5" in out and "optimistic" in out
    assert "gallery.md" in out and "examples/" in out
    for name in ("demo_sutton_barto.png", "demo_gridworld.png"):
        png = tmp_path / name
        assert png.stat().st_size > 10_000
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
