"""Record demonstrations by rolling out a trained softrl agent."""

from __future__ import annotations

import os
from typing import Any

import gymnasium as gym
import numpy as np

from softrl.demos.demonstrations import DemonstrationError, Demonstrations

__all__ = ["record_demos"]


def record_demos(
    agent_or_run_dir: Any,
    episodes: int,
    *,
    env: gym.Env | None = None,
    deterministic: bool = True,
    seed: int = 0,
    max_episode_steps: int = 1_000_000,
) -> Demonstrations:
    """Roll out an agent for ``episodes`` full episodes and keep every transition.

    Parameters
    ----------
    agent_or_run_dir : softrl Agent, a run / checkpoint directory, or a callable
        The expert (a directory is loaded with :func:`softrl.agents.load_agent`); a callable
        (e.g. a scripted controller) maps one observation to one action and needs ``env``.
    episodes : int
        Number of episodes (>= 1).
    env : gymnasium.Env, optional
        Where to act (default: a fresh copy of the agent's env, with its wrappers).
    deterministic : bool
        Act with the policy's mode (True) or sample from it.
    seed : int
        Episode k is reset with ``seed + k``; sampled actions come from a generator seeded
        with ``seed`` (the agent's own predict generator is restored afterwards), so the same
        seed records the same demonstrations.
    max_episode_steps : int
        An episode still running after this many steps is an error (env without time limit).

    Returns
    -------
    Demonstrations
        With rewards, the true last observation of each episode in ``next_obs``, and the env id.
    """
    from softrl.agents import Agent, load_agent

    if isinstance(episodes, bool) or not isinstance(episodes, int) or episodes < 1:
        raise ValueError(f"episodes must be an integer >= 1; got {episodes!r}")
    agent = agent_or_run_dir
    if isinstance(agent, (str, os.PathLike)):
        agent = load_agent(agent)
    if isinstance(agent, Agent):
        if env is None:
            env = agent._evaluation_env()
        env_id = agent.env_id
        gen = agent._predict_gen

        def act(obs: Any) -> Any:
            return agent.act(obs, deterministic)
    elif callable(agent):
        if env is None:
            raise ValueError("record_demos with a policy function needs env=")
        env_id, gen, act = None, None, agent
    else:
        raise TypeError(f"record_demos takes a softrl agent, a run directory or a policy "
                        f"function; got {type(agent).__name__}")
    if isinstance(env, gym.vector.VectorEnv) or not isinstance(env, gym.Env):
        raise ValueError("record_demos acts in a single gymnasium.Env, not a vector env")
    env_id = env.spec.id if env.spec is not None else env_id
    saved = None
    if gen is not None:
        saved = gen.get_state()
        gen.manual_seed(seed)
    obs_l, act_l, rew_l, next_l, term_l, trunc_l, starts = [], [], [], [], [], [], []
    try:
        for k in range(episodes):
            starts.append(len(obs_l))
            obs, _ = env.reset(seed=seed + k)
            for _ in range(max_episode_steps):
                action = act(obs)
                next_obs, reward, terminated, truncated, _ = env.step(action)
                obs_l.append(np.asarray(obs))
                act_l.append(np.asarray(action))
                rew_l.append(float(reward))
                next_l.append(np.asarray(next_obs))
                term_l.append(bool(terminated))
                trunc_l.append(bool(truncated) and not terminated)
                obs = next_obs
                if terminated or truncated:
                    break
            else:
                raise ValueError(f"episode {k} has not ended after {max_episode_steps} steps; "
                                 "the env needs a time limit (gymnasium.wrappers.TimeLimit)")
    finally:
        if gen is not None:
            gen.set_state(saved)
    actions = np.stack(act_l)
    if isinstance(env.action_space, gym.spaces.Discrete):
        actions = actions.reshape(-1).astype(np.int64)
    demos = Demonstrations(np.stack(obs_l), actions, np.asarray(rew_l), np.stack(next_l),
                           np.asarray(term_l), np.asarray(trunc_l), np.asarray(starts, np.int64),
                           env_id)
    try:
        return demos.validate_for(env, check_env_id=False)
    except DemonstrationError as err:  # the agent acted outside its own env's space
        raise DemonstrationError(f"the recorded agent's actions do not fit the env: {err}") \
            from None
