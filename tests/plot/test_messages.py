"""plot_messages: three rows of heatmaps, and clear errors for mismatched inputs."""

import numpy as np
import pytest

from softrl.plot import plot_messages


def test_writes_png(tmp_path):
    log_alpha = np.log(np.full((3, 4), 0.25))
    log_beta = np.array([[0.0, 1.0, 2.0, 3.0]] * 3)
    log_alpha[1, 0] = -np.inf  # unreachable at t = 1: drawn blank
    out = plot_messages((2, 2), log_alpha, log_beta, [0, 1, 2], tmp_path / "m.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_errors(tmp_path):
    with pytest.raises(ValueError, match="log_alpha and log_beta"):
        plot_messages((2, 2), np.zeros((3, 4)), np.zeros((2, 4)), [0], tmp_path / "m.png")
    with pytest.raises(ValueError, match="times"):
        plot_messages((2, 2), np.zeros((3, 4)), np.zeros((3, 4)), [3], tmp_path / "m.png")
