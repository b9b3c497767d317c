"""The main demo (``make demo``): exact control as inference on small gridworlds.

1. Sutton & Barto's gridworld: the random-policy and optimal value tables next to the book's.
2. Soft values of the same gridworld at several temperatures (T -> 0 is the hard optimum).
3. A slippery path along traps: the exact (optimistic) posterior against the variational
   one, log-evidence and ELBO, and the state marginals p(s_t | O) in a PNG.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from softrl.envs import GridWorld, sutton_barto_gridworld
from softrl.inference import (
    elbo,
    log_evidence,
    policy_marginals,
    posterior_marginals,
    soft_backward,
)
from softrl.planning import policy_evaluation, value_iteration

BOOK_RANDOM = np.array([
    [3.3, 8.8, 4.4, 5.3, 1.5],
    [1.5, 3.0, 2.3, 1.9, 0.5],
    [0.1, 0.7, 0.7, 0.4, -0.4],
    [-1.0, -0.4, -0.4, -0.6, -1.2],
    [-1.9, -1.3, -1.2, -1.4, -2.0],
])  # fmt: skip
BOOK_OPTIMAL = np.array([
    [22.0, 24.4, 22.0, 19.4, 17.5],
    [19.8, 22.0, 19.8, 17.8, 16.0],
    [17.8, 19.8, 17.8, 16.0, 14.4],
    [16.0, 17.8, 16.0, 14.4, 13.0],
    [14.4, 16.0, 14.4, 13.0, 11.7],
])  # fmt: skip

# A short path along a row of traps, or a safe detour: with slip 0.1 the short path falls into
# a trap a quarter of the time.  The exact posterior assumes lucky transitions and takes it.
CLIFF_MAZE = """
S........G
.TTTTTTTT.
..........
..........
"""


def _side_by_side(title: str, ours: np.ndarray, book: np.ndarray) -> Table:
    table = Table(title=f"{title}  (max |softrl - book| = {np.abs(ours - book).max():.3f})")
    for c in range(5):
        table.add_column(f"ours c{c}", justify="right")
    table.add_column("")
    for c in range(5):
        table.add_column(f"book c{c}", justify="right", style="dim")
    for r in range(5):
        table.add_row(*[f"{v:.1f}" for v in ours[r]], "|", *[f"{v:.1f}" for v in book[r]])
    return table


def sutton_barto_section(console: Console, out: Path) -> None:
    from softrl.plot import plot_grid_panels

    mdp = sutton_barto_gridworld()
    uniform = np.full(mdp.shape, 0.25)
    V_random, _ = policy_evaluation(mdp, uniform)
    vi = value_iteration(mdp)
    console.print(_side_by_side("Figure 3.2: random policy", V_random.reshape(5, 5), BOOK_RANDOM))
    console.print(_side_by_side("Figure 3.5: optimal values", vi.V.reshape(5, 5), BOOK_OPTIMAL))

    table = Table(title="Soft values V(s) = T log sum_a exp(Q/T), gamma = 0.9")
    for col in ("temperature", "V(A)", "V(B)", "mean V", "policy entropy at centre (nats)"):
        table.add_column(col, justify="right")
    panels = []
    for T in (0.0, 0.3, 1.0, 3.0):
        sol = soft_backward(mdp, T)
        pi = sol.policy
        centre = pi[12][pi[12] > 0]
        table.add_row(f"{T:g}" + (" (hard)" if T == 0 else ""), f"{sol.V[1]:.2f}",
                      f"{sol.V[3]:.2f}", f"{sol.V.mean():.2f}",
                      f"{-(centre * np.log(centre)).sum():.3f}")  # fmt: skip
        panels.append((sol.V, pi, f"soft V, T={T:g}"))
    console.print(table)
    title = "Sutton & Barto gridworld: soft-optimal values and policies"
    plot_grid_panels((5, 5), panels, out / "demo_sutton_barto.png", annotate=True, title=title)


def maze_section(console: Console, out: Path, temperature: float = 0.01) -> None:
    from softrl.plot import plot_grid_panels

    world = GridWorld.from_map(CLIFF_MAZE, slip=0.1, step_reward=-0.01, goal_reward=1.0,
                               trap_reward=-1.0, gamma=1.0, horizon=30)  # fmt: skip
    mdp = world.mdp
    start, goal = world.states_with("S")[0], world.states_with("G")[0]
    traps = world.states_with("T")
    table = Table(title=f"Trap row (slip 0.1, H = 30, temperature {temperature}): "
                  "the optimism of the exact posterior")  # fmt: skip
    for col in ("posterior", "its soft V_0(start)", "true expected return",
                "p(goal by H)", "p(trap by H)"):  # fmt: skip
        table.add_column(col, justify="right")
    sols = {}
    for backup in ("variational", "optimistic"):
        sol = sols[backup] = soft_backward(mdp, temperature, backup)
        true = policy_marginals(mdp, sol.policy)  # the policy run in the real dynamics
        ret = (true.state_action * mdp.reward).sum()
        p_goal, p_trap = true.state[-1, goal], true.state[-1, traps].sum()
        table.add_row(backup, f"{sol.V[0, start]:.3f}", f"{ret:.3f}", f"{p_goal:.3f}",
                      f"{p_trap:.3f}")  # fmt: skip
    console.print(table)
    var, opt = sols["variational"], sols["optimistic"]
    live = (~mdp.terminal)[:, None]  # no arrows where no action is taken
    log_z = log_evidence(mdp, temperature)
    bound = elbo(mdp, var.policy, temperature)
    console.print(f"log p(O_0:H) = {log_z:.2f}  >=  ELBO(variational policy) = {bound:.2f}  "
                  "(the gap is the optimism the variational posterior removes)")  # fmt: skip

    panels = [
        (var.V[0], var.policy[0] * live, "variational: soft V_0 and pi_0(a|s)"),
        (opt.V[0], opt.policy[0] * live, "optimistic (exact posterior): soft V_0 and pi_0(a|s)"),
    ]
    plot_grid_panels(world, panels, out / "demo_gridworld.png",
                     marginals=posterior_marginals(mdp, var).state, times=(0, 5, 10, 30),
                     marginals_title="variational p(s_t|O)")  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    """Run the demo; pictures go to ``--out`` (default ``out/``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("out"), help="folder for the PNGs")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    console = Console()
    sutton_barto_section(console, args.out)
    maze_section(console, args.out)
    console.print(f"Pictures: {args.out / 'demo_sutton_barto.png'}, "
                  f"{args.out / 'demo_gridworld.png'}")  # fmt: skip
    console.print(f"Gallery, more results of the seeds, each with its script: {gallery_location()}")


def gallery_location() -> str:
    """Where the gallery is: docs/gallery.md of the source checkout as an absolute path (a
    relative hint for an installed package); its scripts write out/gallery/<name>.png."""
    checkout = Path(__file__).resolve().parents[2] / "docs" / "gallery.md"
    where = str(checkout) if checkout.exists() else "docs/gallery.md in the softrl repository"
    return f"{where} (run any entry with python examples/<name>.py; pictures in out/gallery/)"


if __name__ == "__main__":
    main()
