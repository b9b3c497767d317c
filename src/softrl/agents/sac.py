"""Soft Actor-Critic (Haarnoja et al. 2018) for Gymnasium environments with Box actions.

Default form ("Soft Actor-Critic Algorithms and Applications", https://arxiv.org/abs/1812.05905):
twin Q networks with Polyak-averaged targets, a tanh-squashed Gaussian policy and a temperature
learned toward a target entropy of -dim(A). ``variant="v_network"`` is the original form
(Algorithm 1 of https://arxiv.org/abs/1801.01290): a state-value network V_psi with a Polyak
target, twin Q networks regressed on r + gamma * Vbar(s'), and the same policy.

Every gradient step evaluates all losses at the current parameters, backpropagates their sum
once and takes one Adam step for all networks: the losses touch disjoint parameters (targets
are constants and the actor loss sees the critic's parameters as constants), so this equals
separate optimizers stepping on the same batch.

Example
-------
>>> from softrl.agents import SAC
>>> agent = SAC("Pendulum-v1", seed=0).learn(20_000)  # doctest: +SKIP
>>> agent.evaluate(n_episodes=10)["mean_return"]       # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import os
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import gymnasium as gym
import numpy as np
import torch
from gymnasium.vector import AutoresetMode, VectorEnv
from torch import Tensor, nn

from softrl import functional as F
from softrl.training.buffers import ReplayBatch, ReplayBuffer
from softrl.training.checkpoint import (
    CheckpointError,
    load_checkpoint,
    save_checkpoint,
    save_run_checkpoint,
)
from softrl.training.envs import check_continuous_spaces, env_id_of, make_vector_env
from softrl.training.evaluation import evaluate_policy
from softrl.training.logger import Logger
from softrl.training.networks import QEnsemble, SquashedGaussianActor, ValueNetwork
from softrl.training.progress import TrainingProgress
from softrl.training.seeding import make_rngs, rng_state, set_rng_state

Variant = Literal["twin_q", "v_network"]


@dataclass(frozen=True)
class SACConfig:
    """Hyperparameters of :class:`SAC` (defaults: Stable-Baselines3's SAC defaults)."""

    learning_rate: float = 3e-4
    """Adam step size for the policy, the critics, the value network and the temperature."""
    buffer_size: int = 1_000_000
    """Replay buffer capacity in transitions."""
    batch_size: int = 256
    """Transitions per gradient step."""
    gamma: float = 0.99
    """Discount factor in [0, 1]."""
    tau: float = 0.005
    """Polyak coefficient of the target networks, in (0, 1]."""
    learning_starts: int = 100
    """Environment steps with uniformly random actions before the first gradient step."""
    gradient_steps: int = 1
    """Gradient steps after each (vectorized) environment step."""
    target_update_interval: int = 1
    """Gradient steps between target-network updates."""
    hidden_sizes: tuple[int, ...] = (256, 256)
    """Hidden layer widths of every network."""
    temperature: float | Literal["auto"] = "auto"
    """Entropy weight: "auto" learns it toward target_entropy, a float fixes it."""
    initial_temperature: float = 1.0
    """Starting temperature when temperature="auto"."""
    target_entropy: float | None = None
    """Entropy target for temperature="auto"; None means -dim(A)."""
    variant: Variant = "twin_q"
    """"twin_q": twin Q with target Qs (current SAC); "v_network": V_psi + target V (seed 001)."""
    n_envs: int = 1
    """Parallel environment copies when the env is given by id."""
    seed: int = 0
    """Seed of the network initialization, exploration, replay sampling and env resets."""
    device: str = "cpu"
    """Torch device ("cpu", "cuda", "cuda:1", ...)."""
    torch_threads: int = 0
    """Torch intra-op threads, set process-wide (0 leaves torch's default; 1 is best on a busy
    CPU, where several OpenMP threads slow every matmul down)."""
    log_every: int = 1000
    """Environment steps between logged losses and steps/s."""
    eval_every: int = 0
    """Environment steps between evaluations during learn (0: never)."""
    eval_episodes: int = 5
    """Episodes per evaluation during learn."""
    checkpoint_every: int = 10_000
    """Environment steps between checkpoints when the agent has a run_dir (0: never)."""


def _fail(field: str, requirement: str, value: Any) -> ValueError:
    return ValueError(
        f"The {field!r} hyperparameter of SAC must be {requirement}; got {value!r} instead."
    )


def validate_config(config: SACConfig) -> None:
    """Raise ValueError naming the first invalid field of ``config`` and what it must be."""
    c = config
    for name in ("buffer_size", "batch_size", "gradient_steps", "target_update_interval",
                 "n_envs", "eval_episodes", "log_every"):
        value = getattr(c, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise _fail(name, "an integer >= 1", value)
    for name in ("learning_starts", "seed", "torch_threads", "eval_every", "checkpoint_every"):
        value = getattr(c, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise _fail(name, "an integer >= 0", value)
    if not (isinstance(c.learning_rate, (int, float)) and 0 < c.learning_rate < math.inf):
        raise _fail("learning_rate", "a float in (0, inf), e.g. 3e-4", c.learning_rate)
    if not (isinstance(c.gamma, (int, float)) and 0 <= c.gamma <= 1):
        raise _fail("gamma", "a float in [0, 1], e.g. 0.99", c.gamma)
    if not (isinstance(c.tau, (int, float)) and 0 < c.tau <= 1):
        raise _fail("tau", "a float in (0, 1], e.g. 0.005", c.tau)
    if c.batch_size > c.buffer_size:
        raise _fail("batch_size", f"<= buffer_size ({c.buffer_size})", c.batch_size)
    if not c.hidden_sizes or any(
        isinstance(h, bool) or not isinstance(h, int) or h < 1 for h in c.hidden_sizes
    ):
        raise _fail("hidden_sizes", "a non-empty tuple of integers >= 1, e.g. (256, 256)",
                    c.hidden_sizes)
    if c.temperature != "auto" and not (
        isinstance(c.temperature, (int, float)) and not isinstance(c.temperature, bool)
        and 0 <= c.temperature < math.inf
    ):
        raise _fail("temperature", '"auto" or a float >= 0, e.g. 0.2', c.temperature)
    init = c.initial_temperature
    if not (isinstance(init, (int, float)) and 0 < init < math.inf):
        raise _fail("initial_temperature", "a float in (0, inf), e.g. 1.0", init)
    if c.target_entropy is not None and not (
        isinstance(c.target_entropy, (int, float)) and math.isfinite(c.target_entropy)
    ):
        raise _fail("target_entropy", "None (meaning -dim(A)) or a finite float",
                    c.target_entropy)
    if c.variant not in ("twin_q", "v_network"):
        raise _fail("variant", '"twin_q" or "v_network"', c.variant)
    try:
        torch.device(c.device)
    except (RuntimeError, TypeError) as err:
        raise _fail("device", 'a torch device such as "cpu" or "cuda"', c.device) from err


def make_config(**hyperparameters: Any) -> SACConfig:
    """Build and validate a :class:`SACConfig`; unknown names raise ValueError with suggestions."""
    fields = {f.name for f in dataclasses.fields(SACConfig)}
    for name in hyperparameters:
        if name not in fields:
            close = difflib.get_close_matches(name, sorted(fields), n=3)
            hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
            raise ValueError(f"SAC has no hyperparameter {name!r}.{hint} "
                             f"Valid names: {', '.join(sorted(fields))}.")
    if "hidden_sizes" in hyperparameters and isinstance(hyperparameters["hidden_sizes"], list):
        hyperparameters["hidden_sizes"] = tuple(hyperparameters["hidden_sizes"])
    config = SACConfig(**hyperparameters)
    validate_config(config)
    return config


class SAC:
    """Soft Actor-Critic agent with a Stable-Baselines3-style interface.

    Parameters
    ----------
    env : str, gymnasium.Env or gymnasium.vector.VectorEnv
        Environment id (e.g. ``"Pendulum-v1"``), environment, or vector environment. Its action
        space must be a Box with finite bounds and its observation space a Box.
    run_dir : path, optional
        Where to write ``metrics.csv``, TensorBoard events and checkpoints during ``learn``.
    tensorboard : bool
        Write TensorBoard events in ``run_dir``.
    **hyperparameters
        Fields of :class:`SACConfig`.

    Attributes
    ----------
    config : SACConfig
        Validated hyperparameters.
    num_steps : int
        Environment steps taken so far (all vector copies counted).
    num_updates : int
        Gradient steps taken so far.
    """

    def __init__(
        self,
        env: str | gym.Env | VectorEnv,
        run_dir: str | os.PathLike | None = None,
        tensorboard: bool = True,
        **hyperparameters: Any,
    ) -> None:
        self.config = c = make_config(**hyperparameters)
        self.env_id = env_id_of(env)
        self.envs = make_vector_env(env, n_envs=c.n_envs)
        self.n_envs = self.envs.num_envs
        self.obs_dim, self.action_dim = check_continuous_spaces(
            self.envs.single_action_space, self.envs.single_observation_space, "SAC"
        )
        self._next_step_autoreset = (
            self.envs.metadata.get("autoreset_mode", AutoresetMode.NEXT_STEP)
            == AutoresetMode.NEXT_STEP
        )
        self.run_dir = None if run_dir is None else Path(run_dir)
        self.tensorboard = tensorboard
        if c.torch_threads:
            torch.set_num_threads(c.torch_threads)
        self.device = torch.device(c.device)

        # Seeding: one seed -> global init seed + explicit numpy and torch generators.
        self.rngs = make_rngs(c.seed, self.device)
        space = self.envs.single_action_space
        self.action_low = torch.as_tensor(space.low.reshape(-1), dtype=torch.float32)
        self.action_high = torch.as_tensor(space.high.reshape(-1), dtype=torch.float32)

        # Networks: policy, twin critics as one batched network, and the targets.
        self.actor = SquashedGaussianActor(self.obs_dim, self.action_dim, c.hidden_sizes)
        self.critic = QEnsemble(self.obs_dim, self.action_dim, c.hidden_sizes, n_members=2)
        if c.variant == "twin_q":
            self.critic_target: QEnsemble | None = QEnsemble(
                self.obs_dim, self.action_dim, c.hidden_sizes, n_members=2
            )
            self.critic_target.load_state_dict(self.critic.state_dict())
            self.critic_target.requires_grad_(False)
            self.value = self.value_target = None
        else:
            self.critic_target = None
            self.value: ValueNetwork | None = ValueNetwork(self.obs_dim, c.hidden_sizes)
            self.value_target: ValueNetwork | None = ValueNetwork(self.obs_dim, c.hidden_sizes)
            self.value_target.load_state_dict(self.value.state_dict())
            self.value_target.requires_grad_(False)
        self.to(self.device)

        # Temperature: learned in log space toward target_entropy, or fixed.
        self.learn_temperature = c.temperature == "auto"
        init = c.initial_temperature if self.learn_temperature else float(c.temperature)
        self.log_temperature = nn.Parameter(
            torch.tensor(math.log(max(init, 1e-30)), device=self.device),
            requires_grad=self.learn_temperature,
        )
        self.target_entropy = (
            float(-self.action_dim) if c.target_entropy is None else float(c.target_entropy)
        )
        params = [*self.actor.parameters(), *self.critic.parameters()]
        if self.value is not None:
            params += list(self.value.parameters())
        if self.learn_temperature:
            params.append(self.log_temperature)
        self.optimizer = torch.optim.Adam(params, lr=c.learning_rate, **_adam_impl(self.device))
        self._target_pairs = self._make_target_pairs()

        self.buffer = ReplayBuffer(c.buffer_size, self.obs_dim, self.action_dim, self.device)
        self.num_steps = 0
        self.num_updates = 0
        self.num_episodes = 0
        self.recent_returns: deque[float] = deque(maxlen=20)
        self._obs: np.ndarray | None = None  # None: envs must be reset before stepping
        self._episode_returns = np.zeros(self.n_envs)
        self._skip = np.zeros(self.n_envs, dtype=bool)  # next-step autoreset bookkeeping
        self._last_losses: dict[str, Tensor] = {}
        self._eval_env: gym.Env | None = None
        self._predict_gen = torch.Generator(device=self.device)
        self._predict_gen.manual_seed(c.seed + 1)

    # ------------------------------------------------------------------ public API
    def learn(self, total_steps: int, progress_bar: bool = False) -> SAC:
        """Train for ``total_steps`` more environment steps and return ``self``.

        Parameters
        ----------
        total_steps : int
            Environment steps to add (rounded up to a multiple of the number of envs).
        progress_bar : bool
            Show a rich progress bar with steps/s, episodes and the recent mean return.

        Returns
        -------
        SAC
            This agent.
        """
        if isinstance(total_steps, bool) or not isinstance(total_steps, int) or total_steps < 0:
            raise ValueError(f"total_steps must be an integer >= 0; got {total_steps!r}")
        c = self.config
        # Rows a killed run wrote after its last checkpoint (or an abandoned run in the same
        # directory) are dropped, so the log matches an uninterrupted run.
        logger = Logger(self.run_dir, self.tensorboard, resume_step=self.num_steps)
        if self.num_steps == 0:
            logger.log_config(dataclasses.asdict(c))
        n_iters = -(-total_steps // self.n_envs)
        start_steps, t0 = self.num_steps, time.perf_counter()
        try:
            with TrainingProgress(n_iters * self.n_envs, enabled=progress_bar) as bar:
                for _ in range(n_iters):
                    self._env_step(logger)
                    if self.num_steps > c.learning_starts:
                        for _ in range(c.gradient_steps):
                            self._last_losses = self._update(self.buffer.sample(
                                c.batch_size, self.rngs.torch))
                    prev = self.num_steps - self.n_envs
                    if _crossed(prev, self.num_steps, c.log_every):
                        sps = (self.num_steps - start_steps) / (time.perf_counter() - t0)
                        logger.log(self.num_steps, {
                            "charts/SPS": sps,
                            "charts/temperature": self.log_temperature.exp().item(),
                            **{k: v.item() for k, v in self._last_losses.items()},
                        })
                    if _crossed(prev, self.num_steps, c.eval_every):
                        result = self.evaluate(c.eval_episodes)
                        logger.log(self.num_steps, {f"eval/{k}": v for k, v in result.items()})
                    if self.run_dir is not None and _crossed(prev, self.num_steps,
                                                             c.checkpoint_every):
                        self.checkpoint()
                    bar.update(self.num_steps - start_steps, self.num_episodes,
                               self._recent_return())
                bar.update(self.num_steps - start_steps, self.num_episodes,
                           self._recent_return(), force=True)
        finally:
            logger.close()
        return self

    def predict(self, obs: np.ndarray, deterministic: bool = False) -> np.ndarray:
        """Action(s) for observation(s), in the environment's action bounds.

        Parameters
        ----------
        obs : array, shape (obs_dim,) or (N, obs_dim)
            One observation or a batch.
        deterministic : bool
            Return tanh(mean) instead of a sample.

        Returns
        -------
        np.ndarray, shape (action_dim,) or (N, action_dim)
        """
        obs = np.asarray(obs, dtype=np.float32)
        single = obs.ndim == len(self.envs.single_observation_space.shape)
        batch = obs.reshape(1 if single else obs.shape[0], self.obs_dim)
        with torch.inference_mode():
            a = self.actor.act(torch.as_tensor(batch, device=self.device), deterministic,
                               self._predict_gen)
        actions = self._to_env_action(a)
        shape = self.envs.single_action_space.shape
        return actions.reshape(shape) if single else actions.reshape(-1, *shape)

    def evaluate(
        self, n_episodes: int = 10, env: gym.Env | None = None, deterministic: bool = True,
        seed: int | None = None,
    ) -> dict[str, float]:
        """Mean, std, min, max return and mean length over ``n_episodes`` episodes.

        Parameters
        ----------
        n_episodes : int
            Episodes to run.
        env : gymnasium.Env, optional
            Single environment to evaluate in (default: a fresh copy of the training env id).
        deterministic : bool
            Act with tanh(mean) (True) or sample.
        seed : int, optional
            Episode k is reset with ``seed + k`` (default ``config.seed + 10_000``).
        """
        if env is None:
            if self._eval_env is None:
                if self.env_id is None:
                    raise ValueError("this SAC was built from an env without a registered id; "
                                     "pass env= to evaluate()")
                self._eval_env = gym.make(self.env_id)
            env = self._eval_env
        seed = self.config.seed + 10_000 if seed is None else seed
        return evaluate_policy(lambda o: self.predict(o, deterministic), env, n_episodes, seed)

    def save(self, path: str | os.PathLike, include_buffer: bool = True) -> Path:
        """Write a checkpoint directory (config.json, meta.json, one .pt per state dict)."""
        return save_checkpoint(path, self._config_dict(), self._states(include_buffer),
                               self._meta())

    def checkpoint(self) -> Path:
        """Write ``run_dir/checkpoints/step_N`` and restart the episodes of the training envs.

        Restarting the episodes (a truncation, bootstrapped as usual) makes the checkpoint a
        complete description of the run, so a run resumed from it continues exactly as the
        uninterrupted run does.
        """
        if self.run_dir is None:
            raise ValueError("checkpoint() needs a run_dir; use save(path) instead")
        path = save_run_checkpoint(self.run_dir, self.num_steps, self._config_dict(),
                                   self._states(True), self._meta())
        self._obs = None
        return path

    @classmethod
    def load(
        cls,
        path: str | os.PathLike,
        env: str | gym.Env | VectorEnv | None = None,
        run_dir: str | os.PathLike | None = None,
        device: str | None = None,
        tensorboard: bool = True,
    ) -> SAC:
        """Rebuild an agent from a checkpoint directory or a run directory (latest checkpoint).

        Parameters
        ----------
        path : path
            Directory written by :meth:`save` or :meth:`checkpoint`, or a run directory.
        env : optional
            Environment to attach (default: make the saved env id).
        run_dir : path, optional
            Where further training logs and checkpoints go.
        device : str, optional
            Override the saved device.
        tensorboard : bool
            Write TensorBoard events in ``run_dir``.

        Raises
        ------
        CheckpointError
            Missing, corrupt or incompatible checkpoint. Nothing on disk is modified.
        """
        ckpt = load_checkpoint(path, kind="SAC")
        meta, config = ckpt.meta, dict(ckpt.config)
        if device is not None:
            config["device"] = device
        env = env if env is not None else meta.get("env_id")
        if env is None:
            raise CheckpointError(f"checkpoint {ckpt.path} records no env id; pass env=")
        try:
            agent = cls(env, run_dir=run_dir, tensorboard=tensorboard, **config)
        except (TypeError, ValueError) as err:
            if isinstance(err, CheckpointError):
                raise
            raise CheckpointError(f"checkpoint {ckpt.path} has an invalid config: {err}") from err
        if (meta.get("obs_dim"), meta.get("action_dim")) != (agent.obs_dim, agent.action_dim):
            raise CheckpointError(
                f"checkpoint {ckpt.path} is for obs_dim={meta.get('obs_dim')}, "
                f"action_dim={meta.get('action_dim')}; the env has obs_dim={agent.obs_dim}, "
                f"action_dim={agent.action_dim}"
            )
        try:
            agent._load_states(ckpt.states, meta)
        except (KeyError, RuntimeError, ValueError, TypeError) as err:
            raise CheckpointError(f"checkpoint {ckpt.path} is incompatible: {err}") from err
        return agent

    def to(self, device: torch.device) -> SAC:
        """Move every network to ``device``."""
        for net in self._networks().values():
            net.to(device)
        return self

    # ------------------------------------------------------------------ training loop
    def _env_step(self, logger: Logger) -> None:
        """Act in every env copy, store the transitions, book-keep finished episodes."""
        if self._obs is None:
            seed = int(self.rngs.np.integers(2**31 - 1))
            self._obs, _ = self.envs.reset(seed=[seed + i for i in range(self.n_envs)])
            self._episode_returns[:] = 0.0
            self._skip[:] = False
        obs = self._obs
        if self.num_steps < self.config.learning_starts:
            actions = 2.0 * torch.rand((self.n_envs, self.action_dim), generator=self.rngs.torch,
                                       device=self.device) - 1.0
        else:
            with torch.inference_mode():
                actions = self.actor.act(torch.as_tensor(obs, device=self.device,
                                                         dtype=torch.float32),
                                         False, self.rngs.torch)
        actions_np = actions.cpu().numpy()
        next_obs, rewards, terminated, truncated, infos = self.envs.step(
            self._to_env_action(actions).reshape(self.envs.action_space.shape)
        )
        done = np.logical_or(terminated, truncated)
        # What s' is for each copy: with same-step autoreset next_obs of a finished copy is
        # already the first observation of the next episode, and the real s' is in infos.
        real_next = np.array(next_obs, dtype=np.float32, copy=True).reshape(self.n_envs, -1)
        if not self._next_step_autoreset and done.any():
            for i in np.flatnonzero(done):
                real_next[i] = np.asarray(infos["final_obs"][i]).reshape(-1)
        keep = ~self._skip  # next-step autoreset: a step after `done` only resets that copy
        self.buffer.add(obs.reshape(self.n_envs, -1)[keep], actions_np[keep],
                        np.asarray(rewards)[keep], real_next[keep],
                        np.asarray(terminated)[keep])
        self._episode_returns[keep] += np.asarray(rewards)[keep]
        for i in np.flatnonzero(done & keep):
            self.recent_returns.append(float(self._episode_returns[i]))
            self.num_episodes += 1
            logger.log(self.num_steps + self.n_envs, {
                "charts/episodic_return": self._episode_returns[i]})
            self._episode_returns[i] = 0.0
        if self._next_step_autoreset:
            self._skip = done & keep
        self._obs = next_obs
        self.num_steps += self.n_envs

    def _update(self, batch: ReplayBatch) -> dict[str, Tensor]:
        """One gradient step on all networks from one batch; returns the losses (tensors)."""
        c = self.config
        obs, actions, rewards, next_obs, terminated = batch
        temperature = self.log_temperature.detach().exp()
        gen = self.rngs.torch

        # Policy sample at s, shared by the actor, temperature (and V target) losses.
        a_pi, log_prob = self.actor.sample(obs, gen)
        q_pi = self.critic(obs, a_pi, detach_params=True)  # gradients reach the actor only
        losses = {"losses/actor": F.actor_loss(q_pi, log_prob, temperature)}

        if self.critic_target is not None:  # twin Q with target Q networks
            with torch.no_grad():
                next_a, next_log_prob = self.actor.sample(next_obs, gen)
                next_q = self.critic_target(next_obs, next_a)
                y = F.soft_q_target(rewards, terminated, next_q, next_log_prob, temperature,
                                    c.gamma)
        else:  # V network: J_V toward min Q - T log pi, J_Q toward r + gamma Vbar(s')
            assert self.value is not None and self.value_target is not None
            v_target = F.soft_v_target(q_pi, log_prob, temperature)
            losses["losses/value"] = F.value_loss(self.value(obs), v_target)
            with torch.no_grad():
                y = F.q_target_from_value(rewards, terminated, self.value_target(next_obs),
                                          c.gamma)
        losses["losses/critic"] = F.critic_loss(self.critic(obs, actions), y)
        if self.learn_temperature:
            losses["losses/temperature"] = F.temperature_loss(
                self.log_temperature, log_prob, self.target_entropy)

        self.optimizer.zero_grad(set_to_none=True)
        torch.stack(list(losses.values())).sum().backward()
        self.optimizer.step()
        self.num_updates += 1
        if self.num_updates % c.target_update_interval == 0:
            F.polyak_update(*self._target_pairs, c.tau)
        return {k: v.detach() for k, v in losses.items()}

    # ------------------------------------------------------------------ helpers
    def _recent_return(self) -> float | None:
        """Mean return of the last 20 training episodes (None before the first ends)."""
        return float(np.mean(self.recent_returns)) if self.recent_returns else None

    def _to_env_action(self, action: Tensor) -> np.ndarray:
        """Map actions in (-1, 1) to the env's [low, high] as float32 numpy."""
        a = action.detach().cpu()
        return (self.action_low + 0.5 * (a + 1.0) * (self.action_high - self.action_low)).numpy()

    def _networks(self) -> dict[str, nn.Module]:
        nets: dict[str, nn.Module | None] = {
            "actor": self.actor, "critic": self.critic, "critic_target": self.critic_target,
            "value": self.value, "value_target": self.value_target,
        }
        return {k: v for k, v in nets.items() if v is not None}

    def _make_target_pairs(self) -> tuple[list[Tensor], list[Tensor]]:
        if self.critic_target is not None:
            return list(self.critic_target.parameters()), list(self.critic.parameters())
        assert self.value is not None and self.value_target is not None
        return list(self.value_target.parameters()), list(self.value.parameters())

    def _config_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self.config)

    def _meta(self) -> dict[str, Any]:
        np_state, _ = rng_state(self.rngs)
        return {
            "kind": "SAC", "env_id": self.env_id, "obs_dim": self.obs_dim,
            "action_dim": self.action_dim, "num_steps": self.num_steps,
            "num_updates": self.num_updates, "num_episodes": self.num_episodes,
            "recent_returns": list(self.recent_returns), "np_rng_state": np_state,
            "torch_rng_device": self.device.type,
        }

    def _states(self, include_buffer: bool) -> dict[str, Any]:
        states: dict[str, Any] = {k: v.state_dict() for k, v in self._networks().items()}
        states["optimizer"] = self.optimizer.state_dict()
        states["temperature"] = {"log_temperature": self.log_temperature.detach().cpu()}
        states["rng"] = {"torch": rng_state(self.rngs)[1].cpu()}
        if include_buffer:
            states["replay_buffer"] = self.buffer.state_dict()
        return states

    def _load_states(self, states: dict[str, Any], meta: dict[str, Any]) -> None:
        for name, net in self._networks().items():
            net.load_state_dict(states[name])
        self.optimizer.load_state_dict(states["optimizer"])
        with torch.no_grad():
            self.log_temperature.copy_(states["temperature"]["log_temperature"])
        if "replay_buffer" in states:
            self.buffer.load_state_dict(states["replay_buffer"])
        if meta.get("torch_rng_device") == self.device.type:
            set_rng_state(self.rngs, meta["np_rng_state"], states["rng"]["torch"])
        else:  # CPU and CUDA generator states differ: keep the fresh seeded torch generator
            self.rngs.np.bit_generator.state = meta["np_rng_state"]
        self.num_steps = int(meta["num_steps"])
        self.num_updates = int(meta["num_updates"])
        self.num_episodes = int(meta["num_episodes"])
        self.recent_returns.extend(float(r) for r in meta["recent_returns"])
        self._obs = None


def _crossed(prev: int, now: int, every: int) -> bool:
    """True when a multiple of ``every`` lies in (prev, now] (never if ``every`` is 0)."""
    return every > 0 and now // every > prev // every


def _adam_impl(device: torch.device) -> dict[str, bool]:
    """Fused Adam where torch has it for ``device`` (one kernel over all parameters)."""
    return {"fused": True} if device.type in ("cpu", "cuda") else {"foreach": True}
