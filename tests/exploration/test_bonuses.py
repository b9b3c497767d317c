"""Exploration bonuses against independent computations: true counts, hand-made statistics."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from softrl.exploration import (
    BinnedDensity,
    CountBonus,
    EmpiricalDensity,
    ExemplarBonus,
    PseudoCountBonus,
    RNDBonus,
    RunningMeanStd,
    SimHashBonus,
    exemplar_density,
    make_bonus,
    pseudo_count,
)


def _visits(n_states: int = 6, n: int = 300, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.ones(n_states))
    seq = rng.choice(n_states, size=n, p=p)
    seq[:2] = [0, 1]  # two distinct states first: p < 1 from then on
    return seq


def test_pseudo_count_of_the_empirical_density_is_the_true_count() -> None:
    seq = _visits()
    model, seen = EmpiricalDensity(), np.zeros(6, dtype=np.int64)
    for s in seq:
        x = np.eye(6, dtype=np.float32)[s]
        log_p, log_p_next = model.log_probs(x)
        assert pseudo_count(log_p, log_p_next) == pytest.approx(seen[s], rel=1e-9, abs=1e-12)
        model.observe(x)
        seen[s] += 1
    # the same through the bonus, batch at a time
    bonus = PseudoCountBonus(scale=2.0, density="empirical")
    states = torch.eye(6)[torch.as_tensor(seq)]
    r = bonus.reward(states, None, states)
    before = np.array([np.sum(seq[:i] == s) for i, s in enumerate(seq)])
    np.testing.assert_allclose(bonus.last_counts, before, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(r.numpy(), 2.0 / np.sqrt(before + 0.01), rtol=1e-6)


def test_pseudo_count_formula_closed_forms() -> None:
    # p = N/n, p' = (N + 1)/(n + 1) for many (N, n), in log space
    n = np.arange(3, 200)
    k = n // 3
    got = pseudo_count(np.log(k / n), np.log((k + 1) / (n + 1)))
    np.testing.assert_allclose(got, k, rtol=1e-9)
    assert pseudo_count(-np.inf, np.log(0.5)) == 0.0  # never seen
    assert pseudo_count(0.0, 0.0) == np.inf  # p = p' = 1: nothing left to learn


def test_binned_kt_density_pseudo_count_is_count_plus_half() -> None:
    # 1-D Krichevsky-Trofimov: p = (N + 1/2)/(n + K/2) -> N_hat = N + 1/2 exactly
    rng = np.random.default_rng(1)
    model = BinnedDensity([0.0], [1.0], n_bins=8)
    xs = rng.uniform(0, 1, 200)
    counts = np.zeros(8)
    for x in xs:
        b = min(int(x * 8), 7)
        got = pseudo_count(*model.log_probs(np.array([x])))
        assert got == pytest.approx(counts[b] + 0.5, rel=1e-9)
        model.observe(np.array([x]))
        counts[b] += 1
    # the factorized density is a product over coordinates
    model2 = BinnedDensity([0.0, -1.0], [1.0, 1.0], n_bins=4)
    for x in rng.uniform([0, -1], [1, 1], (50, 2)):
        model2.observe(x)
    x = np.array([0.3, 0.6])
    p0 = (model2.counts[0, 1] + 0.5) / (50 + 2)
    p1 = (model2.counts[1, 3] + 0.5) / (50 + 2)
    assert model2.log_probs(x)[0] == pytest.approx(np.log(p0 * p1))


def test_simhash_counts_equal_exact_counts_without_collisions() -> None:
    rng = np.random.default_rng(2)
    states = rng.normal(size=(12, 5)).astype(np.float32)
    seq = rng.integers(12, size=400)
    x = torch.as_tensor(states[seq])
    simhash, exact = SimHashBonus(scale=0.5, n_bits=64, seed=3), CountBonus(scale=0.5)
    codes = simhash.codes(torch.as_tensor(states))
    assert len({c.tobytes() for c in codes}) == 12  # no two states collide
    torch.testing.assert_close(simhash.reward(x, None, x), exact.reward(x, None, x))
    true = np.bincount(seq, minlength=12)
    np.testing.assert_array_equal(simhash.count(torch.as_tensor(states)), true)
    np.testing.assert_array_equal(exact.count(torch.as_tensor(states)), true)
    assert simhash.n_keys == exact.n_keys == 12


def test_simhash_collisions_pool_counts_by_code() -> None:
    rng = np.random.default_rng(4)
    states = torch.as_tensor(rng.normal(size=(40, 3)).astype(np.float32))
    bonus = SimHashBonus(n_bits=2, seed=0)
    bonus.reward(states, None, states)
    sign = (states @ bonus.projection(3).T >= 0).numpy()  # by hand: sign(A s)
    code = sign[:, 0] * 2 + sign[:, 1]
    np.testing.assert_array_equal(bonus.count(states), np.bincount(code, minlength=4)[code])
    assert bonus.n_keys <= 4


def test_count_bonus_first_visit_and_decay() -> None:
    bonus = CountBonus(scale=3.0)
    s = torch.eye(3)[[2, 2, 2, 2]]
    np.testing.assert_allclose(bonus.reward(s, None, s).numpy(), 3.0 / np.sqrt([1, 2, 3, 4]),
                               rtol=1e-6)
    assert bonus.reward(-0.0 * s[:1], None, 0.0 * s[:1]).item() == 3.0  # -0.0 is 0.0


def test_running_mean_std_equals_the_concatenation() -> None:
    rng = np.random.default_rng(5)
    rms, seen = RunningMeanStd((3,)), []
    for n in (1, 7, 2, 30):
        x = rng.normal(2.0, 3.0, (n, 3))
        rms.update(torch.as_tensor(x))
        seen.append(x)
        all_x = np.concatenate(seen)
        np.testing.assert_allclose(rms.mean.numpy(), all_x.mean(0), rtol=1e-12)
        np.testing.assert_allclose(rms.var.numpy(), all_x.var(0), rtol=1e-12)
        assert rms.count.item() == len(all_x)


def test_rnd_normalization_by_hand() -> None:
    rng = np.random.default_rng(6)
    bonus = RNDBonus(scale=0.7, hidden_sizes=(16,), out_dim=8, obs_clip=1.5, seed=1)
    seen, errs = [], []
    for n in (1, 5, 9):
        x = rng.normal([5.0, -2.0], [4.0, 0.1], (n, 2)).astype(np.float32)
        r = bonus.reward(None, None, torch.as_tensor(x)).numpy()
        seen.append(x)
        all_x = np.concatenate(seen).astype(np.float64)
        z = np.clip((x - all_x.mean(0)) / np.sqrt(all_x.var(0) + 1e-8), -1.5, 1.5)
        zt = torch.as_tensor(z, dtype=torch.float32)
        with torch.no_grad():
            e = (bonus.predictor(zt) - bonus.target(zt)).pow(2).mean(-1).numpy()
        errs.append(e)
        rms = np.sqrt(np.mean(np.concatenate(errs).astype(np.float64) ** 2))
        np.testing.assert_allclose(r, 0.7 * e / rms, rtol=1e-5)
        bonus.update(SimpleNamespace(next_obs=torch.as_tensor(x)))


def test_rnd_error_falls_where_it_trains_only() -> None:
    torch.manual_seed(0)
    bonus = RNDBonus(hidden_sizes=(32, 32), out_dim=16, learning_rate=3e-3, seed=2)
    rng = np.random.default_rng(7)
    visited = torch.as_tensor(rng.normal(0, 1, (256, 2)), dtype=torch.float32)
    novel = torch.as_tensor(rng.normal(0, 1, (256, 2)) + [4.0, 4.0], dtype=torch.float32)
    bonus.reward(None, None, torch.cat([visited, novel]))  # both shape the statistics
    before_v = bonus.errors(visited).mean().item()
    for _ in range(200):
        bonus.update(SimpleNamespace(next_obs=visited))
    after_v, after_n = bonus.errors(visited).mean().item(), bonus.errors(novel).mean().item()
    assert after_v < 0.2 * before_v
    assert after_n > 3 * after_v


def test_exemplar_density_inverts_the_optimal_classifier() -> None:
    p = torch.tensor([0.01, 0.2, 0.5, 1.0, 3.0])
    torch.testing.assert_close(exemplar_density(1.0 / (1.0 + p)), p)


def test_exemplar_classifier_learns_the_state_density() -> None:
    probs = np.array([0.6, 0.3, 0.1])
    rng = np.random.default_rng(8)
    bonus = ExemplarBonus(hidden_sizes=(32,), learning_rate=1e-2, seed=0)
    eye = torch.eye(3)
    for _ in range(300):
        batch = eye[torch.as_tensor(rng.choice(3, size=256, p=probs))]
        bonus.update(SimpleNamespace(next_obs=batch))
    p_hat = bonus.density(eye).numpy()
    np.testing.assert_allclose(p_hat, probs, atol=0.06)
    r = bonus.reward(None, None, eye).numpy()
    np.testing.assert_allclose(r, np.maximum(0.0, -np.log(p_hat)), rtol=1e-5)
    assert r[2] > r[1] > r[0]  # the rarest state pays most


@pytest.mark.parametrize("make", [
    lambda: CountBonus(0.3), lambda: SimHashBonus(0.3, n_bits=16, seed=2),
    lambda: PseudoCountBonus(0.3, density="binned", low=[-3, -3], high=[3, 3], n_bins=5),
    lambda: PseudoCountBonus(0.3), lambda: RNDBonus(0.3, hidden_sizes=(8,), out_dim=4),
    lambda: ExemplarBonus(0.3, hidden_sizes=(8,), noise_std=0.1),
])
def test_spec_and_state_rebuild_the_same_bonus(make) -> None:
    rng = np.random.default_rng(9)
    batches = [torch.as_tensor(rng.normal(size=(6, 2)).round(1), dtype=torch.float32)
               for _ in range(4)]
    a = make()
    for x in batches[:2]:
        a.reward(x, None, x)
        a.update(SimpleNamespace(next_obs=x))
    b = make_bonus(a.spec())
    b.load_state_dict(a.state_dict())
    for x in batches[2:]:
        torch.testing.assert_close(a.reward(x, None, x), b.reward(x, None, x))
        la, lb = a.update(SimpleNamespace(next_obs=x)), b.update(SimpleNamespace(next_obs=x))
        assert la.keys() == lb.keys()
        for k in la:
            torch.testing.assert_close(la[k], lb[k])


def test_errors_name_the_parameter() -> None:
    with pytest.raises(ValueError, match="'scale' parameter of CountBonus"):
        CountBonus(scale=0.0)
    with pytest.raises(ValueError, match="'n_bits' parameter of SimHashBonus"):
        SimHashBonus(n_bits=0)
    with pytest.raises(ValueError, match="'low' and 'high' parameters of PseudoCountBonus"):
        PseudoCountBonus(density="binned")
    with pytest.raises(ValueError, match="'density' parameter"):
        PseudoCountBonus(density="pixelcnn")
    with pytest.raises(ValueError, match="'seed' parameter"):
        RNDBonus(seed=-1)
    with pytest.raises(ValueError, match="'noise_std' parameter of ExemplarBonus"):
        ExemplarBonus(noise_std=-1.0)
    with pytest.raises(ValueError, match="unknown exploration bonus kind 'icm'"):
        make_bonus({"kind": "icm"})
    model = BinnedDensity([0.0], [1.0], 4)
    with pytest.raises(ValueError, match="the states have 2"):
        model.log_probs(np.zeros(2))
