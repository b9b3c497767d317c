"""PEARL: meta-RL by a latent task variable inferred with amortized VI (Rakelly et al. 2019,
"Efficient Off-Policy Meta-RL via Probabilistic Context Variables"; seed 004, "Latent Model").

A permutation-invariant encoder turns each context transition c_n = (s, a, r) into a Gaussian
factor Psi_phi(z | c_n) = N(mu_n, sigma_n^2); the posterior is their normalized product,

    q_phi(z | c_{1:N}) = N(mu, sigma^2),  1/sigma^2 = sum_n 1/sigma_n^2,
                                           mu = sigma^2 sum_n mu_n / sigma_n^2,

and the objective of seed 004 is E_T[E_{z~q(z|c^T)}[R(T, z)] + beta KL(q(z|c^T) || N(0, I))],
where R is SAC's soft Bellman error of critics Q(s, a, z) (its gradient trains the encoder)
and the actor pi(a | s, z) is trained by SAC's loss with z held fixed. At test time the agent
explores with z ~ p(z) and then samples z from the posterior of everything it has seen
(posterior sampling), one episode after another.

Example
-------
>>> from softrl.meta import PEARL
>>> pearl = PEARL("point-dense").fit(200)                  # doctest: +SKIP
>>> pearl.meta_test(n_episodes=3)["mean_returns"]           # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from softrl import functional as F
from softrl.meta.common import MetaLearner, TaskBuffer, rollout_episode
from softrl.nn import QEnsemble, SquashedGaussianActor, mlp
from softrl.validation import Interval, check_params
from softrl.vi import gaussian_kl

__all__ = ["PEARL", "PEARLConfig", "product_of_gaussians"]


def product_of_gaussians(means: Tensor, variances: Tensor, min_variance: float = 1e-7
                         ) -> tuple[Tensor, Tensor]:
    """The normalized product of Gaussian factors prod_n N(z; mu_n, sigma_n^2) (per dimension):

        1/sigma^2 = sum_n 1/sigma_n^2,   mu = sigma^2 sum_n mu_n / sigma_n^2.

    Parameters
    ----------
    means, variances : Tensor, shape (B, N, d)
        The factors' means and variances (clamped below at ``min_variance``).

    Returns
    -------
    (mean, variance) : Tensors of shape (B, d)
    """
    if means.shape != variances.shape or means.dim() != 3:
        raise ValueError(f"means and variances must both be (B, N, d); got {tuple(means.shape)} "
                         f"and {tuple(variances.shape)}")
    precisions = 1.0 / variances.clamp_min(min_variance)
    variance = 1.0 / precisions.sum(1)
    return variance * (means * precisions).sum(1), variance


@dataclass(frozen=True)
class PEARLConfig:
    """Hyperparameters of :class:`PEARL`."""

    seed: int = 0
    """Seed of the tasks, the networks and every sample."""
    n_train_tasks: int = 100
    """Meta-training tasks (with 40 the critic memorizes the tasks from their contexts)."""
    n_test_tasks: int = 20
    """Held-out tasks of :meth:`PEARL.meta_test`."""
    latent_dim: int = 5
    """Width of z."""
    hidden_sizes: tuple[int, ...] = (128, 128)
    """Hidden widths of the encoder, actor and critics."""
    learning_rate: float = 3e-4
    """Adam step size of every network."""
    gamma: float = 0.9
    """Discount."""
    tau: float = 0.005
    """Polyak coefficient of the target critics."""
    temperature: float = 0.01
    """SAC's entropy weight T (fixed). PEARL's point-robot config multiplies the rewards by
    100 with T = 1, which is T = 0.01 on the unscaled rewards used here."""
    kl_weight: float = 1.6e-4
    """beta of the KL regularizer (on the KL averaged over the meta-batch). PEARL's 0.1 is
    applied to the KL summed over 16 tasks against a critic loss on rewards scaled by 100 (so
    100^2 times larger): the same balance here is 0.1 * 16 / 100^2 = 1.6e-4. With 0.1 the
    bottleneck lets z carry the goal's distance but not its direction (bench/RESULTS.md)."""
    meta_batch: int = 16
    """Tasks per gradient step."""
    batch_size: int = 128
    """RL transitions per task per gradient step."""
    context_size: int = 32
    """Context transitions per task per gradient step."""
    tasks_per_iteration: int = 5
    """Tasks that collect data in each iteration."""
    prior_episodes: int = 2
    """Episodes with z ~ p(z) per collecting task; they replace the task's context buffer
    (the encoder sees recent data of the current policy, as in PEARL's encoder buffer)."""
    posterior_episodes: int = 2
    """Episodes with z ~ q(z | those prior episodes) per collecting task, for the RL buffer
    only (the policy learns to act on posterior samples)."""
    grad_steps: int = 100
    """Gradient steps per iteration."""
    initial_episodes: int = 2
    """Episodes collected with z ~ p(z) on every training task before the first step."""
    oracle: bool = False
    """Condition on the true task parameters instead of the inferred z (the oracle)."""
    no_context: bool = False
    """Condition on z = 0 always: the same SAC trained on the task distribution without task
    information (the "from scratch" baseline; excludes ``oracle``)."""
    device: str = "cpu"
    """Torch device."""

    def validate(self) -> None:
        """Raise ValueError naming the first invalid field."""
        pos = Interval(int, 1, None, closed="left")
        check_params("PEARL", dataclasses.asdict(self), {
            "seed": [Interval(int, 0, None, closed="left")], "n_train_tasks": [pos],
            "n_test_tasks": [pos], "latent_dim": [pos], "meta_batch": [pos],
            "batch_size": [pos], "context_size": [pos], "tasks_per_iteration": [pos],
            "prior_episodes": [pos], "posterior_episodes": [Interval(int, 0, None, closed="left")],
            "grad_steps": [pos], "initial_episodes": [pos],
            "learning_rate": [Interval(float, 0, None, closed="neither")],
            "gamma": [Interval(float, 0, 1, closed="both")],
            "tau": [Interval(float, 0, 1, closed="right")],
            "temperature": [Interval(float, 0, None, closed="left")],
            "kl_weight": [Interval(float, 0, None, closed="left")], "oracle": [bool],
            "no_context": [bool],
            "hidden_sizes": [tuple], "device": [str]})
        if self.oracle and self.no_context:
            raise ValueError("PEARL: oracle and no_context are exclusive (the oracle is told the "
                             "task, no_context is told nothing); set at most one")


class ContextEncoder(nn.Module):
    """Psi_phi(z | c_n) for each context transition, combined by :func:`product_of_gaussians`.

    Parameters
    ----------
    context_dim, latent_dim : int
        Width of one transition (s, a, r) and of z.
    hidden_sizes : sequence of int
        Hidden widths.
    """

    def __init__(self, context_dim: int, latent_dim: int, hidden_sizes: tuple[int, ...]) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.net = mlp(context_dim, hidden_sizes, 2 * latent_dim)

    def forward(self, context: Tensor) -> tuple[Tensor, Tensor]:
        """(B, N, context_dim) -> posterior mean and variance, each (B, d)."""
        mean, raw = self.net(context).chunk(2, -1)
        return product_of_gaussians(mean, nn.functional.softplus(raw))


class PEARL(MetaLearner):
    """PEARL on a task family (module docstring): SAC with critics Q(s, a, z) and actor
    pi(a | s, z), z inferred from context by a product-of-Gaussians encoder.

    Parameters
    ----------
    tasks : str or MetaTaskEnv
        Task family (``"point-dense"``, ``"point-sparse"``) or a task env with Box actions.
    **hyperparameters
        Fields of :class:`PEARLConfig`.
    """

    kind = "PEARL"
    config_class = PEARLConfig

    def _build(self) -> None:
        c, o, a = self.config, self.obs_dim, self.action_dim
        z_dim = self.task_dim if c.oracle else c.latent_dim
        self.encoder = ContextEncoder(o + a + 1, c.latent_dim, c.hidden_sizes)
        self.actor = SquashedGaussianActor(o + z_dim, a, c.hidden_sizes)
        self.critic = QEnsemble(o + z_dim, a, c.hidden_sizes, 2)
        self.critic_target = QEnsemble(o + z_dim, a, c.hidden_sizes, 2)
        self.critic_target.load_state_dict(self.critic.state_dict())
        self.critic_target.requires_grad_(False)
        params = [*self.encoder.parameters(), *self.actor.parameters(),
                  *self.critic.parameters()]
        self.optimizer = torch.optim.Adam(params, lr=c.learning_rate)
        self.rl_buffers = [TaskBuffer(o, a) for _ in self.train_tasks]
        self.context_buffers = [TaskBuffer(o, a) for _ in self.train_tasks]

    def _modules(self) -> dict[str, nn.Module]:
        return {"encoder": self.encoder, "actor": self.actor, "critic": self.critic,
                "critic_target": self.critic_target}

    def _optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"optimizer": self.optimizer}

    # ------------------------------------------------------------------ inference
    def posterior(self, context: Tensor) -> tuple[Tensor, Tensor]:
        """q(z | c): mean and variance (B, d) from context (B, N, obs + action + 1)."""
        return self.encoder(context)

    def _sample_z(self, context: np.ndarray | None, task: dict[str, Any]) -> Tensor:
        """One z for acting: the true task vector (oracle), zeros (no_context), a prior
        sample (no context yet), or a posterior sample."""
        c, gen = self.config, self.rngs.torch
        if c.oracle:
            return self.task_tensor(task)
        if c.no_context:
            return torch.zeros(c.latent_dim, device=self.device)
        if context is None or len(context) == 0:
            return torch.randn(c.latent_dim, generator=gen, device=self.device)
        with torch.no_grad():
            ctx = torch.as_tensor(context, dtype=torch.float32, device=self.device)[None]
            mean, var = self.posterior(ctx)
        return (mean + var.sqrt() * torch.randn(mean.shape, generator=gen,
                                                device=self.device))[0]

    def _policy(self, z: Tensor, deterministic: bool):
        def act(obs: np.ndarray) -> np.ndarray:
            with torch.no_grad():
                x = torch.cat([torch.as_tensor(obs, dtype=torch.float32, device=self.device),
                               z])[None]
                a = self.actor.act(x, deterministic, self.rngs.torch)[0]
            return self.scale_action(a)
        return act

    # ------------------------------------------------------------------ training
    def _collect(self, index: int) -> int:
        """Refill task ``index``'s context buffer with ``prior_episodes`` episodes of z ~ p(z)
        (into the RL buffer too), then ``posterior_episodes`` episodes with z ~ q(z | c) drawn
        from that fresh context (RL buffer only). Returns the env steps taken."""
        c, task, env = self.config, self.train_tasks[index], self.env
        env.set_task(task)
        rl, ctx = self.rl_buffers[index], self.context_buffers[index]
        ctx.clear()
        steps = 0
        for _ in range(c.prior_episodes):
            ep = rollout_episode(env, self._policy(self._sample_z(None, task), False),
                                 self._episode_seed())
            rl.add(ep)
            ctx.add(ep)
            steps += len(ep)
        for _ in range(c.posterior_episodes):
            rows = ctx.sample_context(min(c.context_size, len(ctx)), self.rngs.np,
                                      torch.device("cpu")).numpy()
            ep = rollout_episode(env, self._policy(self._sample_z(rows, task), False),
                                 self._episode_seed())
            rl.add(ep)
            steps += len(ep)
        return steps

    def _start(self) -> None:
        for i, task in enumerate(self.train_tasks):
            self.env.set_task(task)
            for _ in range(self.config.initial_episodes):
                ep = rollout_episode(self.env, self._policy(self._sample_z(None, task), False),
                                     self._episode_seed())
                self.rl_buffers[i].add(ep)
                self.context_buffers[i].add(ep)
                self.num_steps += len(ep)

    def _iteration(self) -> dict[str, float]:
        c = self.config
        picks = self.rngs.np.choice(len(self.train_tasks), c.tasks_per_iteration, replace=False)
        for i in picks:
            self.num_steps += self._collect(int(i))
        losses: dict[str, float] = {}
        for _ in range(c.grad_steps):
            losses = self.train_step()
        return losses

    def losses(self, idx: np.ndarray) -> tuple[Tensor, Tensor, Tensor]:
        """(critic loss, actor loss, KL) of one meta-batch of training tasks ``idx``.

        For task i, context c^i ~ its context buffer, z^i ~ q_phi(z | c^i) (reparameterized),
        RL transitions (s, a, r, s') ~ its RL buffer:

            critic: J_Q = sum_j 0.5 mean (Q_j(s, a, z) - y)^2,
                    y = r + gamma (min_j Qbar_j(s', a', z) - T log pi(a' | s', z)),
                    a' ~ pi(. | s', z), gradient into the critics and the encoder;
            actor:  J_pi = mean (T log pi(a~ | s, zbar) - min_j Q_j(s, a~, zbar)), zbar = z
                    detached and the critics' parameters held fixed: only pi moves;
            KL:     mean_i KL(q_phi(z | c^i) || N(0, I)) (zero for the oracle and
                    no_context, whose z is not inferred).
        """
        c, gen, rng = self.config, self.rngs.torch, self.rngs.np
        batch = [self.rl_buffers[i].sample(c.batch_size, rng, self.device) for i in idx]
        obs, act, rew, nxt = (torch.stack([b[k] for b in batch]) for k in range(4))
        t, n = obs.shape[:2]
        kl = torch.zeros((), device=self.device)
        if c.oracle:
            z = torch.stack([self.task_tensor(self.train_tasks[i]) for i in idx])
        elif c.no_context:
            z = torch.zeros(t, c.latent_dim, device=self.device)
        else:
            ctx = torch.stack([self.context_buffers[i].sample_context(c.context_size, rng,
                                                                      self.device)
                               for i in idx])
            mean, var = self.posterior(ctx)
            z = mean + var.sqrt() * torch.randn(mean.shape, generator=gen, device=self.device)
            kl = gaussian_kl(mean, 0.5 * var.log()).mean()
        zs = z[:, None].expand(t, n, z.shape[-1])
        flat = lambda x: x.reshape(t * n, -1)  # noqa: E731
        # The buffers hold env actions; the critic and the actor work in the squashed (-1, 1).
        s, a, s2 = flat(obs), self.normalize_action(flat(act)), flat(nxt)
        r = rew.reshape(-1)
        s_z, s2_z = torch.cat([s, flat(zs)], -1), torch.cat([s2, flat(zs.detach())], -1)
        with torch.no_grad():
            a2, logp2 = self.actor.sample(s2_z, gen)
            y = F.soft_q_target(r, torch.zeros_like(r), self.critic_target(s2_z, a2), logp2,
                                c.temperature, c.gamma)
        critic_loss = F.critic_loss(self.critic(s_z, a), y)
        s_zd = torch.cat([s, flat(zs.detach())], -1)
        a_pi, logp = self.actor.sample(s_zd, gen)
        actor_loss = F.actor_loss(self.critic(s_zd, a_pi, detach_params=True), logp,
                                  c.temperature)
        return critic_loss, actor_loss, kl

    def train_step(self) -> dict[str, float]:
        """One gradient step on a meta-batch of tasks (:meth:`losses`): the critics and the
        encoder descend J_Q + beta KL, the actor descends J_pi."""
        c = self.config
        idx = self.rngs.np.choice(len(self.train_tasks), min(c.meta_batch,
                                                             len(self.train_tasks)),
                                  replace=False)
        critic_loss, actor_loss, kl = self.losses(idx)
        loss = critic_loss + actor_loss + c.kl_weight * kl
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        F.polyak_update(list(self.critic_target.parameters()), list(self.critic.parameters()),
                        c.tau)
        self.num_updates += 1
        return {"losses/critic": critic_loss.item(), "losses/actor": actor_loss.item(),
                "losses/kl": float(kl.detach())}

    # ------------------------------------------------------------------ meta-test
    def adapt(self, task: dict[str, Any], n_episodes: int, seed: int,
              deterministic: bool = True) -> list[float]:
        """Posterior sampling on one task: episode 1 with z ~ p(z), episode k > 1 with
        z ~ q(z | all context so far); returns each episode's return."""
        env, returns, context = self.env, [], None
        env.set_task(task)
        for k in range(n_episodes):
            ep = rollout_episode(env, self._policy(self._sample_z(context, task),
                                                   deterministic), seed + k)
            returns.append(ep.total_reward())
            context = ep.context() if context is None else np.concatenate([context,
                                                                           ep.context()])
        return returns
