"""MaxEnt IRL (Ziebart 2008) and maximum causal entropy IRL (Ziebart 2010) as estimators.

One estimator, :class:`SoftIRL`, fits a reward model by maximising an objective of
:mod:`softrl.irl.objective` minus an L2 penalty (l2 / 2) ||theta||^2:

* :class:`MaxCausalEntIRL` (variational backup): the causal log-likelihood of the demonstrated
  actions (``objective="likelihood"``, default) or the MCE dual (``"dual"``); stochastic
  dynamics, finite horizon or discounted infinite horizon.
* :class:`MaxEntIRL` (optimistic backup, the exact posterior): the trajectory log-likelihood of
  p(tau | O); finite horizon, gamma = 1.  For deterministic dynamics both backups coincide.

The gradient with respect to the reward table is expert counts minus the model's expected
counts, from one backward and one forward pass; the reward model pulls it back to its
parameters (autograd for the neural model).  Tabular and linear rewards are fitted by L-BFGS
(scipy, ``L-BFGS-B`` with the exact gradient), neural ones by Adam.

Examples
--------
>>> from softrl.envs import gridworld
>>> from softrl.inference import soft_backward
>>> from softrl.mdp import sample_trajectories
>>> world = gridworld(4, slip=0.1, horizon=10, gamma=1.0)
>>> expert = soft_backward(world.mdp).policy
>>> demos = sample_trajectories(world.mdp, expert, 50, seed=0)
>>> irl = MaxCausalEntIRL(seed=0).fit(world.mdp, demos)
>>> irl.reward_.shape, bool(irl.history_["objective"][-1] >= irl.history_["objective"][0])
((16, 5), True)
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Literal

import numpy as np
import scipy.optimize as so
import torch

from softrl.inference import SoftSolution
from softrl.irl.demonstrations import Demonstrations, as_demonstrations
from softrl.irl.objective import (
    IRLEvaluation,
    Objective,
    check_objective,
    demo_stats,
    irl_objective,
    occupancy_stats,
)
from softrl.irl.rewards import RewardModel, TabularReward
from softrl.mdp import FiniteMDP, MDPValidationError, check_random_state
from softrl.progress import ProgressBar
from softrl.validation import POSITIVE_INT, Interval, check_scalar

__all__ = ["SoftIRL", "MaxEntIRL", "MaxCausalEntIRL"]

# Progress bar columns: iteration, objective (without the penalty), gradient norm ("gap").
_BAR_FIELDS = {
    "objective": ("objective {task.fields[objective]:>12.5g}", float("nan")),
    "gap": ("gap {task.fields[gap]:>10.3g}", float("nan")),
}


class SoftIRL:
    """Fit a reward r_theta whose soft-optimal behaviour explains the demonstrations.

    Parameters
    ----------
    reward_model : RewardModel, "state" or "state_action", default "state"
        The reward family: a :class:`~softrl.irl.rewards.RewardModel` (tabular, linear,
        neural), or a tabular r(s) / r(s, a) built at fit time.
    backup : {"variational", "optimistic"}, default "variational"
        Variational: maximum causal entropy; optimistic: MaxEnt (trajectory-level).
    objective : {"likelihood", "dual", "trajectory"}, optional
        Default: "likelihood" for the variational backup, "trajectory" for the optimistic one
        (see :mod:`softrl.irl.objective`).
    temperature : float > 0, default 1.0
        T in p(O | s, a) = exp(r / T): the demonstrator's assumed noise level.
    l2 : float >= 0, default 1e-3
        Weight of the penalty (l2 / 2) ||theta||^2.
    optimizer : {"auto", "lbfgs", "adam"}, default "auto"
        "auto": L-BFGS for linear (tabular, linear-in-features) rewards, Adam otherwise.
    max_iter : int, default 200
        L-BFGS iterations or Adam steps.
    tol : float, default 1e-6
        L-BFGS stops when the projected gradient's sup-norm falls below ``tol``.
    learning_rate : float, default 0.01
        Adam's step size.
    seed : None, int or np.random.Generator
        Initialisation of the reward parameters (neural models).
    verbose : bool, default False
        Show a progress bar with the objective and the feature-count gap.

    Attributes
    ----------
    reward_model_ : RewardModel
    params_ : (P,)
        Learned theta.
    reward_ : (S, A)
        Learned r(s, a) (a state reward repeated over actions).
    solution_ : SoftSolution
        Soft Q, V of the learned reward.
    policy_ : (H, S, A) or (S, A)
        The learned soft policy pi(a|s) = exp((Q - V) / T).
    objective_ : float
        Final objective value (without the penalty).
    history_ : dict of lists
        Per iteration: "objective", "penalized" (objective - penalty, the maximised
        quantity) and "gap" (the norm of the gradient's data part in parameter space, the
        feature-count gap for linear rewards).
    n_iter_ : int
        Optimizer iterations.
    n_evals_ : int
        Objective-and-gradient evaluations (one backward and one forward pass each).
    """

    def __init__(
        self,
        reward_model: RewardModel | Literal["state", "state_action"] = "state",
        *,
        backup: Literal["variational", "optimistic"] = "variational",
        objective: Objective | None = None,
        temperature: float = 1.0,
        l2: float = 1e-3,
        optimizer: Literal["auto", "lbfgs", "adam"] = "auto",
        max_iter: int = 200,
        tol: float = 1e-6,
        learning_rate: float = 0.01,
        seed: Any = None,
        verbose: bool = False,
    ) -> None:
        self.reward_model = reward_model
        self.backup = backup
        self.objective = objective
        self.temperature = temperature
        self.l2 = l2
        self.optimizer = optimizer
        self.max_iter = max_iter
        self.tol = tol
        self.learning_rate = learning_rate
        self.seed = seed
        self.verbose = verbose

    # ------------------------------------------------------------------ validation
    def _check_params(self, mdp: FiniteMDP) -> tuple[RewardModel, str, str]:
        if not isinstance(mdp, FiniteMDP):
            raise MDPValidationError(f"mdp: expected a FiniteMDP, got {type(mdp).__name__}.")
        if self.backup not in ("variational", "optimistic"):
            raise MDPValidationError(
                f"The 'backup' parameter of {type(self).__name__} must be 'variational' or "
                f"'optimistic'. Got {self.backup!r} instead."
            )
        objective = self.objective or (
            "likelihood" if self.backup == "variational" else "trajectory"
        )
        check_objective(mdp, objective, self.backup)
        owner = type(self).__name__
        for name, strict in (
            ("temperature", True),
            ("l2", False),
            ("tol", True),
            ("learning_rate", True),
        ):
            check_scalar(getattr(self, name), name, Interval(
                float, 0, None, closed="neither" if strict else "left"), owner, MDPValidationError)
        check_scalar(self.max_iter, "max_iter", POSITIVE_INT, owner, MDPValidationError)
        model = self.reward_model
        if model == "state":
            model = TabularReward(mdp.n_states)
        elif model == "state_action":
            model = TabularReward(mdp.n_states, mdp.n_actions)
        elif not isinstance(model, RewardModel):
            raise MDPValidationError(
                f"The 'reward_model' parameter of {type(self).__name__} must be 'state', "
                f"'state_action' or a RewardModel. Got {model!r} instead."
            )
        model.check(mdp)
        optimizer = self.optimizer
        if optimizer == "auto":
            optimizer = "lbfgs" if model.linear else "adam"
        if optimizer not in ("lbfgs", "adam"):
            raise MDPValidationError(
                f"The 'optimizer' parameter of {type(self).__name__} must be 'auto', 'lbfgs' "
                f"or 'adam'. Got {self.optimizer!r} instead."
            )
        return model, objective, optimizer

    # ------------------------------------------------------------------ fitting
    def fit(self, mdp: FiniteMDP, demonstrations: Any) -> SoftIRL:
        """Fit the reward model to ``demonstrations`` in ``mdp``.

        Parameters
        ----------
        mdp : FiniteMDP
            Known dynamics, p(s_0), gamma and horizon (its reward is not used).
        demonstrations : any format accepted by :func:`~softrl.irl.as_demonstrations`, or an
            occupancy measure (a float array, as ``imitation``'s ``MCEIRL`` takes):
            E(s, a) = sum_t gamma^t p(s_t = s, a_t = a), shape (S, A), for an infinite
            horizon; gamma^t p(s_t, a_t) per step, shape (H, S, A), for a finite one; or a state
            visitation (S,) with a state-only reward and ``objective="dual"``. The start
            distribution is then the MDP's.

        Returns
        -------
        self
        """
        model, objective, optimizer = self._check_params(mdp)
        if isinstance(demonstrations, np.ndarray) and demonstrations.dtype.kind == "f":
            demos = None
            stats = occupancy_stats(mdp, demonstrations,
                                    allow_states=model.state_only and objective == "dual")
        else:
            demos = as_demonstrations(demonstrations, mdp)
            stats = demo_stats(mdp, demos)
        rng = check_random_state(self.seed)
        theta0 = model.init_params(rng)
        n_actions = mdp.n_actions
        T = float(self.temperature)
        l2 = float(self.l2)
        warm: dict[str, np.ndarray | None] = {"V": None}

        self.n_evals_ = 0

        def evaluate(theta: np.ndarray) -> tuple[float, np.ndarray, float, IRLEvaluation]:
            self.n_evals_ += 1
            r = model.reward_table(theta, n_actions)
            ev = irl_objective(mdp, r, stats, T, objective, V_init=warm["V"])
            if mdp.horizon is None:
                warm["V"] = ev.solution.V
            g = ev.grad_reward.sum(axis=1) if model.state_only else ev.grad_reward
            g_theta = model.vjp(theta, g)
            penalized = ev.value - 0.5 * l2 * float(theta @ theta)
            return penalized, g_theta - l2 * theta, float(np.linalg.norm(g_theta)), ev

        self.history_: dict[str, list[float]] = {"objective": [], "penalized": [], "gap": []}
        label = type(self).__name__
        with ProgressBar(self.max_iter, self.verbose, label=label, fields=_BAR_FIELDS) as bar:

            def record(penalized: float, gap: float, ev: IRLEvaluation) -> None:
                self.history_["objective"].append(ev.value)
                self.history_["penalized"].append(penalized)
                self.history_["gap"].append(gap)
                bar.advance(len(self.history_["gap"]) - 1, objective=ev.value, gap=gap)

            if optimizer == "lbfgs":
                theta = self._lbfgs(evaluate, theta0, record)
            else:
                theta = self._adam(evaluate, theta0, record)
        _, _, _, ev = evaluate(theta)
        self.reward_model_ = model
        self.params_ = theta
        self.reward_ = model.reward_table(theta, n_actions)
        self.solution_: SoftSolution = ev.solution
        self.policy_ = ev.policy
        self.objective_ = ev.value
        self.n_iter_ = len(self.history_["objective"]) - 1
        self.demonstrations_: Demonstrations | None = demos  # None for an occupancy input
        self.gamma_ = mdp.gamma
        return self

    def _lbfgs(self, evaluate, theta0: np.ndarray, record) -> np.ndarray:
        cache: OrderedDict[bytes, tuple] = OrderedDict()

        def cached(theta: np.ndarray) -> tuple:
            key = theta.tobytes()
            if key not in cache:
                cache[key] = evaluate(theta.copy())
                if len(cache) > 32:
                    cache.popitem(last=False)
            return cache[key]

        def fun(theta: np.ndarray) -> tuple[float, np.ndarray]:
            penalized, grad, _, _ = cached(theta)
            return -penalized, -grad

        def callback(intermediate_result: so.OptimizeResult) -> None:
            penalized, _, gap, ev = cached(intermediate_result.x)
            record(penalized, gap, ev)

        penalized, _, gap, ev = cached(theta0)
        record(penalized, gap, ev)
        result = so.minimize(
            fun,
            theta0,
            jac=True,
            method="L-BFGS-B",
            callback=callback,
            options={"maxiter": self.max_iter, "gtol": self.tol, "ftol": 1e-12, "maxcor": 20},
        )
        return np.asarray(result.x, dtype=np.float64)

    def _adam(self, evaluate, theta0: np.ndarray, record) -> np.ndarray:
        theta = torch.tensor(theta0, dtype=torch.float64, requires_grad=True)
        opt = torch.optim.Adam([theta], lr=self.learning_rate)
        best = (-np.inf, theta0)
        for step in range(self.max_iter + 1):
            current = theta.detach().numpy().copy()
            penalized, grad, gap, ev = evaluate(current)
            record(penalized, gap, ev)
            if penalized > best[0]:
                best = (penalized, current)
            if step == self.max_iter or np.max(np.abs(grad)) < self.tol:
                break
            opt.zero_grad()
            theta.grad = torch.from_numpy(-grad)
            opt.step()
        return best[1]

    # ------------------------------------------------------------------ after fitting
    def score(self, demonstrations: Any) -> float:
        """Mean discounted log-likelihood of ``demonstrations`` under the learned soft policy.

        (1/N) sum_i sum_t gamma^t log pi_t(a_t^i | s_t^i), the MDP's gamma; see
        :func:`softrl.irl.metrics.demo_log_likelihood`.
        """
        from softrl.irl.metrics import demo_log_likelihood

        if not hasattr(self, "policy_"):
            raise MDPValidationError(f"{type(self).__name__} is not fitted; call fit first.")
        return demo_log_likelihood(self.policy_, demonstrations, gamma=self.gamma_)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(reward_model={self.reward_model!r}, backup={self.backup!r}, "
            f"temperature={self.temperature}, l2={self.l2})"
        )


class MaxCausalEntIRL(SoftIRL):
    """Maximum causal entropy IRL (Ziebart et al. 2010): :class:`SoftIRL` with the variational
    backup; stochastic dynamics, finite or discounted infinite horizon.

    ``objective="likelihood"`` (default) maximises the causal log-likelihood of the
    demonstrated actions; ``"dual"`` the MCE dual (concave for linear rewards).  Parameters and
    attributes as in :class:`SoftIRL`.
    """

    def __init__(
        self,
        reward_model: RewardModel | Literal["state", "state_action"] = "state",
        *,
        objective: Literal["likelihood", "dual"] = "likelihood",
        **kwargs: Any,
    ) -> None:
        super().__init__(reward_model, backup="variational", objective=objective, **kwargs)


class MaxEntIRL(SoftIRL):
    """MaxEnt IRL (Ziebart et al. 2008): :class:`SoftIRL` with the optimistic backup, the exact
    posterior p(tau | O) ∝ p(tau) exp(sum_t r / T) over whole trajectories; finite horizon,
    gamma = 1.  With deterministic dynamics it equals :class:`MaxCausalEntIRL`.

    Parameters and attributes as in :class:`SoftIRL`.
    """

    def __init__(
        self,
        reward_model: RewardModel | Literal["state", "state_action"] = "state",
        **kwargs: Any,
    ) -> None:
        super().__init__(reward_model, backup="optimistic", objective="trajectory", **kwargs)
