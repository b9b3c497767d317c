"""``softrl irl`` / ``python -m softrl.irl``: solve a gridworld, sample demonstrations, run IRL,
save a PNG of the true and learned rewards and policies.

    python -m softrl.irl --algorithm mce --slip 0.1 --n-demos 100 --out out/irl.png
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Literal

import numpy as np

DEFAULT_MAP = """
S......#..
.##....#..
...T......
...T...TT.
.......TG.
..TTT.....
..........
"""


@dataclasses.dataclass(frozen=True)
class IRLConfig:
    """Inverse RL on a gridworld: expert demonstrations in, learned reward and policy out."""

    algorithm: Literal["mce", "maxent", "feature-matching"] = "mce"
    """mce: maximum causal entropy (variational backup); maxent: MaxEnt (optimistic backup,
    gamma = 1); feature-matching: Abbeel & Ng's projection method (linear features)."""
    reward_model: Literal["state", "state_action", "linear"] = "linear"
    """Reward family: tabular r(s), tabular r(s, a), or linear in the landing cell's symbol."""
    layout: str = DEFAULT_MAP
    """Gridworld map (S start, . free, # wall, G goal, T trap; see softrl.envs.SYMBOLS)."""
    slip: float = 0.1
    """Probability that a random other action is executed."""
    horizon: int = 40
    """Decisions per episode."""
    goal_reward: float = 10.0
    trap_reward: float = -10.0
    step_reward: float = -0.1
    n_demos: int = 100
    """Demonstrations sampled from the soft-optimal expert."""
    expert_temperature: float = 0.25
    """Temperature of the expert (the learner assumes 1: the reward is learned up to scale)."""
    l2: float = 1e-2
    """L2 penalty on the reward parameters."""
    max_iter: int = 200
    seed: int = 0
    out: Path = Path("out/irl.png")
    """Where to save the picture."""
    verbose: bool = True
    """Show the optimizer's progress bar."""


def _landing_features(world) -> np.ndarray:
    """phi(s, a) = E[one-hot(symbol of the landing cell) | s, a] for free, goal, trap: (S, A, 3)."""
    chars = np.array([list(row) for row in world.layout])
    symbol = chars[world.cells[:, 0], world.cells[:, 1]]
    kinds = [np.isin(symbol, ["S", "."]), symbol == "G", symbol == "T"]
    onehot = np.stack(kinds, axis=1).astype(np.float64)
    S, A = world.mdp.shape
    return (world.mdp.transitions @ onehot).reshape(S, A, 3)


def run(config: IRLConfig) -> dict[str, float]:
    """Run the experiment of ``config``; returns the metrics and writes ``config.out``."""
    from softrl.envs import GridWorld
    from softrl.inference import soft_backward
    from softrl.irl import (
        FeatureMatchingIRL,
        LinearReward,
        MaxCausalEntIRL,
        MaxEntIRL,
        demo_log_likelihood,
        epic_distance,
        expected_value_difference,
        optimal_policy,
    )
    from softrl.irl.plotting import plot_irl_gridworld
    from softrl.mdp import sample_trajectories

    world = GridWorld.from_map(
        config.layout, slip=config.slip, n_actions=5, goal_reward=config.goal_reward,
        trap_reward=config.trap_reward, step_reward=config.step_reward, gamma=1.0,
        horizon=config.horizon,
    )  # fmt: skip
    mdp = world.mdp
    expert = soft_backward(mdp, temperature=config.expert_temperature).policy
    demos = sample_trajectories(mdp, expert, config.n_demos, seed=config.seed)
    features = _landing_features(world)
    if config.algorithm == "feature-matching":
        fm = FeatureMatchingIRL(features, max_iter=config.max_iter).fit(mdp, demos)
        learned_reward, learned_policy = fm.reward_, fm.policy_
    else:
        model = LinearReward(features) if config.reward_model == "linear" else config.reward_model
        cls = MaxCausalEntIRL if config.algorithm == "mce" else MaxEntIRL
        irl = cls(model, l2=config.l2, max_iter=config.max_iter, seed=config.seed,
                  verbose=config.verbose).fit(mdp, demos)  # fmt: skip
        learned_reward, learned_policy = irl.reward_, irl.policy_
    greedy = optimal_policy(mdp, learned_reward)
    metrics = {
        "evd_greedy": expected_value_difference(mdp, policy=greedy),
        "evd_learned_policy": expected_value_difference(mdp, policy=learned_policy),
        "evd_expert": expected_value_difference(mdp, policy=expert),
        "epic": epic_distance(learned_reward, mdp.reward, mdp),
        "demo_log_likelihood": demo_log_likelihood(learned_policy, demos),
        "expert_log_likelihood": demo_log_likelihood(expert, demos),
    }
    title = (
        f"{config.algorithm}, {config.reward_model} reward, slip {config.slip}: "
        f"EVD {metrics['evd_greedy']:.2%}, EPIC {metrics['epic']:.3f}"
    )
    plot_irl_gridworld(
        world, mdp.reward, learned_reward, optimal_policy(mdp), greedy, config.out, title
    )
    for key, value in metrics.items():
        print(f"{key:>22}: {value:.4f}")
    print(f"{'picture':>22}: {config.out}")
    return metrics


def main(argv: list[str] | None = None, prog: str = "python -m softrl.irl") -> int:
    """Parse the command line with tyro and run; returns the exit code 0."""
    import tyro

    run(tyro.cli(IRLConfig, args=argv, prog=prog))
    return 0
