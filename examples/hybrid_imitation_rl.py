"""The hybrid objective of seed 004: E_pi[r] + lambda sum_demos log pi(a|s), exactly.

An 8 x 8 slippery room (slip 0.1, gamma 0.95, reward 1 on reaching the far corner), a tabular
softmax policy from uniform, plain gradient ascent on the exact objective
(softrl.imitation.tabular: the return by a dense linear solve, its gradient by autograd).
The demonstrations are 20 episodes of a noisy expert (60% optimal action, 40% uniform), worth
65% of the optimal return. Imitation alone (lambda = 10) gets there fast and stays there; RL
alone (lambda = 0) crawls off the plateau of a sparse reward; lambda annealed from 10 to 0
over the first 100 steps starts like imitation and ends beyond the demonstrations.

    python examples/hybrid_imitation_rl.py            # out/gallery/hybrid_imitation_rl.png
    python examples/hybrid_imitation_rl.py --quick
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

from softrl.demos import Demonstrations
from softrl.envs import FiniteMDPEnv, GridWorld
from softrl.imitation.tabular import demo_counts, exact_return, hybrid_objective
from softrl.planning import policy_evaluation, value_iteration
from softrl.plot._mpl import pyplot

SIZE, SLIP, GAMMA, EPISODES, NOISE = 8, 0.1, 0.95, 20, 0.4


def _world() -> GridWorld:
    rows = ["S" + "." * (SIZE - 1)] + ["." * SIZE] * (SIZE - 2) + ["." * (SIZE - 1) + "G"]
    return GridWorld.from_map("\n".join(rows), slip=SLIP, gamma=GAMMA)


def _demos(mdp, policy: np.ndarray, episodes: int, seed: int = 0) -> Demonstrations:
    """Episodes of ``policy`` through the Gymnasium wrapper (40 steps at most)."""
    env = FiniteMDPEnv(mdp, max_episode_steps=40)
    rng = np.random.default_rng(seed)
    rows: list[tuple] = []
    starts = []
    for k in range(episodes):
        starts.append(len(rows))
        s, _ = env.reset(seed=seed + k)
        while True:
            a = int(rng.choice(mdp.n_actions, p=policy[s]))
            s2, r, term, trunc, _ = env.step(a)
            rows.append((s, a, r, s2, term, trunc and not term))
            s = s2
            if term or trunc:
                break
    cols = list(zip(*rows, strict=True))
    return Demonstrations(*(np.asarray(c) for c in cols), np.asarray(starts))


def _ascend(mdp, counts: np.ndarray, schedule, iters: int, lr: float = 1.0) -> np.ndarray:
    """Gradient ascent on J_lambda from uniform; the exact return after each step."""
    theta = torch.zeros(mdp.shape, dtype=torch.float64, requires_grad=True)
    returns = []
    for k in range(iters):
        objective, ret, _ = hybrid_objective(mdp, theta, counts, schedule(k))
        (grad,) = torch.autograd.grad(objective, theta)
        with torch.no_grad():
            theta += lr * grad
        returns.append(float(ret.detach()))
    returns.append(float(exact_return(mdp, theta.detach())))
    return np.asarray(returns[1:])


def main(out_dir: str | Path = "out/gallery", fast: bool = False) -> dict[str, float]:
    """Run the schedules, plot, return the measured claims."""
    torch.set_num_threads(1)
    iters = 400 if fast else 1000
    mdp = _world().mdp
    S, A = mdp.shape
    vi = value_iteration(mdp)
    optimal = float(mdp.initial @ vi.V)
    greedy = np.eye(A)[np.asarray(vi.policy).reshape(S, -1).argmax(-1)] \
        if np.asarray(vi.policy).ndim == 2 else np.eye(A)[np.asarray(vi.policy)]
    expert = (1 - NOISE) * greedy + NOISE / A
    demo_return = float(mdp.initial @ policy_evaluation(mdp, expert)[0])
    demos = _demos(mdp, expert, EPISODES)
    counts = demo_counts(demos, S, A)
    # the exact return of softrl.imitation.tabular against the planning module's solve
    check = abs(float(exact_return(mdp, torch.log(torch.tensor(expert)))) - demo_return)
    schedules = {
        "RL only (lambda = 0)": lambda k: 0.0,
        "hybrid, lambda = 1": lambda k: 1.0,
        "imitation (lambda = 10)": lambda k: 10.0,
        "hybrid, lambda 10 -> 0 over 100 steps": lambda k: max(0.0, 10.0 * (1 - k / 100)),
    }
    curves = {name: _ascend(mdp, counts, fn, iters) for name, fn in schedules.items()}
    lams = [0.0, 0.1, 0.3, 1.0, 3.0, 10.0]
    finals = [float(_ascend(mdp, counts, lambda k, lam=lam: lam, iters)[-1]) for lam in lams]

    fig, (ax, bx) = pyplot().subplots(1, 2, figsize=(12, 4.5))
    for (name, curve), color in zip(curves.items(), ("C0", "C2", "C3", "C1"), strict=True):
        ax.plot(np.arange(1, iters + 1), curve, label=name, color=color)
    ax.axhline(optimal, ls="--", color="k", lw=1, label=f"optimal ({optimal:.3f})")
    ax.axhline(demo_return, ls=":", color="C3", lw=1, label=f"demonstrator ({demo_return:.3f})")
    ax.set(xlabel="gradient step", ylabel="exact expected return",
           title=f"{SIZE}x{SIZE} room, {len(demos)} demo transitions of a noisy expert")
    ax.legend(fontsize=8, loc="lower right")
    bx.semilogx([max(x, 0.03) for x in lams], finals, "o-", color="C2")
    bx.axhline(optimal, ls="--", color="k", lw=1)
    bx.axhline(demo_return, ls=":", color="C3", lw=1)
    bx.set(xlabel="fixed lambda (0 plotted at 0.03)", ylabel=f"return after {iters} steps",
           title="fixed lambda: the imitation term pulls toward the demonstrator")
    fig.tight_layout()
    out = Path(out_dir) / "hybrid_imitation_rl.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    pyplot().close(fig)

    def first(curve: np.ndarray, level: float) -> int:
        hit = np.flatnonzero(curve >= level)
        return int(hit[0]) + 1 if hit.size else -1

    rl, anneal = curves["RL only (lambda = 0)"], curves["hybrid, lambda 10 -> 0 over 100 steps"]
    bc = curves["imitation (lambda = 10)"]
    claims = {
        "optimal": optimal, "demo_return": demo_return, "exact_return_check": check,
        "final_rl": float(rl[-1]), "final_anneal": float(anneal[-1]), "final_bc": float(bc[-1]),
        "steps_to_demo_level_rl": first(rl, 0.95 * demo_return),
        "steps_to_demo_level_anneal": first(anneal, 0.95 * demo_return),
        "steps_to_demo_level_bc": first(bc, 0.95 * demo_return),
        **{f"final_fixed_lambda_{lam:g}": f for lam, f in zip(lams, finals, strict=True)},
    }
    return claims


if __name__ == "__main__":
    for key, value in main(fast="--quick" in sys.argv).items():
        print(f"{key}: {value:.4g}" if isinstance(value, float) else f"{key}: {value}")
