"""``softrl irl`` (also ``python -m softrl.irl``): solve a gridworld, sample demonstrations,
run IRL, save a PNG of the true and learned rewards and policies.

    python -m softrl.irl --out docs/irl_gridworld.png      # mce, linear reward, slip 0.1
    python -m softrl.irl --algorithm maxent                # slip 0 by default (see IRLConfig)

The defaults (goal +20 and traps -20 on entering, -0.5 per free cell, 100 demonstrations of
a soft-optimal expert at temperature 0.25, l2 1e-4) give mce and feature matching a greedy
policy within 0.01% of the optimal return; the expert itself loses 40% of it.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import tyro

from softrl.cli.errors import USER_ERRORS, report

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

    algorithm: Annotated[Literal["mce", "maxent", "feature-matching"], tyro.conf.arg(help=(
        "mce: maximum causal entropy (variational backup); maxent: MaxEnt (optimistic "
        "backup, gamma = 1); feature-matching: Abbeel & Ng's projection method (a reward "
        "linear in the features of --reward-model). Without known dynamics, on a "
        "Gymnasium env: airl, gail, gcl (`softrl irl --algorithm airl --help`)."))] = "mce"
    reward_model: Annotated[Literal["state", "state_action", "linear"], tyro.conf.arg(help=(
        "Reward family: tabular r(s), tabular r(s, a), or linear in the landing cell's "
        "symbol. With feature-matching, state and state_action are one-hot features: it then "
        "matches the demonstrations' visitation counts, and its reward is rarely a good one."
    ))] = "linear"
    layout: Annotated[str, tyro.conf.arg(
        help_behavior_hint="(default: the 7 x 10 map with traps in softrl.cli.irl)")] = (
        DEFAULT_MAP)
    """Gridworld map (S start, . free, # wall, G goal, T trap; see softrl.envs.SYMBOLS)."""
    slip: Annotated[float | None, tyro.conf.arg(
        metavar="FLOAT", help_behavior_hint="(default: 0.1; 0 for maxent)", help=(
            "Probability that a random other action is executed. MaxEnt's optimistic backup "
            "models the demonstrator as choosing where it slips, exact only without slip."))] = (
        None)
    horizon: int = 40
    """Decisions per episode."""
    goal_reward: float = 20.0
    """Reward for entering a goal (terminal)."""
    trap_reward: float = -20.0
    """Reward for entering a trap (terminal)."""
    step_reward: float = -0.5
    """Reward for entering a free cell (or staying on one)."""
    n_demos: int = 100
    """Demonstrations sampled from the soft-optimal expert."""
    expert_temperature: float = 0.25
    """Temperature of the expert (the learner assumes 1: the reward is learned up to scale)."""
    l2: float = 1e-4
    """L2 penalty on the reward parameters (mce, maxent)."""
    max_iter: int = 200
    """L-BFGS iterations (mce, maxent) or policies computed (feature-matching)."""
    seed: int = 0
    """Seed of the demonstrations' sampling (and of a neural reward's initialisation)."""
    out: Path = Path("out/irl.png")
    """Where to save the picture."""
    verbose: bool = True
    """Show the optimizer's progress bar."""

    @property
    def effective_slip(self) -> float:
        """``slip``, or its algorithm-dependent default."""
        if self.slip is not None:
            return self.slip
        return 0.0 if self.algorithm == "maxent" else 0.1


def _cell_kinds(world) -> np.ndarray:
    """One-hot symbol class of each state: free (S or .), goal, trap; (S, 3)."""
    chars = np.array([list(row) for row in world.layout])
    symbol = chars[world.cells[:, 0], world.cells[:, 1]]
    kinds = [np.isin(symbol, ["S", "."]), symbol == "G", symbol == "T"]
    return np.stack(kinds, axis=1).astype(np.float64)


def _landing_features(world) -> np.ndarray:
    """phi(s, a) = E[one-hot(symbol of the landing cell) | s, a] for free, goal, trap: (S, A, 3)."""
    S, A = world.mdp.shape
    return (world.mdp.transitions @ _cell_kinds(world)).reshape(S, A, 3)


def _by_kind(weights: np.ndarray) -> str:
    """'free -0.5, goal 20, trap -20' from weights over the three cell kinds."""
    return ", ".join(f"{k} {w:.3g}" for k, w in zip(("free", "goal", "trap"), weights, strict=True))


def run(config: IRLConfig) -> dict[str, float]:
    """Run the experiment of ``config``; returns the metrics and writes ``config.out``.

    The picture shows each reward per cell: for the true reward and a linear (landing-cell)
    model, the reward of entering the cell; for a tabular model, r(s) averaged over actions
    (blank on terminal cells, where no reward is collected).
    """
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
    from softrl.mdp import sample_trajectories
    from softrl.plot.irl import plot_irl_gridworld

    check_config(config)
    slip = config.effective_slip
    world = _gridworld(config)
    mdp = world.mdp
    expert = soft_backward(mdp, temperature=config.expert_temperature).policy
    demos = sample_trajectories(mdp, expert, config.n_demos, seed=config.seed)
    kinds = _cell_kinds(world)
    features = _landing_features(world)
    model_name = config.reward_model
    model = LinearReward(features) if model_name == "linear" else model_name
    if config.algorithm == "feature-matching":
        fm = FeatureMatchingIRL(model, max_iter=config.max_iter, verbose=config.verbose)
        fm.fit(mdp, demos)
        learned_reward, learned_policy, weights = fm.reward_, fm.policy_, fm.weights_
    else:
        cls = MaxCausalEntIRL if config.algorithm == "mce" else MaxEntIRL
        irl = cls(model, l2=config.l2, max_iter=config.max_iter, seed=config.seed,
                  verbose=config.verbose).fit(mdp, demos)  # fmt: skip
        learned_reward, learned_policy, weights = irl.reward_, irl.policy_, irl.params_
    greedy = optimal_policy(mdp, learned_reward)
    metrics = {
        "evd_greedy": expected_value_difference(mdp, policy=greedy),
        "evd_learned_policy": expected_value_difference(mdp, policy=learned_policy),
        "evd_expert": expected_value_difference(mdp, policy=expert),
        "epic": epic_distance(learned_reward, mdp.reward, mdp),
        "demo_log_likelihood": demo_log_likelihood(learned_policy, demos),
        "expert_log_likelihood": demo_log_likelihood(expert, demos),
    }
    true_weights = np.array([config.step_reward, config.goal_reward, config.trap_reward])
    true_cells = kinds @ true_weights
    if model_name == "linear":
        learned_cells = kinds @ weights
        learned_what = f"reward of entering a cell ({_by_kind(weights)})"
    else:
        learned_cells = np.where(mdp.terminal, np.nan, learned_reward.mean(axis=1))
        learned_what = "r(s), mean over actions"
    plot_irl_gridworld(
        world, true_cells, learned_cells, optimal_policy(mdp), greedy, config.out,
        true_title=(
            f"true reward of entering a cell ({_by_kind(true_weights)}), optimal policy\n"
            f"the expert (T = {config.expert_temperature:g}) loses "
            f"{metrics['evd_expert']:.1%} of the optimal return"
        ),
        learned_title=(
            f"{config.algorithm}, {model_name}: learned {learned_what}\n"
            f"its greedy policy loses {metrics['evd_greedy']:.2%} (EVD); "
            f"EPIC distance {metrics['epic']:.3f}"
        ),
        title=(
            f"{config.n_demos} demonstrations, slip {slip:g}, horizon {config.horizon}; "
            f"arrows: expected move at t = 0"
        ),
    )  # fmt: skip
    print(f"{'algorithm':>22}: {config.algorithm}")
    print(f"{'reward_model':>22}: {model_name}")
    print(f"{'slip':>22}: {slip:g}")
    for key, value in metrics.items():
        print(f"{key:>22}: {value:.4f}")
    print(f"{'picture':>22}: {config.out}")
    return metrics


def check_config(config: IRLConfig) -> None:
    """Raise ValueError naming the first bad setting, before any work is done."""
    _gridworld(config)  # malformed maps and bad slip or rewards raise here
    if "G" not in config.layout:
        raise ValueError("--layout has no goal cell 'G'; the demonstrations need a goal to "
                         "reach (symbols: S start, . free, # wall, G goal, T trap)")
    for name in ("n_demos", "horizon", "max_iter"):
        if getattr(config, name) < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be >= 1; got "
                             f"{getattr(config, name)}")
    if not (math.isfinite(config.expert_temperature) and config.expert_temperature > 0):
        raise ValueError(f"--expert-temperature must be a finite number > 0; got "
                         f"{config.expert_temperature}")
    if not (math.isfinite(config.l2) and config.l2 >= 0):
        raise ValueError(f"--l2 must be a finite number >= 0; got {config.l2}")
    out = Path(config.out)
    if out.is_dir():
        raise ValueError(f"--out {out} is a directory; give a file name such as {out / 'irl.png'}")
    blocking = next((p for p in out.parents if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        raise ValueError(f"--out {out}: {blocking} is a file, not a directory; choose another "
                         "path")


def _gridworld(config: IRLConfig):
    """The GridWorld of ``config`` (5 actions: the four moves and stay)."""
    from softrl.envs import GridWorld

    return GridWorld.from_map(
        config.layout, slip=config.effective_slip, n_actions=5, goal_reward=config.goal_reward,
        trap_reward=config.trap_reward, step_reward=config.step_reward, gamma=1.0,
        horizon=config.horizon,
    )  # fmt: skip


def main(argv: list[str] | None = None, prog: str = "softrl irl") -> int:
    """Parse the command line with tyro and run; returns the exit code (2 on bad input)."""
    import sys

    from softrl.irl.deep.cli import wants_deep

    args = list(sys.argv[1:] if argv is None else argv)
    if wants_deep(args):  # airl, gail: a Gymnasium env and recorded demonstrations
        from softrl.irl.deep.cli import main as deep_main

        return deep_main(args, prog)
    config = tyro.cli(IRLConfig, args=args, prog=prog)
    try:
        check_config(config)
        run(config)
    except USER_ERRORS as err:
        return report(prog, err)
    return 0
