"""Apprenticeship learning by feature matching: the projection method of Abbeel & Ng (2004).

With linear rewards r_w = w . phi and discounted feature expectations
mu(pi) = E_pi[sum_t gamma^t phi(s_t, a_t)] (https://ai.stanford.edu/~ang/papers/icml04-apprentice.pdf):

    mu_bar_0 = mu(pi_0)
    repeat:  w_i = mu_E - mu_bar_{i-1},  t_i = ||w_i||;  stop if t_i <= epsilon
             pi_i = optimal policy for r = w_i . phi,  mu_i = mu(pi_i)
             mu_bar_i = mu_bar_{i-1} + beta_i (mu_i - mu_bar_{i-1}),
             beta_i = (mu_i - mu_bar_{i-1}) . (mu_E - mu_bar_{i-1}) / ||mu_i - mu_bar_{i-1}||^2

mu_bar_i is a convex combination sum_j lambda_j mu_j of the policies found; the estimator
returns the mixture weights and the single policy with the same occupancy (the mixed
state-action occupancy, renormalised per state and time).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from softrl.inference import soft_backward
from softrl.inference.forward import occupancy, policy_marginals
from softrl.irl.demonstrations import as_demonstrations
from softrl.irl.rewards import LinearReward
from softrl.mdp import FiniteMDP, MDPValidationError
from softrl.progress import ProgressBar
from softrl.validation import POSITIVE_INT, Interval, check_scalar

__all__ = ["FeatureMatchingIRL"]


class FeatureMatchingIRL:
    """Abbeel & Ng's projection method for apprenticeship learning.

    Parameters
    ----------
    features : (S, F) or (S, A, F) array, LinearReward, "state" or "state_action"
        phi(s) or phi(s, a); "state" and "state_action" are one-hot (tabular) features, as for
        the other estimators. The learned reward is linear in them: w . phi.
    l2 : float, default 0.0
        Ridge on the final margin: for ``l2 > 0`` the reported weights are
        w = argmax_w w . (mu_E - mu_bar) - l2/2 ||w||^2 = (mu_E - mu_bar) / l2; with 0 they
        are mu_E - mu_bar. The projection method fixes the reward's direction only, so ``l2``
        scales ``weights_`` and ``reward_`` and leaves every policy unchanged.
    max_iter : int, default 50
        Maximum number of policies computed.
    epsilon : float, default 1e-3
        Stop when ||mu_E - mu_bar|| <= epsilon.
    verbose : bool, default False
        Show progress (iteration and margin ||mu_E - mu_bar||).

    Attributes
    ----------
    weights_ : (F,)
        The last reward weights w = mu_E - mu_bar (divided by ``l2`` when ``l2 > 0``).
    reward_ : (S, A)
        w . phi.
    expert_feature_counts_ : (F,)
        mu_E from the demonstrations.
    feature_counts_ : (F,)
        mu_bar, the mixture's feature expectations.
    policies_ : list of (S, A) or (H, S, A)
        pi_0 (uniform) and the optimal policies of every w_i.
    mixture_weights_ : (K,)
        lambda, the convex weights of ``policies_`` with mu_bar = sum_j lambda_j mu(pi_j).
    policy_ : (S, A) or (H, S, A)
        One policy whose occupancy is the mixture's.
    margins_ : list of float
        t_i = ||mu_E - mu_bar_{i-1}|| per iteration.
    n_iter_ : int
    """

    def __init__(self, features: Any = "state", *, l2: float = 0.0, max_iter: int = 50,
                 epsilon: float = 1e-3, verbose: bool = False) -> None:
        self.features = features
        self.l2 = l2
        self.max_iter = max_iter
        self.epsilon = epsilon
        self.verbose = verbose

    def _feature_array(self, mdp: FiniteMDP) -> np.ndarray:
        """phi as a float64 array (S, F) or (S, A, F) from any accepted feature spec."""
        S, A = mdp.shape
        f = self.features
        if isinstance(f, str):
            if f == "state":
                return np.eye(S)
            if f == "state_action":
                return np.eye(S * A).reshape(S, A, S * A)
            raise MDPValidationError(
                f"The 'features' parameter of FeatureMatchingIRL must be 'state', "
                f"'state_action', a LinearReward or an array (S, F) / (S, A, F). Got {f!r}.")
        if isinstance(f, LinearReward):
            return np.asarray(f.features, dtype=np.float64)
        arr = np.asarray(f)
        if not (np.issubdtype(arr.dtype, np.number) and arr.dtype != bool):
            raise MDPValidationError(
                f"The 'features' parameter of FeatureMatchingIRL must be numeric; got dtype "
                f"{arr.dtype}.")
        return arr.astype(np.float64)

    def fit(self, mdp: FiniteMDP, demonstrations: Any) -> FeatureMatchingIRL:
        """Run the projection method on ``demonstrations`` in ``mdp``; returns self."""
        phi = self._feature_array(mdp)
        S, A = mdp.shape
        if phi.ndim not in (2, 3) or phi.shape[0] != S or (phi.ndim == 3 and phi.shape[1] != A):
            raise MDPValidationError(
                f"The 'features' parameter of FeatureMatchingIRL must be (S, F) or (S, A, F) "
                f"with (S, A) = {mdp.shape}. Got shape {phi.shape} instead."
            )
        owner, err = "FeatureMatchingIRL", MDPValidationError
        check_scalar(self.max_iter, "max_iter", POSITIVE_INT, owner, err)
        check_scalar(self.epsilon, "epsilon", Interval(float, 0, None), owner, err)
        l2 = check_scalar(self.l2, "l2", Interval(float, 0, None), owner, err)
        demos = as_demonstrations(demonstrations, mdp)
        p0 = demos.initial_distribution(S)
        phi_sa = np.broadcast_to(phi[:, None, :], (S, A, phi.shape[-1])) if phi.ndim == 2 else phi

        def visitation(pi: np.ndarray) -> np.ndarray:
            if mdp.horizon is not None:
                return policy_marginals(mdp, pi, initial=p0).visitation(mdp.gamma)
            return occupancy(mdp, pi, initial=p0)

        mu_e = demos.feature_counts(phi, mdp.gamma)
        shape = (mdp.horizon, S, A) if mdp.horizon is not None else (S, A)
        policies = [np.full(shape, 1.0 / A)]
        rhos = [visitation(policies[0])]
        margins: list[float] = []
        bar = ProgressBar(self.max_iter, bool(self.verbose), label="feature matching",
                          fields={"margin": ("margin {task.fields[margin]:.3g}", float("nan"))})
        with bar:
            w, mu_bar, lam = self._project(mdp, phi_sa, mu_e, visitation, policies, rhos,
                                           margins, bar)
        if l2 > 0:
            w = w / l2
        self.weights_ = w
        self.params_ = self.weights_  # the name the other estimators use
        self.reward_ = phi_sa @ w
        self.expert_feature_counts_ = mu_e
        self.feature_counts_ = mu_bar
        self.policies_ = policies
        self.mixture_weights_ = lam
        self.policy_ = _mixture_policy(mdp, policies, lam, p0)
        self.margins_ = margins
        self.n_iter_ = len(margins)
        return self

    def _project(self, mdp, phi_sa, mu_e, visitation, policies, rhos, margins, bar):
        """The projection iterations; appends to ``policies``, ``rhos``, ``margins``.

        Returns (w, mu_bar, lam): the last reward weights, the mixture's feature expectations
        and the convex weights of ``policies``.
        """
        lam = np.array([1.0])
        mu_bar = np.tensordot(rhos[0], phi_sa, axes=2)
        w = mu_e - mu_bar
        for i in range(self.max_iter):
            w = mu_e - mu_bar
            margins.append(float(np.linalg.norm(w)))
            bar.advance(i + 1, margin=margins[-1])
            if margins[-1] <= self.epsilon:
                break
            pi = soft_backward(mdp.replace(reward=phi_sa @ w), temperature=0.0).policy
            rho = visitation(pi)
            mu = np.tensordot(rho, phi_sa, axes=2)
            step = mu - mu_bar
            denom = float(step @ step)
            if denom <= 1e-300:
                break
            beta = float(np.clip(step @ (mu_e - mu_bar) / denom, 0.0, 1.0))
            mu_bar = mu_bar + beta * step
            lam = np.append((1.0 - beta) * lam, beta)
            policies.append(pi)
            rhos.append(rho)
        return w, mu_bar, lam


def _mixture_policy(
    mdp: FiniteMDP, policies: list[np.ndarray], lam: np.ndarray, p0: np.ndarray
) -> np.ndarray:
    """pi(a|s) ∝ sum_j lambda_j d_j(s) pi_j(a|s): one policy with the mixture's occupancy.

    Per time step for a finite horizon (marginals d_t of each policy), on the discounted state
    occupancy otherwise; states no policy visits get the uniform policy.
    """
    S, A = mdp.shape
    if mdp.horizon is not None:
        joint = sum(
            w * policy_marginals(mdp, pi, initial=p0).state_action
            for w, pi in zip(lam, policies, strict=True)
        )
    else:
        joint = sum(w * occupancy(mdp, pi, initial=p0) for w, pi in zip(lam, policies, strict=True))
    mass = joint.sum(axis=-1, keepdims=True)
    return np.where(mass > 1e-300, joint / np.where(mass > 0, mass, 1.0), 1.0 / A)
