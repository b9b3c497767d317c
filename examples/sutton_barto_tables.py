"""Sutton & Barto's gridworld tables (seed 001) next to the book's.

The values of the equiprobable random policy (Figure 3.2, by an exact sparse solve of
V = r_pi + gamma P_pi V) and the optimal values (Figure 3.5, soft_backward at T = 0, i.e. value
iteration), with the book's one-decimal numbers beside them and the optimal policy's arrows
(ties split, as the book draws them).

    python examples/sutton_barto_tables.py   # out/gallery/sutton_barto_tables.png and .md
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from softrl.demo import BOOK_OPTIMAL, BOOK_RANDOM  # Figures 3.2 and 3.5, Sutton & Barto (2018)
from softrl.envs import sutton_barto_gridworld
from softrl.inference import soft_backward
from softrl.planning import policy_evaluation
from softrl.plot import plot_grid_values
from softrl.plot._mpl import pyplot


def tables() -> dict[str, np.ndarray]:
    """softrl's two tables, the book's, and the optimal policy (ties split), as (5, 5) grids."""
    mdp = sutton_barto_gridworld()
    V_random, _ = policy_evaluation(mdp, np.full(mdp.shape, 0.25))
    hard = soft_backward(mdp, temperature=0.0)  # value iteration
    return {"random": V_random.reshape(5, 5), "optimal": hard.V.reshape(5, 5),
            "book_random": BOOK_RANDOM, "book_optimal": BOOK_OPTIMAL,
            "optimal_policy": hard.policy}


def markdown(ours: np.ndarray, book: np.ndarray, title: str) -> str:
    """A markdown table with 'softrl (book)' in each cell."""
    rows = [f"**{title}** (max |softrl - book| = {np.abs(ours - book).max():.3f})", "",
            "| " + " | ".join(f"col {c}" for c in range(5)) + " |", "|---" * 5 + "|"]
    for r in range(5):
        rows.append("| " + " | ".join(f"{o:.2f} ({b:.1f})" for o, b in
                                      zip(ours[r], book[r], strict=True)) + " |")
    return "\n".join(rows) + "\n"


def main(out_dir: str | Path = "out/gallery", fast: bool = False) -> dict[str, float]:
    """Write the picture and the markdown tables; return the largest differences to the book.

    ``fast`` changes nothing (the whole script takes well under a second).
    """
    t = tables()
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.6))
    for ax, key, name, policy in ((axes[0], "random", "Figure 3.2: random policy", None),
                                  (axes[1], "optimal", "Figure 3.5: optimal", t["optimal_policy"])):
        ours, book = t[key], t[f"book_{key}"]
        plot_grid_values((5, 5), ours.ravel(), policy, ax=ax, colorbar=False,
                         title=f"{name}\nsoftrl (book), max diff {np.abs(ours - book).max():.3f}")
        for r in range(5):
            for c in range(5):
                ax.text(c, r + 0.3, f"{ours[r, c]:.1f} ({book[r, c]:.1f})", ha="center",
                        va="center", fontsize=7,
                        bbox=dict(boxstyle="round,pad=0.1", fc="white", alpha=0.7, lw=0))
    fig.suptitle("Sutton & Barto gridworld (gamma = 0.9): softrl next to the book")
    fig.tight_layout()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / "sutton_barto_tables.png", dpi=110)
    plt.close(fig)
    (out / "sutton_barto_tables.md").write_text(
        markdown(t["random"], BOOK_RANDOM, "Figure 3.2, equiprobable random policy") + "\n"
        + markdown(t["optimal"], BOOK_OPTIMAL, "Figure 3.5, optimal values"))
    return {"max_diff_random": float(np.abs(t["random"] - BOOK_RANDOM).max()),
            "max_diff_optimal": float(np.abs(t["optimal"] - BOOK_OPTIMAL).max()),
            "V_A_optimal": float(t["optimal"][0, 1])}


if __name__ == "__main__":
    for key, value in main(*(sys.argv[1:2])).items():
        print(f"{key:>18}: {value:.4g}")
