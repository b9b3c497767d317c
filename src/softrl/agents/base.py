"""What every agent shares, written once: construction, ``learn``, ``predict``, ``evaluate``,
``save``/``load``, checkpoints and exact resume, logging, progress, seeding and devices.

The split follows Stable-Baselines3 (``base_class.py`` / ``off_policy_algorithm.py``): this
class owns the loop, :class:`~softrl.agents.off_policy.OffPolicyAgent` and
:class:`~softrl.agents.on_policy.OnPolicyAgent` say what one iteration of it is, and an agent
is its networks and its update. A subclass defines

- ``kind`` and ``config_class`` (a frozen dataclass derived from :class:`AgentConfig`);
- ``_check_spaces()`` (raise :class:`ActionSpaceError` for spaces it cannot handle);
- ``_build()``: networks and optimizers, listed by ``_modules()`` and ``_optimizers()``;
- ``_policy_action(obs, deterministic, generator)``: actions for a batch of observations;
- the iteration hooks of its base (``train_step`` for off-policy, ``train_on_rollout`` for
  on-policy);

and optionally ``_extra_state`` / ``_load_extra_state`` (tensors such as a log temperature),
``_to_env_action`` (e.g. rescaling squashed actions) and ``_log_values`` (scalars to log).
"""

from __future__ import annotations

import copy
import dataclasses
import os
import time
import warnings
from collections import deque
from collections.abc import Iterable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
import torch
from gymnasium.envs.registration import EnvSpec
from gymnasium.vector import VectorEnv
from torch import Tensor, nn

from softrl.agents.callbacks import (
    Callback,
    CallbackList,
    CheckpointCallback,
    EvalCallback,
    as_callback_list,
)
from softrl.agents.collector import Collector, EnvStep
from softrl.agents.config import AgentConfig, make_config
from softrl.nn.denormals import flush_denormals
from softrl.progress import TrainingProgress
from softrl.training.checkpoint import (
    CHECKPOINTS_DIR,
    CheckpointError,
    load_checkpoint,
    save_checkpoint,
    save_run_checkpoint,
)
from softrl.training.envs import (
    env_spec_of,
    make_env,
    make_vector_env,
    spec_from_record,
    spec_record,
)
from softrl.training.evaluation import evaluate_policy
from softrl.training.logger import METRICS_FILE, Logger
from softrl.training.seeding import make_rngs, rng_state, set_rng_state

__all__ = ["AGENTS", "Agent", "load_agent"]

AGENTS: dict[str, type[Agent]] = {}
"""Checkpoint kind -> agent class (every concrete subclass registers itself)."""


class Agent:
    """Base of every softrl agent (a Stable-Baselines3-style interface).

    Parameters
    ----------
    env : str, gymnasium.Env or gymnasium.vector.VectorEnv
        Environment id (``"Pendulum-v1"``, or ``"mypkg:MyEnv-v0"`` for a third-party env), an
        environment (wrappers included) or a vector environment.
    run_dir : path, optional
        Where ``learn`` writes ``metrics.csv``, TensorBoard events and checkpoints. A directory
        that already holds a run is refused; resume it with ``Agent.load(run_dir,
        run_dir=run_dir)`` (or ``softrl train ... --resume``).
    tensorboard : bool
        Write TensorBoard events in ``run_dir``.
    eval_env : gymnasium.Env, optional
        Environment for ``evaluate`` and periodic evaluation (default: a fresh copy of the
        training env, rebuilt with the same wrappers from its spec).
    exploration : softrl.exploration.Bonus, optional
        An exploration bonus (counts, pseudo-counts, RND, ...): its
        ``reward(obs, actions, next_obs)`` is added to the environment reward before the
        transition is stored (off-policy) or enters the returns (on-policy), its
        ``update(batch)`` runs on the batches the agent trains on, and it is checkpointed with
        the agent.
    **hyperparameters
        Fields of the agent's config class.

    Attributes
    ----------
    config : AgentConfig
        Validated hyperparameters.
    num_steps, num_updates, num_episodes : int
        Environment steps (all copies), gradient steps and finished episodes so far.
    last_evaluation : dict or None
        Result of the latest ``evaluate``.
    """

    kind: ClassVar[str] = ""
    config_class: ClassVar[type[AgentConfig]] = AgentConfig
    default_env: ClassVar[str] = "Pendulum-v1"
    """The env `softrl train KIND` uses when --env is not given."""
    flush_denormals: bool = True
    """Run the gradient steps of the training loop with CPU float denormals flushed to zero
    (:func:`softrl.nn.denormals.flush_denormals`): Adam's moments of dead ReLU units decay
    through the denormal range, where each operation costs ~100 cycles on Intel CPUs. False
    keeps IEEE denormals. Acting and the environments always run with IEEE arithmetic.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.kind:
            AGENTS[cls.kind] = cls

    def __init__(
        self,
        env: str | gym.Env | VectorEnv,
        run_dir: str | os.PathLike | None = None,
        tensorboard: bool = True,
        eval_env: gym.Env | None = None,
        *,
        exploration: Any = None,
        _resuming: bool = False,
        **hyperparameters: Any,
    ) -> None:
        self.config = c = make_config(self.config_class, self.kind or type(self).__name__,
                                      **hyperparameters)
        self._env_from_id = isinstance(env, (str, EnvSpec))
        self.env_id = _env_id(env)
        self.env_spec = env if isinstance(env, EnvSpec) else env_spec_of(env)
        self.envs = make_vector_env(env, n_envs=c.n_envs)
        self.n_envs = self.envs.num_envs
        self.observation_space = self.envs.single_observation_space
        self.action_space = self.envs.single_action_space
        self.obs_dim = _flat_dim(self.observation_space)
        self._check_spaces()
        self.run_dir = None if run_dir is None else _claim_run_dir(Path(run_dir), _resuming)
        self.tensorboard = tensorboard
        if eval_env is not None and not isinstance(eval_env, gym.Env):
            raise ValueError(f"eval_env must be a single gymnasium.Env; got "
                             f"{type(eval_env).__name__}")
        if eval_env is None and self.env_spec is None and isinstance(env, gym.Env):
            # Wrappers that no spec can rebuild (e.g. a lambda): evaluate in a copy made now,
            # before training touches the env.
            try:
                eval_env = copy.deepcopy(env)
            except Exception:  # noqa: BLE001 - an env that cannot be copied needs eval_env=
                eval_env = None
        self._eval_env = eval_env
        if c.torch_threads:
            torch.set_num_threads(c.torch_threads)
        self.device = torch.device(c.device)
        # One seed -> global init seed + explicit numpy and torch generators.
        self.rngs = make_rngs(c.seed, self.device)
        self.exploration = None  # _build may call to() already
        self._build()
        self.exploration = _check_exploration(exploration, self.obs_dim)
        self._last_bonus: float | None = None
        self.to(self.device)
        self.num_steps = 0
        self.num_updates = 0
        self.num_episodes = 0
        self.recent_returns: deque[float] = deque(maxlen=20)
        self.last_evaluation: dict[str, float] | None = None
        self.logger: Logger | None = None
        self.collector = Collector(self.envs)
        self._last_losses: dict[str, Tensor] = {}
        self._predict_gen = torch.Generator(device=self.device)
        self._predict_gen.manual_seed(c.seed + 1)

    # ------------------------------------------------------------------ for subclasses
    def _check_spaces(self) -> None:
        """Validate ``observation_space`` and ``action_space``; set size attributes."""

    def _build(self) -> None:
        """Create networks and optimizers (the global torch RNG is seeded just before)."""

    def _modules(self) -> dict[str, nn.Module]:
        """Networks by name (each saved as ``NAME.pt``)."""
        return {}

    def _optimizers(self) -> dict[str, torch.optim.Optimizer]:
        """Optimizers by name (each saved as ``NAME.pt``)."""
        return {}

    def _extra_state(self) -> dict[str, dict[str, Tensor]]:
        """Other tensors to checkpoint, ``{file name: {key: tensor}}``."""
        return {}

    def _load_extra_state(self, states: dict[str, Any]) -> None:
        """Restore what :meth:`_extra_state` saved."""

    def _policy_action(self, obs: Tensor, deterministic: bool,
                       generator: torch.Generator) -> Tensor:
        """Actions for a batch of observations (B, obs_dim), in the agent's action space."""
        raise TypeError(f"{type(self).__name__} must define _policy_action")

    def _to_env_action(self, action: Tensor) -> np.ndarray:
        """Map the agent's actions to the env's action space (default: as they are)."""
        return action.detach().cpu().numpy()

    def _flushing(self) -> AbstractContextManager[None]:
        """The context of the loop's gradient steps: denormals flushed if asked, on the CPU."""
        return flush_denormals(self.flush_denormals and self.device.type == "cpu")

    def _train_iteration(self) -> None:
        """One iteration of the training loop (defined by the off- and on-policy bases)."""
        raise TypeError(f"{type(self).__name__} must derive from OffPolicyAgent or "
                        "OnPolicyAgent")

    def _log_values(self) -> dict[str, float]:
        """Scalars logged every ``log_every`` steps (default: the last losses)."""
        values = {k: v.item() for k, v in self._last_losses.items()}
        if self._last_bonus is not None:
            values["charts/exploration_bonus"] = self._last_bonus
        return values

    def _exploration_bonus(self, obs: Tensor, actions: Tensor, next_obs: Tensor) -> Tensor:
        """The exploration bonus of a batch of transitions, (B,) on the device (zeros when
        the agent has no ``exploration``)."""
        if self.exploration is None or obs.shape[0] == 0:
            return torch.zeros(obs.shape[0], device=self.device)
        with torch.no_grad():
            bonus = self.exploration.reward(obs, actions, next_obs).reshape(-1)
        self._last_bonus = float(bonus.mean())
        return bonus.to(self.device, torch.float32)

    # ------------------------------------------------------------------ public API
    def learn(
        self,
        total_timesteps: int,
        callback: Callback | Iterable[Callback] | None = None,
        progress_bar: bool = False,
    ) -> Agent:
        """Train for ``total_timesteps`` more environment steps and return ``self``.

        Parameters
        ----------
        total_timesteps : int
            Environment steps to add (rounded up to whole iterations of the loop).
        callback : Callback or list of Callback, optional
            Called after each iteration (see :mod:`softrl.agents.callbacks`).
        progress_bar : bool
            Show progress (a rich bar on a terminal, plain lines otherwise).
        """
        if (isinstance(total_timesteps, bool) or not isinstance(total_timesteps, int)
                or total_timesteps < 0):
            raise ValueError(f"total_timesteps must be an integer >= 0; got {total_timesteps!r}")
        c = self.config
        callbacks = CallbackList(self._default_callbacks() + as_callback_list(callback))
        # Rows a killed run wrote after its last checkpoint are dropped, so the log matches
        # an uninterrupted run.
        self.logger = Logger(self.run_dir, self.tensorboard, resume_step=self.num_steps)
        if self.num_steps == 0:
            self.logger.log_config(dataclasses.asdict(c))
        target = self.num_steps + total_timesteps
        start_steps, t0 = self.num_steps, time.perf_counter()
        try:
            with TrainingProgress(total_timesteps, enabled=progress_bar) as bar:
                callbacks.on_training_start(self)
                while self.num_steps < target:
                    prev = self.num_steps
                    self._train_iteration()
                    if _crossed(prev, self.num_steps, c.log_every):
                        sps = (self.num_steps - start_steps) / (time.perf_counter() - t0)
                        self.logger.log(self.num_steps,
                                        {"charts/SPS": sps, **self._log_values()})
                    go_on = callbacks.on_step(self)
                    bar.update(self.num_steps - start_steps, self.num_episodes,
                               self.recent_return())
                    if not go_on:
                        break
                bar.update(self.num_steps - start_steps, self.num_episodes,
                           self.recent_return(), force=True)
                callbacks.on_training_end(self)
        finally:
            self.logger.close()
            self.logger = None
        return self

    def predict(
        self,
        observation: np.ndarray,
        state: Any = None,
        episode_start: np.ndarray | None = None,
        deterministic: bool = False,
    ) -> tuple[np.ndarray, Any]:
        """Action(s) for observation(s): Stable-Baselines3's signature, ``(action, state)``.

        Parameters
        ----------
        observation : array, shape obs_shape or (N, *obs_shape)
            One observation or a batch.
        state, episode_start
            Recurrent state (returned unchanged by feed-forward agents) and episode starts.
        deterministic : bool
            Act with the policy's mode instead of sampling.

        Returns
        -------
        (action, state) : action of shape action_shape or (N, *action_shape)
        """
        batch, single = self._check_observation(observation)
        with torch.inference_mode():
            a = self._policy_action(self._obs_tensor(batch), deterministic, self._predict_gen)
        actions = self._to_env_action(a)
        shape = self.action_space.shape
        actions = actions.reshape(shape) if single else actions.reshape(-1, *shape)
        return actions, state

    def act(self, observation: np.ndarray, deterministic: bool = False) -> np.ndarray:
        """The action alone: ``predict(observation, deterministic=...)[0]``."""
        return self.predict(observation, deterministic=deterministic)[0]

    def evaluate(
        self, n_episodes: int = 10, env: gym.Env | VectorEnv | None = None,
        deterministic: bool = True, seed: int | None = None,
    ) -> dict[str, float]:
        """Mean, std, min, max return and mean length over ``n_episodes`` episodes.

        Parameters
        ----------
        n_episodes : int
            Episodes to run (>= 1).
        env : gymnasium.Env or VectorEnv, optional
            Where to evaluate (default: ``eval_env`` if given at construction, else a copy of
            the training env with the same wrappers).
        deterministic : bool
            Act with the policy's mode (True) or sample.
        seed : int, optional
            Episode k is reset with ``seed + k`` (default ``config.seed + 10_000``).
        """
        if isinstance(n_episodes, bool) or not isinstance(n_episodes, int) or n_episodes < 1:
            raise ValueError(f"n_episodes must be an integer >= 1; got {n_episodes!r}")
        env = self._evaluation_env() if env is None else env
        seed = self.config.seed + 10_000 if seed is None else seed
        result = evaluate_policy(lambda o: self.act(o, deterministic), env, n_episodes, seed)
        self.last_evaluation = result
        return result

    def recent_return(self) -> float | None:
        """Mean return of the last 20 training episodes (None before the first ends)."""
        return float(np.mean(self.recent_returns)) if self.recent_returns else None

    def get_parameters(self) -> dict[str, dict[str, Tensor]]:
        """The networks' state dicts by name (copies on the CPU)."""
        return {name: {k: v.detach().cpu().clone() for k, v in m.state_dict().items()}
                for name, m in self._modules().items()}

    def set_parameters(self, parameters: dict[str, dict[str, Tensor]],
                       exact_match: bool = True) -> None:
        """Load networks' state dicts by name (``exact_match``: every network must be given)."""
        modules = self._modules()
        unknown = sorted(set(parameters) - set(modules))
        missing = sorted(set(modules) - set(parameters))
        if unknown or (exact_match and missing):
            raise ValueError(f"set_parameters: unknown networks {unknown}, missing {missing}; "
                             f"this agent has {sorted(modules)}")
        for name, state in parameters.items():
            modules[name].load_state_dict(state)

    def to(self, device: torch.device | str) -> Agent:
        """Move every network (and the exploration bonus) to ``device``."""
        for net in self._modules().values():
            net.to(device)
        if self.exploration is not None:
            self.exploration.to(device)
        return self

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | os.PathLike, include_buffer: bool = True) -> Path:
        """Write a checkpoint directory (``config.json``, ``meta.json``, one ``.pt`` per state).

        Nothing that softrl did not write is ever replaced: an existing ``path`` must be an
        earlier softrl checkpoint (it is then replaced atomically), else CheckpointError.
        """
        return save_checkpoint(path, dataclasses.asdict(self.config),
                               self._states(include_buffer), self._meta())

    def checkpoint(self, path: str | os.PathLike | None = None, include_buffer: bool = True,
                   keep: int = 2) -> Path:
        """Write ``DIR/step_000001000`` (DIR: ``path`` or ``run_dir/checkpoints``), point
        ``DIR/latest`` at it and keep the newest ``keep``. Training state is not touched, so
        checkpoints never change what a run computes."""
        if path is None:
            if self.run_dir is None:
                raise ValueError("checkpoint() needs a run_dir or a path; use save(path) for a "
                                 "single snapshot")
            path = self.run_dir / CHECKPOINTS_DIR
        return save_run_checkpoint(path, self.num_steps, dataclasses.asdict(self.config),
                                   self._states(include_buffer), self._meta(), keep=keep)

    @classmethod
    def load(
        cls,
        path: str | os.PathLike,
        env: str | gym.Env | VectorEnv | None = None,
        run_dir: str | os.PathLike | None = None,
        device: str | None = None,
        tensorboard: bool = True,
        step: int | None = None,
        eval_env: gym.Env | None = None,
        exploration: Any = None,
    ) -> Agent:
        """Rebuild an agent from a checkpoint directory or a run directory.

        Parameters
        ----------
        path : path
            Directory written by :meth:`save` or :meth:`checkpoint`, or a run directory (its
            latest intact checkpoint; a corrupt latest one is skipped with a warning).
        env : optional
            Environment to attach (default: rebuilt from the saved spec, wrappers included).
        run_dir : path, optional
            Where further training logs and checkpoints go (may be the run being resumed).
        device : str, optional
            Override the saved device.
        tensorboard : bool
            Write TensorBoard events in ``run_dir``.
        step : int, optional
            In a run directory, load the checkpoint of this step instead of the latest.
        eval_env : gymnasium.Env, optional
            Environment for ``evaluate``.
        exploration : softrl.exploration.Bonus, optional
            Replaces the saved exploration bonus (default: rebuilt from the checkpoint, with
            its learned state).

        Raises
        ------
        CheckpointError
            Missing, corrupt or incompatible checkpoint. Nothing on disk is modified.
        """
        kind = cls.kind or None
        ckpt = load_checkpoint(path, kind=kind, step=step)
        klass = cls if cls.kind else AGENTS.get(ckpt.meta.get("kind", ""))
        if klass is None:
            raise CheckpointError(f"checkpoint {ckpt.path} holds an unknown agent kind "
                                  f"{ckpt.meta.get('kind')!r}; known: {sorted(AGENTS)}")
        meta, config = ckpt.meta, dict(ckpt.config)
        if device is not None:
            config["device"] = device
        if env is None:
            env = _saved_env(meta)
            if env is None:
                raise CheckpointError(f"checkpoint {ckpt.path} records no env id; pass env=")
        if exploration is None and meta.get("exploration"):
            from softrl.exploration import make_bonus

            exploration = make_bonus(meta["exploration"])
        try:
            agent = klass(env, run_dir=run_dir, tensorboard=tensorboard, eval_env=eval_env,
                          exploration=exploration, _resuming=True, **config)
        except CheckpointError:
            raise
        except (TypeError, ValueError) as err:
            raise CheckpointError(f"checkpoint {ckpt.path} does not fit: {err}") from err
        saved_spaces = (meta.get("observation_space"), meta.get("action_space"))
        now = (str(agent.observation_space), str(agent.action_space))
        if saved_spaces[0] is not None and saved_spaces != now:
            raise CheckpointError(
                f"checkpoint {ckpt.path} is for observation space {saved_spaces[0]} and action "
                f"space {saved_spaces[1]}; the env has {now[0]} and {now[1]}"
            )
        try:
            agent._load_states(ckpt.states, meta)
        except (KeyError, RuntimeError, ValueError, TypeError) as err:
            raise CheckpointError(f"checkpoint {ckpt.path} is incompatible: {err}") from err
        return agent

    # ------------------------------------------------------------------ internals
    def _default_callbacks(self) -> list[Callback]:
        c = self.config
        callbacks: list[Callback] = []
        if c.eval_every:
            callbacks.append(EvalCallback(c.eval_every, c.eval_episodes))
        if self.run_dir is not None and c.checkpoint_every:
            callbacks.append(CheckpointCallback(c.checkpoint_every))
        return callbacks

    def _record(self, step: EnvStep) -> None:
        """Book the episodes that ended at this step (counts, recent returns, log)."""
        for ret, length in zip(step.episode_returns, step.episode_lengths, strict=True):
            self.recent_returns.append(ret)
            self.num_episodes += 1
            if self.logger is not None:
                self.logger.log(self.num_steps + self.n_envs, {
                    "charts/episodic_return": ret, "charts/episodic_length": length})

    def _obs_tensor(self, obs: np.ndarray) -> Tensor:
        """(N, *obs_shape) observations -> (N, obs_dim) float32 on the device (one-hot for a
        Discrete observation space)."""
        space = self.observation_space
        if isinstance(space, gym.spaces.Discrete):
            idx = torch.as_tensor(np.asarray(obs).reshape(-1) - space.start, device=self.device)
            return torch.nn.functional.one_hot(idx.long(), int(space.n)).float()
        n = np.asarray(obs).shape[0]
        return torch.as_tensor(np.asarray(obs, dtype=np.float32).reshape(n, -1),
                               device=self.device)

    def _check_observation(self, observation: Any) -> tuple[np.ndarray, bool]:
        """Validate one observation or a batch; return (batch, was_single)."""
        shape = self.observation_space.shape or ()
        obs = np.asarray(observation)
        if obs.dtype == object or not (np.issubdtype(obs.dtype, np.number)
                                       or obs.dtype == bool):
            raise ValueError(f"observation must be numeric; got dtype {obs.dtype}")
        if obs.shape == shape:
            single, batch = True, obs.reshape(1, *shape)
        elif obs.ndim == len(shape) + 1 and obs.shape[1:] == shape:
            single, batch = False, obs
        else:
            raise ValueError(f"observation has shape {obs.shape}; expected {shape} (one "
                             f"observation) or (N, {', '.join(map(str, shape))}) (a batch) for "
                             f"the observation space {self.observation_space}")
        if np.issubdtype(batch.dtype, np.floating) and not np.all(np.isfinite(batch)):
            raise ValueError("observation contains NaN or inf; check the environment (or "
                             "wrap it with gymnasium.wrappers.NormalizeObservation)")
        return batch, single

    def _evaluation_env(self) -> gym.Env:
        if self._eval_env is None:
            source = self.env_spec if self.env_spec is not None else (
                self.env_id if self._env_from_id else None)
            if source is None:
                raise ValueError(
                    f"this {type(self).__name__} was built from an env without a registered id "
                    "or a rebuildable spec, so there is no copy of it to evaluate in; pass "
                    "eval_env= to the constructor or env= to evaluate()")
            self._eval_env = make_env(source)
        return self._eval_env

    def _meta(self) -> dict[str, Any]:
        np_state, _ = rng_state(self.rngs)
        collector_meta, _ = self.collector.state()
        spec = self.env_spec
        return {
            "kind": self.kind, "env_id": self.env_id,
            "env_spec": None if spec is None else spec_record(spec),
            "observation_space": str(self.observation_space),
            "action_space": str(self.action_space),
            "num_steps": self.num_steps, "num_updates": self.num_updates,
            "num_episodes": self.num_episodes, "recent_returns": list(self.recent_returns),
            "np_rng_state": np_state, "torch_rng_device": self.device.type,
            "collector": collector_meta,
            "exploration": None if self.exploration is None else self.exploration.spec(),
        }

    def _states(self, include_buffer: bool) -> dict[str, Any]:
        states: dict[str, Any] = {k: v.state_dict() for k, v in self._modules().items()}
        states.update({k: v.state_dict() for k, v in self._optimizers().items()})
        states.update(self._extra_state())
        states["rng"] = {"torch": rng_state(self.rngs)[1].cpu()}
        states["collector"] = self.collector.state()[1]
        if self.exploration is not None:
            states["exploration"] = self.exploration.state_dict()
        if include_buffer:
            states.update(self._buffer_states())
        return states

    def _buffer_states(self) -> dict[str, Any]:
        """Replay or rollout data to checkpoint (off-policy agents save their buffer)."""
        return {}

    def _load_buffer_states(self, states: dict[str, Any]) -> None:
        """Restore what :meth:`_buffer_states` saved."""

    def _load_states(self, states: dict[str, Any], meta: dict[str, Any]) -> None:
        for name, net in self._modules().items():
            net.load_state_dict(states[name])
        for name, opt in self._optimizers().items():
            opt.load_state_dict(states[name])
        self._load_extra_state(states)
        if self.exploration is not None and "exploration" in states:
            self.exploration.load_state_dict(states["exploration"])
        self._load_buffer_states(states)
        if meta.get("torch_rng_device") == self.device.type:
            set_rng_state(self.rngs, meta["np_rng_state"], states["rng"]["torch"])
        else:  # CPU and CUDA generator states differ: keep the fresh seeded torch generator
            self.rngs.np.bit_generator.state = meta["np_rng_state"]
        self.num_steps = int(meta["num_steps"])
        self.num_updates = int(meta["num_updates"])
        self.num_episodes = int(meta["num_episodes"])
        self.recent_returns.extend(float(r) for r in meta["recent_returns"])
        if "collector" in states and "collector" in meta:
            self.collector.restore(meta["collector"], states["collector"])
        else:
            self.collector.obs = None


def load_agent(path: str | os.PathLike, **kwargs: Any) -> Agent:
    """Load any agent from a checkpoint or run directory (the kind is read from it)."""
    return Agent.load(path, **kwargs)


def _check_exploration(exploration: Any, obs_dim: int) -> Any:
    """None, or a bonus with ``reward``, ``update``, ``spec`` and ``state_dict`` (set up for
    observations of width ``obs_dim``)."""
    if exploration is None:
        return None
    needed = ("reward", "update", "spec", "state_dict", "load_state_dict", "to")
    missing = [name for name in needed if not callable(getattr(exploration, name, None))]
    if missing:
        raise ValueError(f"exploration must be a softrl.exploration.Bonus (e.g. "
                         f"RNDBonus(scale=0.1)); got {type(exploration).__name__}, which has "
                         f"no {', '.join(missing)}")
    setup = getattr(exploration, "setup", None)
    if callable(setup):
        setup(obs_dim)
    return exploration


def _crossed(prev: int, now: int, every: int) -> bool:
    """True when a multiple of ``every`` lies in (prev, now] (never if ``every`` is 0)."""
    return every > 0 and now // every > prev // every


def _flat_dim(space: gym.Space) -> int:
    """Width of the network input for ``space``: one-hot size for Discrete, else flat size."""
    if isinstance(space, gym.spaces.Discrete):
        return int(space.n)
    return int(np.prod(space.shape or (1,)))


def _env_id(env: str | EnvSpec | gym.Env | VectorEnv) -> str | None:
    """The registered id behind ``env`` (None if it was not made from the registry)."""
    if isinstance(env, str):
        return env
    if isinstance(env, EnvSpec):
        return env.id
    spec = getattr(env, "spec", None)
    if spec is None and isinstance(env, VectorEnv):
        subs = getattr(env, "envs", None)
        spec = subs[0].spec if subs else None
    return None if spec is None else spec.id


def _saved_env(meta: dict[str, Any]) -> str | EnvSpec | None:
    if meta.get("env_spec"):
        try:
            return spec_from_record(meta["env_spec"])
        except (ValueError, TypeError, KeyError, gym.error.Error) as err:
            warnings.warn(f"cannot rebuild the saved env spec ({err}); using the env id",
                          RuntimeWarning, stacklevel=3)
    return meta.get("env_id")


def _claim_run_dir(run_dir: Path, resuming: bool) -> Path:
    """Refuse a path that is a file, or a directory holding another run (unless resuming)."""
    if run_dir.exists() and not run_dir.is_dir():
        raise ValueError(f"run_dir {run_dir} is a file, not a directory; choose another run_dir")
    if not resuming and run_dir.is_dir() and (
        (run_dir / METRICS_FILE).exists() or (run_dir / CHECKPOINTS_DIR).exists()
    ):
        raise ValueError(
            f"run_dir {run_dir} already holds a run; resume it with "
            f"Agent.load({str(run_dir)!r}, run_dir={str(run_dir)!r}) (softrl train ... "
            "--resume), or choose another run_dir")
    return run_dir
