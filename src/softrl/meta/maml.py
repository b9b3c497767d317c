"""MAML: meta-RL by optimization (Finn, Abbeel and Levine 2017, "Model-Agnostic Meta-Learning
for Fast Adaptation of Deep Networks"; seed 004, "Optimization").

For each task T_i of a meta-batch: sample K episodes D_i from pi_theta, adapt

    theta'_i = theta - alpha grad_theta L_i(theta; D_i)

(one or more inner policy-gradient steps), sample K episodes D'_i from pi_theta'_i, and update
theta with the meta-gradient of sum_i L_i(theta'_i(theta); D'_i). The meta-gradient is taken
through the inner step, second-order terms included, by ``torch.func.grad`` of the whole
composition; ``first_order=True`` drops the inner step's Jacobian (FOMAML: the gradient of
L_i at theta'_i). ``learn_inner_lr=True`` makes alpha a vector the shape of theta, learned by
the same outer gradient (Meta-SGD: theta'_i = theta - alpha * grad L_i, elementwise).
L is the policy-gradient surrogate -mean_t log pi(a_t|s_t) A_t with returns
of the soft reward r - T log pi (softrl's entropy-regularized REINFORCE), a time-indexed mean
baseline and normalized advantages; the outer step is Adam on the meta-gradient (the paper
used TRPO). Like the paper's estimator, the meta-gradient leaves out the term that comes from
D_i's own dependence on theta.

Example
-------
>>> from softrl.meta import MAML
>>> maml = MAML("point-dense").fit(200)                    # doctest: +SKIP
>>> maml.meta_test(n_episodes=3)["mean_returns"]            # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import torch
from torch import Tensor, nn
from torch.func import functional_call, grad

from softrl import functional as F
from softrl.envs.meta_tasks import MetaTaskEnv
from softrl.meta.common import MetaLearner
from softrl.nn import GaussianActor
from softrl.validation import Interval, StrOptions, check_params

__all__ = ["MAML", "MAMLConfig", "EpisodeBatch", "StepSizes", "linear_feature_baseline",
           "pg_surrogate"]

Params = dict[str, Tensor]


class EpisodeBatch(NamedTuple):
    """K episodes of one task, batch-first and padded to length L."""

    obs: Tensor
    """(K, L, obs_dim)."""
    actions: Tensor
    """(K, L, action_dim) (unclipped samples)."""
    rewards: Tensor
    """(K, L)."""
    mask: Tensor
    """(K, L), 1 on steps that happened."""


@dataclass(frozen=True)
class MAMLConfig:
    """Hyperparameters of :class:`MAML`."""

    seed: int = 0
    """Seed of the tasks, the network and every sample."""
    n_train_tasks: int = 1000
    """Pool of meta-training tasks (each iteration draws a meta-batch from it)."""
    n_test_tasks: int = 20
    """Held-out tasks of :meth:`MAML.meta_test`."""
    hidden_sizes: tuple[int, ...] = (64, 64)
    """Hidden widths of the policy's mean network."""
    initial_log_std: float = -2.5
    """Starting log standard deviation of the Gaussian policy."""
    inner_lr: float = 0.02
    """alpha, the inner (adaptation) step size (on point-dense 0.02 adapts to -8.3 after 40
    iterations where 0.1 overshoots: bench/meta.py)."""
    inner_steps: int = 1
    """Inner policy-gradient steps."""
    outer_lr: float = 1e-3
    """Adam step size of the meta-update."""
    meta_batch: int = 20
    """Tasks per meta-update."""
    episodes_per_task: int = 10
    """K, episodes per task before and after each inner step."""
    gamma: float = 0.99
    """Discount of the returns-to-go."""
    temperature: float = 0.0
    """T of the soft reward r - T log pi."""
    first_order: bool = False
    """Drop the second-order terms (FOMAML)."""
    baseline: str = "time"
    """Baseline of the policy-gradient advantages: ``"time"`` (the mean return at each t
    over the K episodes) or ``"linear"`` (the MAML paper's linear feature baseline, refitted
    on each batch: :func:`linear_feature_baseline`)."""
    learn_inner_lr: bool = False
    """Meta-SGD (Li et al. 2017): one step size per parameter entry, alpha starting at
    ``inner_lr`` and meta-learned with theta by the same outer gradient."""
    device: str = "cpu"
    """Torch device."""

    def validate(self) -> None:
        """Raise ValueError naming the first invalid field."""
        pos = Interval(int, 1, None, closed="left")
        check_params("MAML", dataclasses.asdict(self), {
            "seed": [Interval(int, 0, None, closed="left")], "n_train_tasks": [pos],
            "n_test_tasks": [pos], "inner_steps": [pos], "meta_batch": [pos],
            "episodes_per_task": [pos],
            "inner_lr": [Interval(float, 0, None, closed="left")],
            "outer_lr": [Interval(float, 0, None, closed="neither")],
            "gamma": [Interval(float, 0, 1, closed="both")],
            "temperature": [Interval(float, 0, None, closed="left")],
            "initial_log_std": [Interval(float, None, None, closed="neither")],
            "first_order": [bool], "learn_inner_lr": [bool], "hidden_sizes": [tuple],
            "baseline": [StrOptions({"time", "linear"})],
            "device": [str]})


def linear_feature_baseline(batch: EpisodeBatch, returns: Tensor,
                            reg: float = 1e-5) -> Tensor:
    """b_t = phi(s_t, t)^T w with w the ridge least-squares fit of the returns over the
    batch's steps, phi = [s, s^2, t/L, (t/L)^2, (t/L)^3, 1] (Duan et al. 2016's linear feature
    baseline, the one of the MAML paper):

        w = (Phi^T Phi + reg I)^{-1} Phi^T G,

    fitted in float64 on the steps that happened (padding has phi = 0 and counts for
    nothing). Returns (K, L), no gradient."""
    mask = batch.mask.double()
    obs = batch.obs.double()
    k, length = mask.shape
    t = (torch.arange(length, dtype=torch.float64, device=obs.device) / length).expand(k, -1)
    t = t[..., None]
    phi = torch.cat([obs, obs.square(), t, t.square(), t.pow(3), torch.ones_like(t)], -1)
    phi = phi * mask[..., None]
    rows = phi.reshape(-1, phi.shape[-1])
    target = (returns.detach().double() * mask).reshape(-1)
    gram = rows.T @ rows + reg * torch.eye(rows.shape[1], dtype=torch.float64,
                                           device=obs.device)
    w = torch.linalg.solve(gram, rows.T @ target)
    return (phi @ w).to(returns.dtype)


def pg_surrogate(log_probs: Tensor, batch: EpisodeBatch, temperature: float,
                 gamma: float, baseline: str = "time") -> Tensor:
    """-sum_{k,t} mask log pi(a_t|s_t) A_t / sum mask, where A_t are the soft returns-to-go
    G_t (:func:`softrl.functional.soft_returns_to_go`) minus a baseline, normalized to unit
    standard deviation (constants: no gradient). ``baseline="time"``: their mean over the K
    episodes at the same t; ``"linear"``: :func:`linear_feature_baseline`."""
    if baseline not in ("time", "linear"):
        raise ValueError(f"baseline must be 'time' or 'linear'; got {baseline!r}")
    returns = F.soft_returns_to_go(batch.rewards, log_probs.detach(), temperature, gamma,
                                   batch.mask)
    if baseline == "linear":
        b = linear_feature_baseline(batch, returns)
    else:
        b = (returns * batch.mask).sum(0) / batch.mask.sum(0).clamp_min(1.0)
    adv = (returns - b) * batch.mask
    adv = adv / (adv.pow(2).sum() / batch.mask.sum()).sqrt().clamp_min(1e-8)
    return -(log_probs * adv.detach() * batch.mask).sum() / batch.mask.sum()


class StepSizes(nn.Module):
    """Meta-SGD's step sizes: one learnable alpha per entry of each policy parameter,
    starting at ``initial``."""

    def __init__(self, policy: nn.Module, initial: float) -> None:
        super().__init__()
        self.names = [k for k, _ in policy.named_parameters()]
        self.alphas = nn.ParameterList(
            nn.Parameter(torch.full_like(p.detach(), initial)) for p in policy.parameters())

    def as_params(self) -> Params:
        """alpha keyed like the policy's parameters."""
        return dict(zip(self.names, self.alphas, strict=True))

    def set_grads(self, grads: Params) -> None:
        for k, a in zip(self.names, self.alphas, strict=True):
            a.grad = grads[k]


class MAML(MetaLearner):
    """MAML with policy-gradient inner steps (module docstring) for Box-action task families.

    Parameters
    ----------
    tasks : str or MetaTaskEnv
        Task family (``"point-dense"``, ``"point-sparse"``) or a task env with Box actions.
    **hyperparameters
        Fields of :class:`MAMLConfig`.
    """

    kind = "MAML"
    config_class = MAMLConfig

    def _build(self) -> None:
        c = self.config
        self.policy = GaussianActor(self.obs_dim, self.action_dim, c.hidden_sizes,
                                    c.initial_log_std)
        self.step_sizes = StepSizes(self.policy, c.inner_lr) if c.learn_inner_lr else None
        learned = list(self.policy.parameters()) + (
            list(self.step_sizes.parameters()) if self.step_sizes is not None else [])
        self.optimizer = torch.optim.Adam(learned, lr=c.outer_lr)
        self._envs: list[MetaTaskEnv] = [self._copy_env() for _ in range(c.episodes_per_task)]

    def _copy_env(self) -> MetaTaskEnv:
        return type(self.env)(**{k: getattr(self.env, k) for k in self._env_kwargs()})

    def _env_kwargs(self) -> tuple[str, ...]:
        return ("sparse", "horizon", "max_action", "goal_radius") if hasattr(
            self.env, "goal_radius") else ()

    def _modules(self) -> dict[str, nn.Module]:
        return {"policy": self.policy} | (
            {"step_sizes": self.step_sizes} if self.step_sizes is not None else {})

    def _optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"optimizer": self.optimizer}

    # ------------------------------------------------------------------ the math
    def params(self) -> Params:
        """theta as a dict of tensors (the policy's parameters)."""
        return dict(self.policy.named_parameters())

    def log_probs(self, params: Params, batch: EpisodeBatch) -> Tensor:
        """log pi_params(a_t|s_t), (K, L)."""
        mean, log_std = functional_call(self.policy, params, (batch.obs,))
        return F.gaussian_log_prob(batch.actions, mean, log_std)

    def loss(self, params: Params, batch: EpisodeBatch) -> Tensor:
        """The policy-gradient surrogate L(params; batch) (:func:`pg_surrogate`)."""
        c = self.config
        return pg_surrogate(self.log_probs(params, batch), batch, c.temperature, c.gamma,
                            c.baseline)

    def inner_lrs(self) -> Params | None:
        """alpha per parameter entry (Meta-SGD, detached), or None for the scalar
        ``inner_lr``."""
        if self.step_sizes is None:
            return None
        return {k: v.detach() for k, v in self.step_sizes.as_params().items()}

    def adapted(self, params: Params, batches: list[EpisodeBatch],
                first_order: bool | None = None, lrs: Params | None = None) -> Params:
        """theta' after one inner step per batch: p <- p - alpha grad L(p; batch), alpha the
        scalar ``inner_lr`` or, given ``lrs``, one step size per entry. Second order
        (differentiable in ``params``) unless ``first_order``; always differentiable in
        ``lrs``."""
        first_order = self.config.first_order if first_order is None else first_order
        for batch in batches:
            g = grad(self.loss)(params, batch)
            if first_order:
                g = {k: v.detach() for k, v in g.items()}
            params = {k: params[k] - (self.config.inner_lr if lrs is None else lrs[k]) * g[k]
                      for k in params}
        return params

    def meta_loss(self, params: Params, inner: list[EpisodeBatch], outer: EpisodeBatch,
                  first_order: bool | None = None, lrs: Params | None = None) -> Tensor:
        """L(theta'(theta); D') for one task."""
        return self.loss(self.adapted(params, inner, first_order, lrs), outer)

    def meta_gradient(self, params: Params, inner: list[EpisodeBatch], outer: EpisodeBatch,
                      first_order: bool | None = None,
                      lrs: Params | None = None) -> Params | tuple[Params, Params]:
        """d L(theta'(theta); D') / d theta by ``torch.func.grad`` through the inner steps;
        given ``lrs`` (Meta-SGD), the pair (d/d theta, d/d alpha)."""
        if lrs is None:
            return grad(self.meta_loss)(params, inner, outer, first_order)
        return grad(lambda p, a: self.meta_loss(p, inner, outer, first_order, a),
                    argnums=(0, 1))(params, lrs)

    # ------------------------------------------------------------------ sampling
    @torch.no_grad()
    def sample(self, params: Params, task: dict[str, Any], n: int | None = None,
               deterministic: bool = False) -> EpisodeBatch:
        """K episodes (K = ``n`` or ``episodes_per_task``) of ``task`` with pi_params, run in
        lockstep."""
        k = self.config.episodes_per_task if n is None else n
        while len(self._envs) < k:
            self._envs.append(self._copy_env())
        envs = self._envs[:k]
        obs = []
        for env in envs:
            env.set_task(task)
            obs.append(env.reset(seed=self._episode_seed())[0])
        o = np.stack(obs)
        alive = np.ones(k, bool)
        rows_o, rows_a, rows_r, rows_m = [], [], [], []
        params = {key: v.detach() for key, v in params.items()}
        dtype = next(iter(params.values())).dtype
        while alive.any():
            x = torch.as_tensor(o, dtype=dtype, device=self.device)
            mean, log_std = functional_call(self.policy, params, (x,))
            a = mean if deterministic else mean + log_std.exp() * torch.randn(
                mean.shape, generator=self.rngs.torch, device=self.device).to(dtype)
            a_np = a.cpu().numpy()
            r = np.zeros(k, np.float32)
            nxt = o.copy()
            step_alive = alive.copy()
            for i, env in enumerate(envs):
                if alive[i]:
                    nxt[i], r[i], term, trunc, _ = env.step(a_np[i])
                    alive[i] = not (term or trunc)
            rows_o.append(o)
            rows_a.append(a_np)
            rows_r.append(r)
            rows_m.append(step_alive.astype(np.float32))
            o = nxt
        stack = lambda rows: torch.as_tensor(np.stack(rows, 1), device=self.device)  # noqa: E731
        return EpisodeBatch(stack(rows_o).float(), stack(rows_a).float(), stack(rows_r),
                            stack(rows_m))

    @staticmethod
    def mean_return(batch: EpisodeBatch) -> float:
        """Mean undiscounted return of the batch's episodes."""
        return float((batch.rewards * batch.mask).sum(1).mean())

    # ------------------------------------------------------------------ training
    def _iteration(self) -> dict[str, float]:
        c = self.config
        theta, lrs = self.params(), self.inner_lrs()
        picks = self.rngs.np.choice(len(self.train_tasks), c.meta_batch,
                                    replace=len(self.train_tasks) < c.meta_batch)
        total = {k: torch.zeros_like(v) for k, v in theta.items()}
        total_lr = {k: torch.zeros_like(v) for k, v in (lrs or {}).items()}
        pre, post = [], []
        for i in picks:
            task = self.train_tasks[int(i)]
            inner, params = [], theta
            for _ in range(c.inner_steps):
                batch = self.sample(params, task)
                inner.append(batch)
                params = self.adapted(params, [batch], first_order=True, lrs=lrs)
            outer = self.sample(params, task)
            pre.append(self.mean_return(inner[0]))
            post.append(self.mean_return(outer))
            self.num_steps += int(sum(b.mask.sum() for b in inner) + outer.mask.sum())
            detached = {k: v.detach() for k, v in theta.items()}
            if lrs is None:
                g = self.meta_gradient(detached, inner, outer)
            else:
                g, g_lr = self.meta_gradient(detached, inner, outer, lrs=lrs)
                for k in total_lr:
                    total_lr[k] += g_lr[k] / c.meta_batch
            for k in total:
                total[k] += g[k] / c.meta_batch
        self.optimizer.zero_grad(set_to_none=True)
        for k, p in self.policy.named_parameters():
            p.grad = total[k]
        if self.step_sizes is not None:
            self.step_sizes.set_grads(total_lr)
        self.optimizer.step()
        self.num_updates += 1
        norm = math.sqrt(sum(float(v.pow(2).sum()) for v in total.values()))
        out = {"charts/return_before": float(np.mean(pre)),
               "charts/return_after": float(np.mean(post)), "losses/meta_grad_norm": norm}
        if lrs is not None:
            out["charts/inner_lr_mean"] = float(torch.cat(
                [v.reshape(-1) for v in self.inner_lrs().values()]).mean())
        return out

    # ------------------------------------------------------------------ meta-test
    def adapt(self, task: dict[str, Any], n_episodes: int, seed: int,
              deterministic: bool = True) -> list[float]:
        """Returns along adaptation: entry j is the mean return of ``episodes_per_task``
        episodes played after j inner steps (each step uses the K episodes sampled before
        it; the returns are of the sampled, or with ``deterministic`` the mean, actions)."""
        params = {k: v.detach() for k, v in self.params().items()}
        lrs, out = self.inner_lrs(), []
        for j in range(n_episodes):
            batch = self.sample(params, task)
            out.append(self.mean_return(self.sample(params, task, deterministic=True))
                       if deterministic else self.mean_return(batch))
            if j + 1 < n_episodes:
                with torch.enable_grad():
                    params = {k: v.detach() for k, v in
                              self.adapted(params, [batch], first_order=True,
                                           lrs=lrs).items()}
        return out
