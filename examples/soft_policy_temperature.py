"""The soft optimal policy turns greedy as the temperature falls (seeds 000, 003).

On Sutton & Barto's gridworld, pi_T(a|s) = exp((Q_T(s, a) - V_T(s)) / T) from soft_backward.
As T -> 0 the mass on sub-optimal actions (Q*(s, a) < V*(s)) vanishes like exp(-gap / T) and
V* <= V_T <= V* + T log|A| / (1 - gamma). Ties between optimal actions are not split evenly:
the soft policy prefers the successor with more (soft) options ahead, the tie-breaking of seed
000.

    python examples/soft_policy_temperature.py   # out/gallery/soft_policy_temperature.png
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from softrl.envs import sutton_barto_gridworld
from softrl.inference import soft_backward
from softrl.plot import plot_grid_values
from softrl.plot._mpl import pyplot

PANEL_TEMPERATURES = (3.0, 0.3, 0.1, 0.01)


def sweep(temperatures: np.ndarray) -> dict[str, np.ndarray]:
    """Per temperature: largest mass on sub-optimal actions, largest and smallest V_T - V*,
    mean policy entropy; plus the policies, the smallest action gap and the hard solution."""
    mdp = sutton_barto_gridworld()
    hard = soft_backward(mdp, 0.0)
    optimal = hard.Q >= hard.V[:, None] - 1e-9
    gap = float(np.where(optimal, np.inf, hard.V[:, None] - hard.Q).min())
    sub, v_hi, v_lo, entropy, policies = [], [], [], [], []
    for T in temperatures:
        sol = soft_backward(mdp, float(T))
        pi = sol.policy
        sub.append((pi * ~optimal).sum(axis=1).max())
        v_hi.append((sol.V - hard.V).max())
        v_lo.append((sol.V - hard.V).min())
        entropy.append(-(pi * np.log(np.maximum(pi, 1e-300))).sum(axis=1).mean())
        policies.append(pi)
    return {"T": np.asarray(temperatures), "suboptimal_mass": np.asarray(sub),
            "V_gap_max": np.asarray(v_hi), "V_gap_min": np.asarray(v_lo),
            "entropy": np.asarray(entropy), "policies": np.asarray(policies), "gap": gap,
            "V_star": hard.V, "optimal": optimal, "gamma": mdp.gamma}


def suboptimal_bound(T: np.ndarray, gap: float, gamma: float, n_actions: int = 4) -> np.ndarray:
    """(A - 1) A^(gamma / (1 - gamma)) exp(-gap / T) >= sum of pi_T over sub-optimal actions.

    From Q_T(s, a) <= Q*(s, a) + gamma T log A / (1 - gamma) and V_T(s) >= V*(s).
    """
    return (n_actions - 1) * n_actions ** (gamma / (1 - gamma)) * np.exp(-gap / T)


def main(out_dir: str | Path = "out/gallery", fast: bool = False) -> dict[str, float]:
    """Sweep T, draw the policies and the curves, return the claim's numbers."""
    temperatures = np.geomspace(10.0, 0.01, 10 if fast else 40)
    temperatures = np.unique(np.concatenate([temperatures, PANEL_TEMPERATURES]))[::-1]
    res = sweep(temperatures)
    T, log_a = res["T"], np.log(4)
    plt = pyplot()
    fig = plt.figure(figsize=(13, 7))
    grid = fig.add_gridspec(2, 4, height_ratios=[1, 0.9])
    for i, Tp in enumerate(PANEL_TEMPERATURES):
        k = int(np.flatnonzero(np.isclose(T, Tp))[0])
        ax = fig.add_subplot(grid[0, i])
        plot_grid_values((5, 5), res["V_star"], res["policies"][k], ax=ax, colorbar=False,
                         title=f"pi_T(a|s), T = {Tp:g}")
    ax = fig.add_subplot(grid[1, :2])
    ax.loglog(T, res["suboptimal_mass"], "o-", ms=3, label="max_s pi_T(sub-optimal actions | s)")
    bound = suboptimal_bound(T, res["gap"], res["gamma"])
    ax.loglog(T, np.minimum(bound, 1.0), "--", color="gray",
              label=f"3 * 4^9 exp(-gap/T), gap = {res['gap']:.3f}")
    ax.set_ylim(1e-16, 2)
    ax.set_xlabel("temperature T")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    ax = fig.add_subplot(grid[1, 2:])
    ax.loglog(T, res["V_gap_max"], "o-", ms=3, label="max_s V_T(s) - V*(s)")
    ax.loglog(T, res["V_gap_min"], "o-", ms=3, label="min_s V_T(s) - V*(s)")
    ax.loglog(T, T * log_a / (1 - res["gamma"]), "--", color="gray",
              label="T log|A| / (1 - gamma)")
    ax.set_xlabel("temperature T")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.suptitle("Sutton & Barto gridworld: the soft-optimal policy turns greedy as T -> 0 "
                 "(heatmap: V*)")
    fig.tight_layout()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / "soft_policy_temperature.png", dpi=100)
    plt.close(fig)
    small = T <= 0.1
    return {"gap": res["gap"], "suboptimal_mass_at_0.01": float(res["suboptimal_mass"][-1]),
            "suboptimal_mass_at_10": float(res["suboptimal_mass"][0]),
            "bound_holds": float(np.all(res["suboptimal_mass"][small] <= bound[small])),
            "value_bound_holds": float(np.all((res["V_gap_min"] >= -1e-9)
                                              & (res["V_gap_max"] <= T * log_a / 0.1 + 1e-9))),
            "entropy_at_0.01": float(res["entropy"][-1])}


if __name__ == "__main__":
    for key, value in main(*(sys.argv[1:2])).items():
        print(f"{key:>24}: {value:.4g}")
