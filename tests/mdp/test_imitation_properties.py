"""Gaps found by running the `imitation` package's MCE test properties through softrl
(issue 11, item 7): a myopic discount, non-numeric inputs, occupancy measures as demos."""

import numpy as np
import pytest

from mdp_factories import make_random_mdp
from softrl.inference import occupancy, soft_backward
from softrl.mdp import FiniteMDP, MDPValidationError
from softrl.planning import policy_evaluation, value_iteration


@pytest.mark.parametrize("horizon", [None, 3])
def test_discount_zero_is_myopic_everywhere(horizon) -> None:
    mdp = make_random_mdp(1, S=5, A=3).replace(gamma=0.0, horizon=horizon)
    r = mdp.reward
    T = 0.7
    sol = soft_backward(mdp, temperature=T)
    Q = sol.Q if horizon is None else sol.Q[0]
    np.testing.assert_allclose(Q, r, atol=1e-12)  # Q = r: nothing after the next reward
    v = T * np.log(np.exp(r / T).sum(axis=1))
    np.testing.assert_allclose(sol.V if horizon is None else sol.V[0], v, atol=1e-12)
    hard = value_iteration(mdp)
    np.testing.assert_allclose(hard.V if horizon is None else hard.V[0], r.max(axis=1),
                               atol=1e-12)
    pi = np.full(mdp.shape, 1.0 / mdp.n_actions)
    V_pi, _ = policy_evaluation(mdp.replace(horizon=None), pi)
    np.testing.assert_allclose(V_pi, r.mean(axis=1), atol=1e-12)
    if horizon is None:
        # sum_t gamma^t p(s_t, a_t) with 0^0 = 1: only the first step counts.
        np.testing.assert_allclose(occupancy(mdp, pi), mdp.initial[:, None] * pi, atol=1e-12)


@pytest.mark.parametrize("field", ["transitions", "reward", "initial"])
def test_non_numeric_arrays_are_refused_not_converted(field) -> None:
    P = np.zeros((2, 1, 2))
    P[:, 0, 0] = 1.0
    args = {"transitions": P, "reward": np.zeros(2), "initial": np.array([1.0, 0.0])}
    args[field] = args[field].astype(str)  # "1.0", "0.0": numpy would happily convert these
    with pytest.raises(MDPValidationError, match=f"{field}: must hold numbers"):
        FiniteMDP(args["transitions"], args["reward"], initial=args["initial"], horizon=3)
    with pytest.raises(MDPValidationError, match="must hold numbers"):
        FiniteMDP(P, np.array([1, None], dtype=object), horizon=3)
