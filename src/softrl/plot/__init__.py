"""Pictures of tabular results: value heatmaps with policy arrows, state marginals."""

from softrl.plot.grid import grid_layout, plot_grid_values, plot_state_marginals

__all__ = ["grid_layout", "plot_grid_values", "plot_state_marginals"]
