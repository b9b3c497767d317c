"""CSV/TensorBoard logger, resume truncation, plotting and seeding."""

import numpy as np
import torch

from softrl.plot import plot_runs
from softrl.training import Logger, make_rngs, read_metrics


def test_csv_rows_resume_truncation_and_plot(tmp_path) -> None:
    log = Logger(tmp_path, tensorboard=True)
    for step in (100, 200, 300):
        log.log(step, {"eval/mean_return": -step / 10, "losses/critic": 1.0})
    log.close()
    series = read_metrics(tmp_path)
    assert series["eval/mean_return"] == ([100, 200, 300], [-10.0, -20.0, -30.0])
    assert list((tmp_path / "tb").iterdir())  # TensorBoard events written
    log = Logger(tmp_path, tensorboard=False, resume_step=200)  # rows after step 200 dropped
    log.log(300, {"eval/mean_return": -1.0})
    log.close()
    assert read_metrics(tmp_path)["eval/mean_return"] == ([100, 200, 300], [-10.0, -20.0, -1.0])
    png = plot_runs([tmp_path], tmp_path / "curve.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_one_seed_gives_repeatable_generators() -> None:
    a, b = make_rngs(5), make_rngs(5)
    assert a.np.integers(1 << 30) == b.np.integers(1 << 30)
    torch.testing.assert_close(torch.rand(3, generator=a.torch), torch.rand(3, generator=b.torch))
    c = make_rngs(6)
    assert not np.array_equal(c.np.random(4), make_rngs(5).np.random(4))
