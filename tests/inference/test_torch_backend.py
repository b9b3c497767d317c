"""The torch backward pass (the GPU path) against the numba engine, on the CPU."""

import numpy as np
import pytest
import torch

from mdp_factories import make_random_mdp
from softrl.inference import soft_backward

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("backup", ["variational", "optimistic"])
@pytest.mark.parametrize("temperature", [1e-6, 0.5, 2.0])
def test_matches_numba_engine(device, backup, temperature):
    mdp = make_random_mdp(5, S=12, A=3, gamma=0.9, terminal=[11], density=0.3)
    mdp = mdp.replace(reward=mdp.reward * 100)
    ref = soft_backward(mdp, temperature, backup, horizon=7)
    got = soft_backward(mdp, temperature, backup, horizon=7, device=device)
    np.testing.assert_allclose(got.V, ref.V, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(got.Q, ref.Q, rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("device", DEVICES)
def test_infinite_horizon_matches_numba_engine(device):
    mdp = make_random_mdp(2, S=12, A=3, gamma=0.7, terminal=[11], density=0.3)
    for backup in ("variational", "optimistic"):
        ref = soft_backward(mdp, 0.5, backup, tol=1e-11)
        got = soft_backward(mdp, 0.5, backup, tol=1e-11, device=device)
        np.testing.assert_allclose(got.V, ref.V, rtol=1e-9, atol=1e-9)
        assert got.residual <= 1e-11


def test_hard_limit_and_action_prior():
    mdp = make_random_mdp(1, S=6, A=3, gamma=0.8, horizon=5)
    prior = np.array([0.5, 0.5, 0.0])
    for T in (0.0, 0.7):
        ref = soft_backward(mdp, T, action_prior=prior)
        got = soft_backward(mdp, T, action_prior=prior, device="cpu")
        np.testing.assert_allclose(got.V, ref.V, atol=1e-12)


def test_device_rejects_policy_evaluation():
    mdp = make_random_mdp(1, S=4, A=2, horizon=3)
    with pytest.raises(ValueError, match="device"):
        soft_backward(mdp, 1.0, policy=np.full((4, 2), 0.5), device="cpu")
