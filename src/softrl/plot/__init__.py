"""All of softrl's pictures (matplotlib, imported lazily with the Agg backend): value heatmaps
with policy arrows, state marginals, IRL rewards on a gridworld, learning curves."""

from softrl.plot.bandits import plot_regret
from softrl.plot.curves import DEFAULT_KEYS, plot_runs
from softrl.plot.grid import (
    grid_layout,
    plot_grid_panels,
    plot_grid_values,
    plot_state_marginals,
)
from softrl.plot.irl import plot_irl_gridworld
from softrl.plot.messages import plot_messages

__all__ = [
    "DEFAULT_KEYS",
    "grid_layout",
    "plot_grid_panels",
    "plot_grid_values",
    "plot_irl_gridworld",
    "plot_messages",
    "plot_regret",
    "plot_runs",
    "plot_state_marginals",
]
