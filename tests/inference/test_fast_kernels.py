"""The fast paths of the tabular engine (issue 19): vexp / vlog, the ELL layout, the blocked
soft max and the forward gather, each against numpy or a plain reference implementation."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import logsumexp

from mdp_factories import make_random_mdp
from softrl.envs import garnet, gridworld
from softrl.inference import (
    forward_messages,
    kernels,
    log_policy_from_q,
    policy_marginals,
    posterior_marginals,
    soft_backward,
    soft_bellman_step,
)
from softrl.inference._layout import NO_ELL, ell_layout
from softrl.inference._vexp import vexp_array, vlog_array
from softrl.inference.backward import _NO_PI, _NO_POLICY
from softrl.mdp import FiniteMDP


def _ulps(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    """|got - want| in units of the spacing of float64 at ``want`` (0 where equal or both NaN)."""
    same = (got == want) | (np.isnan(got) & np.isnan(want))
    with np.errstate(invalid="ignore"):
        return np.where(same, 0.0, np.abs(got - want) / np.spacing(np.abs(want)))


def test_vexp_within_one_ulp_of_numpy_over_the_whole_range():
    rng = np.random.default_rng(0)
    x = np.concatenate([
        rng.uniform(-745.2, 709.78, 400_000),  # every exponent, subnormal results included
        rng.uniform(-1.0, 1.0, 100_000),
        rng.uniform(-745.2, -708.0, 50_000),  # subnormal results
        -np.logspace(-20, 2.8, 1000),
        [0.0, -0.0, -745.13, 709.78, np.log(2.0), -np.log(2.0)],
    ])  # fmt: skip
    got = np.empty_like(x)
    vexp_array(x, got)
    assert _ulps(got, np.exp(x)).max() <= 1.0


def test_vexp_edges_underflow_to_zero_and_overflow_to_inf():
    x = np.array([-np.inf, -1e308, -746.0, -745.2, np.inf, 1e308, 710.0, np.nan])
    got = np.empty_like(x)
    vexp_array(x, got)
    np.testing.assert_array_equal(got[:4], 0.0)
    np.testing.assert_array_equal(got[4:7], np.inf)
    assert np.isnan(got[7])


def test_vlog_within_one_ulp_of_numpy():
    rng = np.random.default_rng(1)
    x = np.concatenate([
        rng.uniform(1.0, 5.0, 200_000),  # the sums a soft max takes the log of
        np.exp(rng.uniform(-744.0, 709.0, 200_000)),
        10.0 ** rng.uniform(-323.0, -308.0, 10_000),  # subnormal
        rng.uniform(0.999, 1.001, 50_000),
        [1.0, 2.0, np.finfo(float).max, np.finfo(float).tiny],
    ])  # fmt: skip
    got = np.empty_like(x)
    vlog_array(x, got)
    assert _ulps(got, np.log(x)).max() <= 1.0
    specials = np.array([0.0, -0.0, -1.0, np.inf, -np.inf, np.nan])
    got = np.empty_like(specials)
    vlog_array(specials, got)
    np.testing.assert_array_equal(got[:2], -np.inf)
    assert np.isnan(got[2]) and got[3] == np.inf and np.isnan(got[4]) and np.isnan(got[5])


def test_ell_layout_is_the_csr_matrix_padded_with_zeros():
    grid = gridworld(6, slip=0.1, n_actions=5).mdp  # rows of 2..5 successors: a padded copy
    idx, p = ell_layout(grid)
    P = grid.transitions
    dense = np.zeros(P.shape)
    np.add.at(dense, (np.repeat(np.arange(P.shape[0]), idx.shape[1]), idx.ravel()), p.ravel())
    np.testing.assert_array_equal(dense, P.toarray())
    assert ell_layout(grid) is ell_layout(grid)  # cached per MDP
    g = garnet(50, 3, 4, seed=0)  # every row 4 successors: views of the CSR arrays
    idx, p = ell_layout(g)
    assert idx.shape == (150, 4) and np.shares_memory(p, g.transitions.data)
    assert ell_layout(make_random_mdp(0, S=30, A=2, density=0.2)) is NO_ELL  # 30-wide rows


def _reference_backward(mdp, T, H):
    """Q, V, pi of the soft backward pass with numpy and scipy (no compiled code)."""
    S, A = mdp.shape
    V = np.zeros((H + 1, S))
    Q = np.zeros((H, S, A))
    live = ~mdp.terminal
    for t in range(H - 1, -1, -1):
        Q[t] = mdp.reward + mdp.gamma * (mdp.transitions @ V[t + 1]).reshape(S, A)
        Q[t, ~live] = 0.0
        V[t] = np.where(live, T * logsumexp(Q[t] / T, axis=1), 0.0)
    pi = np.exp((Q - V[:-1, :, None]) / T)
    pi[:, ~live] = 1.0 / A
    return Q, V, pi / pi.sum(-1, keepdims=True)


def _reference_forward(mdp, pi, H):
    S, A = mdp.shape
    d = np.zeros((H + 1, S))
    D = np.zeros((H, S, A))
    d[0] = mdp.initial
    live = mdp.terminal == 0
    for t in range(H):
        w = d[t, :, None] * np.where(live[:, None], pi[t], 1.0 / A)
        D[t] = np.where(live[:, None], w, 0.0)
        d[t + 1] = mdp.transitions.T @ w.ravel()
    return d, D


@pytest.mark.parametrize("case", ["grid", "garnet", "dense"])
def test_fast_backward_and_forward_match_the_reference(case):
    if case == "grid":  # ELL copy, terminal states, a slip
        mdp = gridworld(7, slip=0.2, n_actions=5, gamma=0.97, horizon=30,
                        reward=np.random.default_rng(2).normal(size=49)).mdp  # fmt: skip
        mdp = mdp.replace(terminal=[3, 40])
    elif case == "garnet":  # ELL view
        mdp = garnet(300, 4, 3, seed=3, horizon=30)
    else:  # CSR rows too wide for ELL
        mdp = make_random_mdp(4, S=40, A=3, horizon=30, terminal=[5], density=0.5)
    sol = soft_backward(mdp, 0.7)
    Q, V, pi = _reference_backward(mdp, 0.7, 30)
    np.testing.assert_allclose(sol.Q, Q, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(sol.V, V, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(sol.policy, pi, rtol=1e-12, atol=1e-15)
    marg = policy_marginals(mdp, sol.policy)
    d, D = _reference_forward(mdp, sol.policy, 30)
    np.testing.assert_allclose(marg.state, d, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(marg.state_action, D, rtol=1e-12, atol=1e-15)


def test_ell_and_csr_kernels_give_the_same_numbers():
    mdp = gridworld(9, slip=0.1, n_actions=5, horizon=12,
                    reward=np.random.default_rng(5).normal(size=81)).mdp  # fmt: skip
    P = mdp.transitions
    S, A = mdp.shape
    out = []
    for ell in (ell_layout(mdp), NO_ELL):
        Q, V, pi = np.empty((12, S, A)), np.zeros((13, S)), np.empty((12, S, A))
        kernels.backward_pass(
            P.indptr, P.indices, P.data, *ell, mdp.reward, V[1:], 1.0, 0.3, False,
            mdp.terminal, kernels.MODE_SOFT, _NO_POLICY, Q, V[:-1], pi,
        )  # fmt: skip
        out.append((Q, V, pi))
    assert ell_layout(mdp)[0].shape[0] == S * A
    for a, b in zip(*out, strict=True):
        np.testing.assert_array_equal(a, b)


def test_tiny_temperature_and_huge_rewards_stay_finite():
    rng = np.random.default_rng(6)
    mdp = gridworld(6, slip=0.1, n_actions=5, horizon=20, reward=1e4 * rng.normal(size=36)).mdp
    for T in (1e-6, 1e4):
        sol = soft_backward(mdp, T)
        assert np.isfinite(sol.Q).all() and np.isfinite(sol.V).all()
        np.testing.assert_allclose(sol.policy.sum(-1), 1.0, rtol=1e-14)
        Q, V, pi = _reference_backward(mdp, T, 20)
        np.testing.assert_allclose(sol.V, V, rtol=1e-12, atol=1e-12 * np.abs(V).max())
        np.testing.assert_allclose(sol.policy, pi, atol=1e-12)
    hard = soft_backward(mdp, 0.0)
    np.testing.assert_allclose(soft_backward(mdp, 1e-6).V, hard.V, rtol=1e-6)


def test_a_zero_prior_action_gets_no_mass():
    mdp = gridworld(5, slip=0.1, n_actions=5, horizon=8,
                    reward=np.random.default_rng(7).normal(size=25)).mdp  # fmt: skip
    prior = np.ones(5)
    prior[2] = 0.0
    sol = soft_backward(mdp, 0.5, action_prior=prior)
    assert np.isfinite(sol.V).all()
    np.testing.assert_array_equal(sol.policy[..., 2], 0.0)
    np.testing.assert_allclose(sol.policy.sum(-1), 1.0, rtol=1e-14)


def test_no_pi_placeholder_leaves_v_unchanged():
    mdp = gridworld(8, slip=0.1, n_actions=5, horizon=5,
                    reward=np.random.default_rng(8).normal(size=64)).mdp  # fmt: skip
    P = mdp.transitions
    S, A = mdp.shape
    Vs = []
    for pi in (np.empty((5, S, A)), _NO_PI):
        Q, V = np.empty((5, S, A)), np.zeros((6, S))
        kernels.backward_pass(
            P.indptr, P.indices, P.data, *ell_layout(mdp), mdp.reward, V[1:], 1.0, 0.5, False,
            mdp.terminal, kernels.MODE_SOFT, _NO_POLICY, Q, V[:-1], pi,
        )  # fmt: skip
        Vs.append(V)
    np.testing.assert_array_equal(Vs[0], Vs[1])


def test_prefetching_path_of_a_large_mdp_matches_scipy():
    mdp = garnet(70_000, 2, 3, seed=9)  # V beyond 2^16 states: the prefetching loop
    V = np.random.default_rng(9).normal(size=mdp.n_states)
    Q, V_new = soft_bellman_step(mdp, mdp.reward, V, 0.5)
    Q_ref = mdp.reward + mdp.gamma * (mdp.transitions @ V).reshape(mdp.shape)
    np.testing.assert_allclose(Q, Q_ref, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(V_new, 0.5 * logsumexp(Q_ref / 0.5, axis=1), rtol=1e-13, atol=1e-13)


def _ragged_mdp(seed=11, S=70_000, A=2):
    """A random MDP with V beyond 2^16 states (the vector-gather path), rows of 1..12
    successors, three rows longer than the product buffer (5000 entries before merging
    duplicates), ten consecutive rows of 1500 (a group that must be halved to fit) and
    terminal states."""
    rng = np.random.default_rng(seed)
    n_rows = S * A
    lengths = rng.integers(1, 13, n_rows)
    lengths[[5, 77_777, n_rows - 1]] = 5000
    lengths[1000:1010] = 1500
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    P = sp.csr_matrix((rng.random(indptr[-1]) + 0.01, rng.integers(0, S, indptr[-1]), indptr),
                      shape=(n_rows, S))  # fmt: skip
    P.sum_duplicates()
    P = sp.csr_matrix(sp.diags(1.0 / np.asarray(P.sum(axis=1)).ravel()) @ P)
    assert np.diff(P.indptr).max() > kernels._GBUF
    return FiniteMDP(P, rng.normal(size=(S, A)), gamma=0.95, terminal=[3, 40_000, S - 1],
                     n_actions=A)  # fmt: skip


def test_vector_gather_path_matches_scipy_on_ragged_rows_with_terminal_states():
    mdp = _ragged_mdp()
    P, live = mdp.transitions, ~mdp.terminal
    V = 10.0 * np.random.default_rng(12).normal(size=mdp.n_states)
    Q_ref = mdp.reward + mdp.gamma * (P @ V).reshape(mdp.shape)
    Q_ref[~live] = 0.0
    for T in (0.5, 0.0):
        Q, V_new = soft_bellman_step(mdp, mdp.reward, V, T)
        # Each row's sum runs in the order of the row, as scipy's: the same numbers.
        np.testing.assert_array_equal(Q, Q_ref)
        V_ref = T * logsumexp(Q_ref / T, axis=1) if T > 0 else Q_ref.max(axis=1)
        np.testing.assert_allclose(V_new, np.where(live, V_ref, 0.0), rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("optimistic", [False, True])
def test_vector_gather_path_threaded_sequential_and_int64_indices_agree(optimistic):
    mdp = _ragged_mdp(seed=13, S=66_000, A=3)
    P = mdp.transitions
    S, A = mdp.shape
    V = np.random.default_rng(14).normal(size=S)
    reward = mdp.reward.copy()
    reward[7] = -np.inf  # no action allowed in state 7: V = -inf, pi uniform
    out = []
    for build, indptr, indices in (
        (kernels.backward_pass.sequential, P.indptr, P.indices),
        (kernels.backward_pass.parallel, P.indptr, P.indices),
        (kernels.backward_pass.sequential, P.indptr.astype(np.int64), P.indices.astype(np.int64)),
    ):
        Q, V_new, pi = np.empty((1, S, A)), np.empty((1, S)), np.empty((1, S, A))
        build(kernels._unsigned(indptr), kernels._unsigned(indices), P.data, *NO_ELL, reward,
              V[None], mdp.gamma, 0.7, optimistic, mdp.terminal, kernels.MODE_SOFT,
              _NO_POLICY, Q, V_new, pi)  # fmt: skip
        out.append((Q, V_new, pi))
    for other in out[1:]:
        for a, b in zip(out[0], other, strict=True):
            np.testing.assert_array_equal(a, b)
    Q, V_new, pi = out[0]
    assert V_new[0, 7] == -np.inf and np.all(pi[0, 7] == 1.0 / A)
    assert np.all(V_new[0, mdp.terminal] == 0.0) and np.all(pi[0, mdp.terminal] == 1.0 / A)
    live = ~mdp.terminal
    live[7] = False
    if optimistic:  # each row's own log-sum-exp
        Q_ref = _optimistic_reference(mdp, reward, V, 0.7)[0]
        np.testing.assert_allclose(Q[0, live], Q_ref[live], rtol=1e-13, atol=1e-12)
    else:  # each row's sum in the order of the row, as scipy's: the same numbers
        Q_ref = reward + mdp.gamma * (P @ V).reshape(S, A)
        np.testing.assert_array_equal(Q[0, live], Q_ref[live])
    np.testing.assert_allclose(pi[0, live].sum(-1), 1.0, rtol=1e-14)


def test_vector_gather_path_tiny_temperature_and_huge_rewards_stay_finite():
    mdp = _ragged_mdp(seed=15, S=66_000, A=2)
    rng = np.random.default_rng(16)
    reward = 1e4 * rng.normal(size=mdp.shape)
    V = 1e4 * rng.normal(size=mdp.n_states)
    live = ~mdp.terminal
    Q_ref = reward + mdp.gamma * (mdp.transitions @ V).reshape(mdp.shape)
    for T in (1e-6, 1e4):
        Q, V_new = soft_bellman_step(mdp, reward, V, T)
        assert np.isfinite(Q).all() and np.isfinite(V_new).all()
        V_ref = np.where(live, T * logsumexp(Q_ref / T, axis=1), 0.0)
        np.testing.assert_allclose(V_new, V_ref, rtol=1e-12, atol=1e-12 * np.abs(V_ref).max())


@pytest.mark.parametrize("width", [1, 2, 3, 5, 8, 9])
def test_vector_row_sums_of_equal_rows_match_scipy(width):
    # Garnet rows all hold `width` successors: widths 2..8 are summed 8 rows at a time by
    # transposing shuffles, 1 and 9 by the scalar loop; 66,001 states leave rows over after
    # the last whole 8 of the last block.
    mdp = garnet(66_001, 3, width, seed=width)
    V = np.random.default_rng(width).normal(size=mdp.n_states)
    Q, V_new = soft_bellman_step(mdp, mdp.reward, V, 0.5)
    Q_ref = mdp.reward + mdp.gamma * (mdp.transitions @ V).reshape(mdp.shape)
    np.testing.assert_array_equal(Q, Q_ref)
    np.testing.assert_allclose(V_new, 0.5 * logsumexp(Q_ref / 0.5, axis=1), rtol=1e-13, atol=1e-13)


def test_a_strided_v_next_takes_the_scalar_rows_and_gives_the_same_numbers():
    # The vector gathers read V as a contiguous array; a strided view goes the scalar way.
    mdp = garnet(66_000, 2, 4, seed=17)
    V2 = np.random.default_rng(17).normal(size=(mdp.n_states, 2))
    Q_strided, V_strided = soft_bellman_step(mdp, mdp.reward, V2[:, 1], 0.5)
    Q, V_new = soft_bellman_step(mdp, mdp.reward, np.ascontiguousarray(V2[:, 1]), 0.5)
    np.testing.assert_array_equal(Q_strided, Q)
    np.testing.assert_array_equal(V_strided, V_new)
    Q_ref = mdp.reward + mdp.gamma * (mdp.transitions @ V2[:, 1]).reshape(mdp.shape)
    np.testing.assert_array_equal(Q, Q_ref)


def test_each_kernel_sees_one_canonical_type_per_input_whatever_the_callers_arrays():
    """numba compiles a kernel once per argument signature, and an array's writability is
    part of it: the entry points hand every array a kernel only reads over as read-only and
    every integer array as unsigned, so writable, read-only and int32 / int64 inputs share
    one compilation (5-10 s of a large kernel on a cold cache each)."""
    mdp = gridworld(4, slip=0.1, n_actions=5, gamma=1.0, horizon=6).mdp
    frozen = FiniteMDP(mdp.transitions, mdp.reward.copy(), gamma=1.0, horizon=6, n_actions=5)
    frozen.reward.flags.writeable = False
    for m in (mdp, frozen):
        sol = soft_backward(m, 0.5, "variational", horizon=6)
        policy_marginals(m, sol.policy)
        Q, V = soft_bellman_step(m, m.reward, np.zeros(m.n_states), 0.5)
        log_policy_from_q(Q, V, 0.5)
    writable = np.ones(3)
    assert kernels._read_only(writable) is not writable and writable.flags.writeable
    frozen_array = kernels._read_only(writable)
    assert kernels._read_only(frozen_array) is frozen_array
    for name, given in (("backward_pass", {"Q_out", "V_out", "pi_out"}),
                        ("forward_pass", {"d", "D", "weight"}),
                        ("policy_from_q", {"log_pi", "pi"})):
        fn = getattr(kernels, "_" + name)
        params = fn.__code__.co_varnames[: fn.__code__.co_argcount]
        signatures = [sig for build in getattr(kernels, name).builds for sig in build.signatures]
        assert signatures, name
        for sig in signatures:
            for param, ty in zip(params, sig, strict=True):
                if hasattr(ty, "mutable") and param not in given:
                    assert not ty.mutable, (name, param, ty)
                if hasattr(ty, "dtype") and str(ty.dtype).startswith("int"):
                    raise AssertionError(f"{name}: {param} reached the kernel as {ty}")


def test_soft_bellman_step_reads_any_layout_and_dtype_and_checks_its_outputs():
    """A float32, strided or read-only V_next and reward give the float64 contiguous result
    (one compiled kernel serves them all); a bad ``Q_out`` / ``V_out`` is refused by name."""
    mdp = garnet(300, 3, 4, seed=21)
    V = np.random.default_rng(21).normal(size=(mdp.n_states, 2))
    Q_ref, V_ref = soft_bellman_step(mdp, mdp.reward, np.ascontiguousarray(V[:, 1]), 0.7)
    frozen = np.ascontiguousarray(V[:, 1])
    frozen.flags.writeable = False
    for v in (V[:, 1], frozen):
        Q, V_new = soft_bellman_step(mdp, np.asfortranarray(mdp.reward), v, 0.7)
        np.testing.assert_array_equal(Q, Q_ref)
        np.testing.assert_array_equal(V_new, V_ref)
    v32 = V[:, 1].astype(np.float32)
    Q32, _ = soft_bellman_step(mdp, mdp.reward, v32, 0.7)
    Q_want, _ = soft_bellman_step(mdp, mdp.reward, v32.astype(np.float64), 0.7)
    np.testing.assert_array_equal(Q32, Q_want)
    S, A = mdp.shape
    Q_out, V_out = np.empty((S, A)), np.empty(S)
    got = soft_bellman_step(mdp, mdp.reward, V[:, 1], 0.7, Q_out=Q_out, V_out=V_out)
    assert got[0] is Q_out and got[1] is V_out
    np.testing.assert_array_equal(Q_out, Q_ref)
    v = np.ascontiguousarray(V[:, 1])
    for kwargs, field in ((dict(Q_out=np.empty((S, A), np.float32)), "Q_out"),
                          (dict(Q_out=np.empty((A, S)).T), "Q_out"),
                          (dict(V_out=np.empty(S + 1)), "V_out"),
                          (dict(V_out=v), "V_out")):
        with pytest.raises(ValueError, match=field):
            soft_bellman_step(mdp, mdp.reward, v, 0.7, **kwargs)


def _optimistic_reference(mdp, reward, V, T):
    """Q = r + gamma T log sum_s' p(s'|s,a) exp(V(s')/T) with each row's own log-sum-exp (no
    global shift, no fallback), Q = 0 at terminal states; V = T log sum_a exp(Q/T), 0 at
    terminal states."""
    P = mdp.transitions
    rows = np.repeat(np.arange(P.shape[0]), np.diff(P.indptr))
    v = V[P.indices]
    m = np.full(P.shape[0], -np.inf)
    np.maximum.at(m, rows, v)
    z = np.zeros(P.shape[0])
    np.add.at(z, rows, P.data * np.exp((v - m[rows]) / T))
    Q = reward + mdp.gamma * (m + T * np.log(z)).reshape(mdp.shape)
    Q[mdp.terminal] = 0.0
    with np.errstate(invalid="ignore"):
        V_new = T * logsumexp(Q / T, axis=1)
    V_new[mdp.terminal] = 0.0
    return Q, V_new


@pytest.mark.parametrize("T", [1e-6, 0.5, 30.0])
def test_optimistic_backup_matches_each_rows_log_sum_exp_on_every_path(T):
    """The optimistic backup T log E exp(V/T) on every way a block reads its rows: the
    fixed-width rows (a small MDP), the CSR rows (no fixed-width layout), the vector gathers
    with ragged rows, rows longer than the product buffer and terminal states, and the vector
    gathers summed eight rows at a time (rows of one length).  At T = 1e-6 nearly every row's
    E[exp((V - max V)/T)] underflows and takes the exact per-row fallback.  A state with no
    allowed action gets V = -inf and a uniform policy."""
    small = make_random_mdp(3, S=40, A=3, gamma=0.9, terminal=[2, 5], density=0.3)
    cases = [(small, "ell"), (small, "csr"), (_ragged_mdp(seed=15, S=66_000, A=2), "ell"),
             (garnet(70_000, 2, 3, seed=9), "ell")]
    for mdp, layout in cases:
        S, A = mdp.shape
        rng = np.random.default_rng(S)
        V = 10.0 * rng.normal(size=S)
        reward = mdp.reward.copy()
        dead = 1 if not mdp.terminal[1] else 0
        reward[dead] = -np.inf
        Q_ref, V_ref = _optimistic_reference(mdp, reward, V, T)
        P = mdp.transitions
        Q, V_new, pi = np.empty((1, S, A)), np.empty((1, S)), np.empty((1, S, A))
        ell = ell_layout(mdp) if layout == "ell" else NO_ELL
        kernels.backward_pass(P.indptr, P.indices, P.data, *ell, reward, V[None], mdp.gamma, T,
                              True, mdp.terminal, kernels.MODE_SOFT, _NO_POLICY, Q, V_new, pi)
        live = ~mdp.terminal
        live[dead] = False
        np.testing.assert_allclose(Q[0][live], Q_ref[live], rtol=1e-13, atol=1e-12)
        np.testing.assert_allclose(V_new[0][live], V_ref[live], rtol=1e-13, atol=1e-12)
        assert np.all(Q[0][mdp.terminal] == 0.0) and np.all(V_new[0][mdp.terminal] == 0.0)
        assert V_new[0, dead] == -np.inf and np.all(pi[0, dead] == 1.0 / A)
        np.testing.assert_allclose(pi[0].sum(axis=1), 1.0, rtol=1e-12)


def test_posterior_dynamics_of_a_subnormal_probability_stay_finite():
    """p~(s'|s,a) = p exp((V(s') - tilt)/T) with p = 1e-310 (subnormal) and V(s') - tilt =
    713.8: exp alone overflows, so the posterior forward pass takes exp(log p + x) there.
    Closed form: p(s_1 = 2 | O) = 1 / (1 + p exp(800 / T)) = exp(-86.18...)."""
    p1 = 1e-310
    P = np.zeros((3, 2, 3))
    P[0, :, 1], P[0, :, 2] = p1, 1.0 - p1
    P[1, :, 1] = P[2, :, 2] = 1.0
    reward = np.zeros((3, 2))
    reward[1] = 800.0
    mdp = FiniteMDP(P, reward, initial=np.array([1.0, 0.0, 0.0]), horizon=2)
    post = posterior_marginals(mdp, soft_backward(mdp, 1.0, "optimistic"))
    to_s2 = np.exp(-(np.log(p1) + 800.0))
    for t in (1, 2):
        np.testing.assert_allclose(post.state[t], [0.0, 1.0 - to_s2, to_s2], rtol=1e-12)


@pytest.mark.parametrize("T", [1e-6, 1.0, 50.0])
def test_forward_messages_match_each_states_log_sum_exp(T, monkeypatch):
    """log alpha_{t+1}(s') = log sum_{s,a} p(s'|s,a) exp(r(s,a)/T) pi_0(a|s) alpha_t(s) (the
    improper uniform prior: pi_0 = 1), against a dense log-sum-exp over (s, a) per state.  The
    kernel shifts by one global max and redoes a state exactly when its sum falls below TINY:
    at T = 1e-6 the rewards r/T span +-4e6, so nearly every state takes that fallback.  A
    terminal state passes its mass to itself once; an unreachable state stays at -inf.  The
    serial and threaded builds agree bit for bit."""
    base = make_random_mdp(4, S=30, A=3, gamma=1.0, horizon=6, terminal=[4], density=0.1)
    S, A = base.shape
    start = np.zeros(S)
    start[0] = 1.0  # so that some states are unreachable in the first steps
    mdp = FiniteMDP(base.transitions, base.reward, initial=start, gamma=1.0, horizon=6,
                    terminal=[4], n_actions=A)
    P = mdp.dense_transitions()
    log_w = mdp.reward / T
    log_w[mdp.terminal] = -np.inf
    log_w[mdp.terminal, 0] = 0.0
    with np.errstate(divide="ignore"):
        log_p = np.log(P)
        ref = [np.log(mdp.initial)]
    for _ in range(6):
        terms = ref[-1][:, None, None] + log_w[:, :, None] + log_p  # (s, a, s')
        ref.append(logsumexp(terms.reshape(S * A, S), axis=0))
    ref = np.array(ref)
    monkeypatch.setattr(kernels, "PARALLEL_MIN_NNZ", 10**12)
    serial = forward_messages(mdp, T)
    monkeypatch.setattr(kernels, "PARALLEL_MIN_NNZ", 0)
    monkeypatch.setattr(kernels, "PARALLEL_MAX_LOAD", float("inf"))
    np.testing.assert_array_equal(forward_messages(mdp, T), serial)
    finite = np.isfinite(ref)
    assert not finite[1].all()
    np.testing.assert_array_equal(np.isfinite(serial), finite)
    np.testing.assert_allclose(serial[finite], ref[finite], rtol=1e-13, atol=1e-9 * T)
