"""PEARL: meta-RL by a latent task variable inferred with amortized VI (Rakelly et al. 2019,
"Efficient Off-Policy Meta-RL via Probabilistic Context Variables"; seed 004, "Latent Model").

A permutation-invariant encoder turns each context transition c_n = (s, a, r) into a Gaussian
factor Psi_phi(z | c_n); the posterior is their normalized product. With diagonal factors
N(mu_n, sigma_n^2) (PEARL's choice, ``encoder_covariance="diagonal"``)

    q_phi(z | c_{1:N}) = N(mu, sigma^2),  1/sigma^2 = sum_n 1/sigma_n^2,
                                           mu = sigma^2 sum_n mu_n / sigma_n^2;

with full-covariance factors in information form (``"full"``), factor n contributes a
precision Lambda_n = diag(lambda_n) + U_n U_n^T (U_n of rank ``factor_rank``) and a shift eta_n:

    q_phi(z | c_{1:N}) = N(Lambda^{-1} h, Lambda^{-1}),  Lambda = sum_n Lambda_n, h = sum_n eta_n.

A diagonal product can only average per-transition guesses; the full one can combine
transitions as a least-squares fit does (a dense reward -|p - g| is one linear constraint on
(g, |g|^2) per transition), so a few transitions locate the goal.

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
from softrl.meta.common import Episode, MetaLearner, TaskBuffer, rollout_episode
from softrl.nn import QEnsemble, SquashedGaussianActor, mlp
from softrl.validation import Interval, StrOptions, check_params
from softrl.vi import gaussian_kl_triangular

__all__ = ["PEARL", "PEARLConfig", "product_of_gaussians", "product_of_gaussians_full"]


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


def product_of_gaussians_full(eta: Tensor, diag_precision: Tensor, factors: Tensor,
                              min_precision: float = 1e-4) -> tuple[Tensor, Tensor]:
    """The normalized product of full-covariance Gaussian factors given in information form,
    factor n with precision Lambda_n = diag(lambda_n) + U_n U_n^T and shift eta_n
    (N(z; Lambda_n^{-1} eta_n, Lambda_n^{-1}) up to a constant):

        Lambda = sum_n Lambda_n + min_precision I,   h = sum_n eta_n,
        product = N(Lambda^{-1} h, Lambda^{-1}).

    Parameters
    ----------
    eta, diag_precision : Tensor, shape (B, N, d)
        The shifts and the diagonal precisions (>= 0).
    factors : Tensor, shape (B, N, d, r)
        The low-rank precision factors U_n.
    min_precision : float
        Added to Lambda's diagonal so that it stays positive definite.

    Returns
    -------
    (mean, scale) : Tensors of shapes (B, d) and (B, d, d)
        ``scale`` = L^{-T} for the Cholesky factor L L^T = Lambda: upper triangular, and
        ``scale @ scale.T`` is the covariance Lambda^{-1}.
    """
    if eta.dim() != 3 or diag_precision.shape != eta.shape or factors.dim() != 4 or \
            factors.shape[:3] != eta.shape:
        raise ValueError(f"eta and diag_precision must be (B, N, d) and factors (B, N, d, r); "
                         f"got {tuple(eta.shape)}, {tuple(diag_precision.shape)} and "
                         f"{tuple(factors.shape)}")
    d = eta.shape[-1]
    eye = torch.eye(d, dtype=eta.dtype, device=eta.device)
    precision = torch.diag_embed(diag_precision.sum(1) + min_precision) + \
        torch.einsum("bndr,bner->bde", factors, factors)
    chol = torch.linalg.cholesky(precision)
    mean = torch.cholesky_solve(eta.sum(1)[..., None], chol)[..., 0]
    inv_chol = torch.linalg.solve_triangular(chol, eye.expand_as(chol), upper=False)
    return mean, inv_chol.transpose(-1, -2)


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
    encoder_covariance: str = "full"
    """Form of each context factor Psi_phi(z | c_n): ``"full"`` (information form with a
    rank-``factor_rank`` precision update; see the module docstring) or ``"diagonal"``
    (PEARL's). On point-dense the full form with the two settings below is what brings
    the third episode within 20% of the oracle (bench/RESULTS.md)."""
    factor_rank: int = 1
    """Rank of each factor's precision update U_n U_n^T (``encoder_covariance="full"``)."""
    critic_reward: str = "env"
    """Reward of the critic's (and the reward decoder's) targets: ``"env"``, or ``"dense"``
    for the env's ``info["dense_reward"]`` (PEARL's sparse point robot: the critic learns
    from -|p - g| while the context and the returns carry the sparse reward)."""
    reward_decoder_weight: float = 0.0
    """Weight lambda of a reward likelihood term in the encoder's objective: a decoder
    p_theta(r | s, a, z) = N(r_theta(s, a, z), 1) fitted on the RL batch, whose error also
    trains the encoder (seed 004's "likelihood" R(T, z) as a reconstruction of the task, as in
    VariBAD). 0 keeps PEARL's objective, the Bellman error alone."""
    hidden_sizes: tuple[int, ...] = (128, 128)
    """Hidden widths of the encoder, actor and critics."""
    learning_rate: float = 3e-4
    """Adam step size of the actor and the critics."""
    encoder_learning_rate: float | None = 1e-3
    """Adam step size of the encoder and the reward decoder (None: ``learning_rate``).
    PEARL has its own (``context_lr``); on point-dense the encoder sits on a plateau where z
    carries only the goal's distance, which 1e-3 leaves within a few thousand steps and 3e-4
    does not."""
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
    """Tasks that collect data in each iteration (all of them when there are fewer)."""
    prior_episodes: int = 2
    """Episodes with z ~ p(z) per collecting task; they replace the task's context buffer
    (the encoder sees recent data of the current policy, as in PEARL's encoder buffer)."""
    posterior_episodes: int = 2
    """Episodes with z ~ q(z | those prior episodes) per collecting task, for the RL buffer
    only (the policy learns to act on posterior samples)."""
    critic_trains_encoder: bool = True
    """Whether the Bellman error's gradient reaches the encoder (PEARL). False leaves the
    encoder to the KL and the reward likelihood term alone (VariBAD's split: z is inferred
    by a model of the task and the critic takes it as given)."""
    posterior_in_context: bool = True
    """Also add the posterior episodes to the context buffer, each drawn from everything
    collected so far (as :meth:`PEARL.adapt` does at test time): the encoder then also
    learns from transitions near the goal, which test-time contexts hold from episode 3 on.
    False is PEARL's encoder buffer (prior-z episodes only): PEARL's own settings are
    ``encoder_covariance="diagonal", encoder_learning_rate=None,
    posterior_in_context=False`` (with ``learning_rate`` its context_lr)."""
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
            "grad_steps": [pos], "initial_episodes": [pos], "factor_rank": [pos],
            "encoder_covariance": [StrOptions({"diagonal", "full"})],
            "critic_reward": [StrOptions({"env", "dense"})],
            "learning_rate": [Interval(float, 0, None, closed="neither")],
            "encoder_learning_rate": [None, Interval(float, 0, None, closed="neither")],
            "gamma": [Interval(float, 0, 1, closed="both")],
            "tau": [Interval(float, 0, 1, closed="right")],
            "temperature": [Interval(float, 0, None, closed="left")],
            "kl_weight": [Interval(float, 0, None, closed="left")], "oracle": [bool],
            "reward_decoder_weight": [Interval(float, 0, None, closed="left")],
            "no_context": [bool], "posterior_in_context": [bool],
            "critic_trains_encoder": [bool],
            "hidden_sizes": [tuple], "device": [str]})
        if self.oracle and self.no_context:
            raise ValueError("PEARL: oracle and no_context are exclusive (the oracle is told the "
                             "task, no_context is told nothing); set at most one")


class ContextEncoder(nn.Module):
    """Psi_phi(z | c_n) for each context transition, combined into q_phi(z | c) by
    :func:`product_of_gaussians` (diagonal factors) or :func:`product_of_gaussians_full`.

    Parameters
    ----------
    context_dim, latent_dim : int
        Width of one transition (s, a, r) and of z.
    hidden_sizes : sequence of int
        Hidden widths.
    covariance : {"diagonal", "full"}
        Form of the factors.
    rank : int
        Rank of each full factor's precision update.
    """

    def __init__(self, context_dim: int, latent_dim: int, hidden_sizes: tuple[int, ...],
                 covariance: str = "diagonal", rank: int = 1) -> None:
        super().__init__()
        self.latent_dim, self.covariance, self.rank = latent_dim, covariance, rank
        width = 2 * latent_dim + (latent_dim * rank if covariance == "full" else 0)
        self.net = mlp(context_dim, hidden_sizes, width)

    def forward(self, context: Tensor) -> tuple[Tensor, Tensor]:
        """(B, N, context_dim) -> posterior mean (B, d) and a triangular square root
        ``scale`` (B, d, d) of its covariance (``scale @ scale.T``)."""
        d, out = self.latent_dim, self.net(context)
        if self.covariance == "diagonal":
            mean, var = product_of_gaussians(out[..., :d], nn.functional.softplus(out[..., d:]))
            return mean, torch.diag_embed(var.sqrt())
        factors = out[..., 2 * d:].unflatten(-1, (d, self.rank))
        return product_of_gaussians_full(out[..., :d], nn.functional.softplus(out[..., d:2 * d]),
                                         factors)


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
        self.encoder = ContextEncoder(o + a + 1, c.latent_dim, c.hidden_sizes,
                                      c.encoder_covariance, c.factor_rank)
        self.actor = SquashedGaussianActor(o + z_dim, a, c.hidden_sizes)
        self.critic = QEnsemble(o + z_dim, a, c.hidden_sizes, 2)
        self.critic_target = QEnsemble(o + z_dim, a, c.hidden_sizes, 2)
        self.critic_target.load_state_dict(self.critic.state_dict())
        self.critic_target.requires_grad_(False)
        # p_theta(r | s, a, z) of the reward likelihood term (used when its weight > 0).
        self.reward_decoder = mlp(o + a + z_dim, c.hidden_sizes, 1)
        enc_lr = c.learning_rate if c.encoder_learning_rate is None else c.encoder_learning_rate
        self.optimizer = torch.optim.Adam([
            {"params": [*self.actor.parameters(), *self.critic.parameters()]},
            {"params": [*self.encoder.parameters(), *self.reward_decoder.parameters()],
             "lr": enc_lr}], lr=c.learning_rate)
        self.rl_buffers = [TaskBuffer(o, a) for _ in self.train_tasks]
        self.context_buffers = [TaskBuffer(o, a) for _ in self.train_tasks]

    def _modules(self) -> dict[str, nn.Module]:
        return {"encoder": self.encoder, "actor": self.actor, "critic": self.critic,
                "critic_target": self.critic_target, "reward_decoder": self.reward_decoder}

    def _optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"optimizer": self.optimizer}

    # ------------------------------------------------------------------ inference
    def posterior(self, context: Tensor) -> tuple[Tensor, Tensor]:
        """q(z | c) from context (B, N, obs + action + 1): its mean (B, d) and a triangular
        square root ``scale`` (B, d, d) of its covariance (``scale @ scale.T``; diagonal for
        diagonal factors)."""
        return self.encoder(context)

    @staticmethod
    def _draw(mean: Tensor, scale: Tensor, gen: torch.Generator) -> Tensor:
        """z = mean + scale eps, eps ~ N(0, I) (reparameterized)."""
        eps = torch.randn(mean.shape, generator=gen, device=mean.device)
        return mean + (scale @ eps[..., None])[..., 0]

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
            mean, scale = self.posterior(ctx)
        return self._draw(mean, scale, gen)[0]

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
        from that fresh context (RL buffer only; with ``posterior_in_context`` into the
        context too, each drawn from all the context so far). Returns the env steps taken."""
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
            if c.posterior_in_context:
                ctx.add(ep)
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
        picks = self.rngs.np.choice(len(self.train_tasks),
                                    min(c.tasks_per_iteration, len(self.train_tasks)),
                                    replace=False)
        for i in picks:
            self.num_steps += self._collect(int(i))
        losses: dict[str, float] = {}
        for _ in range(c.grad_steps):
            losses = self.train_step()
        return losses

    def losses(self, idx: np.ndarray) -> dict[str, Tensor]:
        """The losses ``critic``, ``actor``, ``kl`` and ``reward`` of one meta-batch of
        training tasks ``idx``.

        For task i, context c^i ~ its context buffer, z^i ~ q_phi(z | c^i) (reparameterized),
        RL transitions (s, a, r, s') ~ its RL buffer:

            critic: J_Q = sum_j 0.5 mean (Q_j(s, a, z) - y)^2,
                    y = r + gamma (min_j Qbar_j(s', a', z) - T log pi(a' | s', z)),
                    r the env's reward or, with ``critic_reward="dense"``, its dense one,
                    a' ~ pi(. | s', z), gradient into the critics and the encoder;
            actor:  J_pi = mean (T log pi(a~ | s, zbar) - min_j Q_j(s, a~, zbar)), zbar = z
                    detached and the critics' parameters held fixed: only pi moves;
            KL:     mean_i KL(q_phi(z | c^i) || N(0, I)) (zero for the oracle and
                    no_context, whose z is not inferred);
            reward: J_r = 0.5 mean (r_theta(s, a, z) - r)^2, the reward likelihood term,
                    gradient into the decoder and the encoder.
        """
        c, gen, rng = self.config, self.rngs.torch, self.rngs.np
        batch = [self.rl_buffers[i].sample(c.batch_size, rng, self.device) for i in idx]
        obs, act, rew, nxt = (torch.stack([b[k] for b in batch]) for k in range(4))
        if c.critic_reward == "dense":
            rew = torch.stack([b[4] for b in batch])
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
            mean, scale = self.posterior(ctx)
            z = self._draw(mean, scale, gen)
            kl = gaussian_kl_triangular(mean, scale).mean()
        zs = z[:, None].expand(t, n, z.shape[-1])
        flat = lambda x: x.reshape(t * n, -1)  # noqa: E731
        # The buffers hold env actions; the critic and the actor work in the squashed (-1, 1).
        s, a, s2 = flat(obs), self.normalize_action(flat(act)), flat(nxt)
        r = rew.reshape(-1)
        z_critic = zs if c.critic_trains_encoder else zs.detach()
        s_z, s2_z = torch.cat([s, flat(z_critic)], -1), torch.cat([s2, flat(zs.detach())], -1)
        with torch.no_grad():
            a2, logp2 = self.actor.sample(s2_z, gen)
            y = F.soft_q_target(r, torch.zeros_like(r), self.critic_target(s2_z, a2), logp2,
                                c.temperature, c.gamma)
        critic_loss = F.critic_loss(self.critic(s_z, a), y)
        s_zd = torch.cat([s, flat(zs.detach())], -1)
        a_pi, logp = self.actor.sample(s_zd, gen)
        actor_loss = F.actor_loss(self.critic(s_zd, a_pi, detach_params=True), logp,
                                  c.temperature)
        reward_loss = 0.5 * (self.reward_decoder(torch.cat([s, a, flat(zs)], -1))[:, 0]
                             - r).pow(2).mean()
        return {"critic": critic_loss, "actor": actor_loss, "kl": kl, "reward": reward_loss}

    def train_step(self) -> dict[str, float]:
        """One gradient step on a meta-batch of tasks (:meth:`losses`): the critics and the
        encoder descend J_Q + beta KL (+ lambda J_r with the decoder), the actor descends
        J_pi."""
        c = self.config
        idx = self.rngs.np.choice(len(self.train_tasks), min(c.meta_batch,
                                                             len(self.train_tasks)),
                                  replace=False)
        parts = self.losses(idx)
        critic_loss, actor_loss, kl = parts["critic"], parts["actor"], parts["kl"]
        loss = critic_loss + actor_loss + c.kl_weight * kl
        if c.reward_decoder_weight > 0:
            loss = loss + c.reward_decoder_weight * parts["reward"]
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        F.polyak_update(list(self.critic_target.parameters()), list(self.critic.parameters()),
                        c.tau)
        self.num_updates += 1
        return {"losses/critic": critic_loss.item(), "losses/actor": actor_loss.item(),
                "losses/kl": float(kl.detach()), "losses/reward": parts["reward"].item()}

    # ------------------------------------------------------------------ meta-test
    def adapt(self, task: dict[str, Any], n_episodes: int, seed: int,
              deterministic: bool = True) -> list[float]:
        """Each episode's return of :meth:`adapt_episodes`."""
        return [ep.total_reward()
                for ep in self.adapt_episodes(task, n_episodes, seed, deterministic)]

    def adapt_episodes(self, task: dict[str, Any], n_episodes: int, seed: int,
                       deterministic: bool = True) -> list[Episode]:
        """Posterior sampling on one task: episode 1 with z ~ p(z), episode k > 1 with
        z ~ q(z | all context so far); returns the episodes (episode k reset with seed + k).

        Episode 1 is the exploration episode and samples its actions whatever
        ``deterministic`` says, as training's prior-z episodes do: the encoder learned
        q(z | c) from such contexts. A deterministic first episode runs in a straight line,
        whose rewards cannot tell a goal from its mirror image across that line, and hands
        the encoder a context unlike any it was trained on (on point-dense the third
        episode's mean return drops from -4.0 to -7.3, bench/RESULTS.md). ``deterministic``
        applies to the episodes that act on the posterior, and to every episode of the
        oracle and of ``no_context``, whose z is not inferred."""
        c, env, episodes, context = self.config, self.env, [], None
        env.set_task(task)
        inferred = not (c.oracle or c.no_context)
        for k in range(n_episodes):
            explore = inferred and context is None
            ep = rollout_episode(env, self._policy(self._sample_z(context, task),
                                                   deterministic and not explore), seed + k)
            episodes.append(ep)
            context = ep.context() if context is None else np.concatenate([context,
                                                                           ep.context()])
        return episodes
