"""Log-evidence log p(O_{0:H-1}) and the ELBO of a policy (seeds 001, 003)."""

from __future__ import annotations

import numpy as np

from softrl.inference.backward import soft_backward
from softrl.mdp.finite import FiniteMDP
from softrl.mdp.validation import MDPValidationError, check_temperature

__all__ = ["log_evidence", "elbo"]


def log_evidence(
    mdp: FiniteMDP,
    temperature: float = 1.0,
    action_prior=None,
    horizon: int | None = None,
) -> float:
    """log p(O_{0:H-1}) = log sum_s p(s_0 = s) beta_0(s) = log sum_s p_0(s) exp(V_0(s)/T).

    The exact evidence of the optimality variables, from the optimistic backward pass; with no
    action prior, p(a|s) = 1 (the improper uniform prior of seed 003).  Needs gamma = 1.
    """
    temperature = check_temperature(temperature, allow_zero=False)
    if mdp.gamma != 1.0:
        raise MDPValidationError(
            f"gamma: log_evidence is defined for the undiscounted model (gamma = 1), got "
            f"{mdp.gamma}."
        )
    sol = soft_backward(mdp, temperature, "optimistic", action_prior, horizon=horizon)
    if not sol.finite_horizon:
        raise MDPValidationError("horizon: log_evidence needs a finite horizon.")
    with np.errstate(divide="ignore"):
        return float(np.logaddexp.reduce(np.log(mdp.initial) + sol.V[0] / temperature))


def elbo(
    mdp: FiniteMDP,
    policy: np.ndarray,
    temperature: float = 1.0,
    action_prior=None,
    horizon: int | None = None,
) -> float:
    """ELBO(pi) = E_pi[sum_t gamma^t (r(s_t,a_t)/T + log p(a_t|s_t) - log pi(a_t|s_t))].

    The variational lower bound of seed 003 for q(tau) = p(s_0) prod p(s'|s,a) pi(a|s):
    expected return / T plus the policy's entropy (plus the prior's cross-entropy term when an
    action prior is given).  For gamma = 1 it bounds log_evidence from below.  The policy is
    (S, A) or (H, S, A); the horizon defaults to ``mdp.horizon`` (None: discounted infinite).
    """
    temperature = check_temperature(temperature, allow_zero=False)
    sol = soft_backward(
        mdp, temperature, "variational", action_prior, horizon=horizon, policy=policy
    )
    V0 = sol.V[0] if sol.finite_horizon else sol.V
    return float(mdp.initial @ V0 / temperature)
