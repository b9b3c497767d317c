"""``softrl irl --algorithm airl|gail|gcl --env ENV --demos demos.npz``: sample-based IRL on a
Gymnasium env, with progress, CSV/TensorBoard logs, checkpoints, ``--resume``, a picture
(the learned reward against the true one along the demonstrations, and the inner agent's
learning curve on the true reward) and optional reward transfer (``--transfer-steps``: a
fresh agent trained on the learned reward alone, scored on the true reward).

    softrl demos runs/expert --episodes 20 --out demos.npz
    softrl irl --algorithm airl --env Pendulum-v1 --demos demos.npz --steps 30000
    softrl irl --algorithm airl --env Pendulum-v1 --reward-from runs/airl-Pendulum-v1-s0 \\
        --transfer-steps 20000           # transfer only, from a finished run
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import tyro

from softrl.cli.errors import USER_ERRORS, report

DEEP_ALGORITHMS = ("airl", "gail", "gcl")


@dataclasses.dataclass(frozen=True)
class DeepIRLConfig:
    """Inverse RL without known dynamics on a Gymnasium env."""

    algorithm: Literal["airl", "gail", "gcl"]
    """airl: adversarial IRL (disentangled reward g(s)); gail: generative adversarial
    imitation (no transferable reward); gcl: guided cost learning (reward r_psi(s))."""
    demos: Path | None = None
    """Demonstrations (.npz from `softrl demos RUN_DIR --episodes N --out demos.npz`)."""
    env: str = "Pendulum-v1"
    """Gymnasium environment id (Box actions: SAC inside; Discrete: soft Q-learning)."""
    steps: int = 30_000
    """Environment steps of the inner agent (a resumed run trains up to this count)."""
    seed: int = 0
    """Seed of everything."""
    run_dir: Annotated[Path | None, tyro.conf.arg(
        help_behavior_hint="(default: runs/ALGORITHM-ENV-sSEED)")] = None
    """Where metrics.csv, TensorBoard events, checkpoints and the picture go."""
    resume: bool = False
    """Continue the run in run_dir from its latest intact checkpoint."""
    set: tuple[str, ...] = ()
    """Hyperparameters KEY=VALUE of the learner (its inner agent's and the discriminator's,
    e.g. disc_every=2000 learning_starts=1000); VALUE is read as JSON when it parses."""
    transfer_steps: int = 0
    """Then train a fresh agent this many steps on the learned reward alone (0: no transfer)."""
    reward_from: Path | None = None
    """Skip IRL: transfer the learned reward of this finished run (with --transfer-steps)."""
    eval_episodes: int = 10
    """Episodes of the final evaluations on the true reward."""
    out: Path | None = None
    """Picture path (default: RUN_DIR/irl.png)."""
    progress: bool = True
    """Show progress."""


def _hyperparameters(pairs: tuple[str, ...]) -> dict[str, Any]:
    hp: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"--set takes KEY=VALUE pairs; got {pair!r}")
        try:
            hp[key.replace("-", "_")] = json.loads(value)
        except json.JSONDecodeError:
            hp[key.replace("-", "_")] = value
    return hp


def check_config(config: DeepIRLConfig) -> None:
    """Raise ValueError naming the first bad setting, before any work is done."""
    if config.reward_from is None and config.demos is None:
        raise ValueError("--demos is required (record them with `softrl demos RUN_DIR "
                         "--episodes N --out demos.npz`), unless --reward-from RUN_DIR")
    if config.demos is not None and config.reward_from is None and not config.demos.exists():
        raise ValueError(f"--demos {config.demos}: no such file; record demonstrations with "
                         "`softrl demos RUN_DIR --episodes N --out demos.npz`")
    if config.reward_from is not None and config.transfer_steps < 1:
        raise ValueError("--reward-from needs --transfer-steps N (>= 1)")
    for name in ("steps", "eval_episodes"):
        if getattr(config, name) < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be >= 1; got "
                             f"{getattr(config, name)}")
    if config.transfer_steps < 0:
        raise ValueError(f"--transfer-steps must be >= 0; got {config.transfer_steps}")
    _hyperparameters(config.set)


def run(config: DeepIRLConfig) -> dict[str, Any]:
    """Train (or resume) the learner, evaluate it, transfer its reward; returns the figures."""
    from softrl.agents import load_agent
    from softrl.irl.deep.adversarial import AIRL, GAIL
    from softrl.irl.deep.gcl import GCL
    from softrl.irl.deep.transfer import train_on_learned_reward

    check_config(config)
    results: dict[str, Any] = {"algorithm": config.algorithm, "env": config.env}
    if config.reward_from is not None:
        learner = load_agent(config.reward_from, tensorboard=False)
        run_dir = Path(config.reward_from)
    else:
        run_dir = config.run_dir or Path(f"runs/{config.algorithm}-{config.env}-s{config.seed}")
        if config.resume:
            learner = load_agent(run_dir, run_dir=run_dir)
        else:
            factory = {"airl": AIRL, "gail": GAIL, "gcl": GCL}[config.algorithm]
            learner = factory(config.env, run_dir=run_dir, demos=str(config.demos),
                              seed=config.seed, **_hyperparameters(config.set))
        learner.learn(max(config.steps - learner.num_steps, 0), progress_bar=config.progress)
        learner.save(run_dir / "final")
    evaluation = learner.evaluate(config.eval_episodes)
    results["learner_return"] = evaluation["mean_return"]
    demo_returns = _demo_returns(learner)
    if demo_returns is not None:
        results["expert_return"] = float(np.mean(demo_returns))
    curve = None
    if config.transfer_steps:
        _, curve = train_on_learned_reward(learner, config.env, config.transfer_steps,
                                           seed=config.seed, eval_episodes=config.eval_episodes,
                                           progress_bar=config.progress)
        results["transfer_return"] = curve[-1][1]
    out = config.out or run_dir / "irl.png"
    plot_adversarial_run(learner, run_dir if config.reward_from is None else None, out,
                         transfer_curve=curve)
    results["picture"] = str(out)
    for key, value in results.items():
        print(f"{key:>16}: {value if isinstance(value, str) else f'{value:.2f}'}")
    return results


def _demo_returns(learner: Any) -> np.ndarray | None:
    from softrl.demos import load_demos

    path = Path(learner.config.demos)
    if not path.exists():
        return None
    demos = load_demos(path)
    return demos.episode_returns() if demos.rewards is not None else None


def plot_adversarial_run(learner: Any, run_dir: Path | None, out: Path,
                         transfer_curve: list[tuple[int, float]] | None = None) -> Path:
    """Left: the learned reward against the true reward along the demonstrations (with their
    correlation; a learned reward is defined up to shaping and scale). Right: the inner
    agent's learning curve on the true reward (and the transfer agent's, if given)."""
    from softrl.demos import load_demos
    from softrl.plot._mpl import pyplot
    from softrl.training import read_metrics

    plt = pyplot()
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11, 4.2))
    learned = learner.demo_rewards()
    path = Path(learner.config.demos)
    true = None
    if path.exists():
        demos = load_demos(path)
        true = demos.rewards
    what = {"airl": "g(s)", "gcl": "r_psi"}.get(learner.algorithm, "-log(1 - D(s, a))")
    varies = true is not None and len(true) == len(learned) and np.std(true) > 0
    if varies and np.std(learned) > 0:  # scatter, with the correlation
        rho = float(np.corrcoef(true, learned)[0, 1])
        ax0.scatter(true, learned, s=6, alpha=0.5)
        ax0.set_xlabel("true reward r(s, a)")
        ax0.set_ylabel(f"learned {what}")
        ax0.set_title(f"along the {len(true)} demonstrated transitions: correlation {rho:.2f}")
    else:  # a constant (or unknown) true reward: the learned one along the first episodes
        starts = load_demos(path).episode_starts if path.exists() else []
        n_show = int(starts[3]) if len(starts) > 3 else len(learned)
        ax0.plot(np.arange(n_show), learned[:n_show], color="C1", lw=0.9)
        ax0.set_ylabel(f"learned {what}")
        ax0.set_xlabel("demonstrated transition (first episodes)")
        ax0.set_title("learned reward along the demonstrations" + (
            " (the true one is constant)" if true is not None else " (no true reward saved)"))
    if run_dir is not None and (run_dir / "metrics.csv").exists():
        series = read_metrics(run_dir)
        if "charts/episodic_return" in series:
            steps, values = series["charts/episodic_return"]
            ax1.plot(steps, values, lw=0.6, alpha=0.4, color="C0")
            k = max(1, len(values) // 30)
            smooth = np.convolve(values, np.ones(k) / k, mode="valid")
            ax1.plot(steps[k - 1:], smooth, color="C0",
                     label=f"{learner.algorithm.upper()}'s inner agent (true reward)")
    if transfer_curve:
        s, v = zip(*transfer_curve, strict=True)
        ax1.plot(s, v, "o-", color="C2", label="fresh agent on the learned reward alone")
    if true is not None and path.exists():
        ax1.axhline(float(np.mean(load_demos(path).episode_returns())), color="k", ls="--",
                    label="demonstrations")
    ax1.set_xlabel("environment steps")
    ax1.set_ylabel("episode return (true reward)")
    ax1.set_title(f"{learner.env_id}: learning curves")
    ax1.legend(fontsize=8)
    fig.tight_layout()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def wants_deep(argv: list[str]) -> bool:
    """True when ``argv`` asks ``softrl irl`` for a sample-based algorithm."""
    for i, arg in enumerate(argv):
        if arg == "--algorithm" and i + 1 < len(argv):
            return argv[i + 1] in DEEP_ALGORITHMS
        if arg.startswith("--algorithm="):
            return arg.split("=", 1)[1] in DEEP_ALGORITHMS
    return False


def main(argv: list[str] | None = None, prog: str = "softrl irl") -> int:
    """Parse with tyro and run; returns the exit code (2 on bad input)."""
    config = tyro.cli(DeepIRLConfig, args=argv, prog=prog)
    try:
        check_config(config)
        run(config)
    except USER_ERRORS as err:
        return report(prog, err)
    return 0
