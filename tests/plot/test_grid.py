"""Grid plots place each state's value on its cell and draw one arrow set per action."""

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from softrl.envs import GridWorld  # noqa: E402
from softrl.plot import grid_layout, plot_grid_values  # noqa: E402


def test_layout_places_states_row_major_and_skips_walls():
    world = GridWorld.from_map("S.#\n..G")
    layout = grid_layout(world)
    grid = layout.to_grid(np.arange(world.n_states, dtype=float))
    assert np.isnan(grid[0, 2])
    np.testing.assert_array_equal(grid[1], [2.0, 3.0, 4.0])
    np.testing.assert_array_equal(grid_layout((2, 3)).to_grid(np.arange(6.0)),
                                  np.arange(6.0).reshape(2, 3))


def test_plot_draws_image_and_arrows():
    world = GridWorld.from_map("S..\n..G", n_actions=5)
    pi = np.full((world.n_states, 5), 0.2)
    ax = plot_grid_values(world, np.arange(world.n_states, dtype=float), pi, annotate=True,
                          title="t")
    image = ax.images[0].get_array()
    assert image.shape == (2, 3)
    assert len(ax.collections) == 5  # four quivers and the "stay" dots
    assert len(ax.texts) == world.n_states


def test_panels_figure_has_one_axes_per_panel_and_marginal(tmp_path):
    from matplotlib import pyplot as plt

    from softrl.plot import plot_grid_panels

    world = GridWorld.from_map("S..\n..G", n_actions=5)
    S = world.n_states
    values = np.arange(S, dtype=float)
    marginals = np.eye(S)[[0, 1, 2, 3]]  # (H + 1, S): a point mass moving along the states
    before = plt.get_fignums()
    out = plot_grid_panels(world, [(values, None, "a"), (values, np.zeros(S, int), "b")],
                           tmp_path / "sub" / "p.png", marginals=marginals, times=(0, 3),
                           title="both")  # fmt: skip
    assert out == tmp_path / "sub" / "p.png" and out.read_bytes()[:4] == b"\x89PNG"
    assert plt.get_fignums() == before  # the figure is closed
    with pytest.raises(ValueError, match="panels"):
        plot_grid_panels(world, [], tmp_path / "none.png")


def test_integer_stochastic_and_time_indexed_policies_draw_the_same_arrows():
    world = GridWorld.from_map("S..\n..G", n_actions=5)
    S = world.n_states
    actions = np.arange(S) % 5
    one_hot = np.eye(5)[actions]
    values = np.zeros(S)

    def arrows(policy):
        ax = plot_grid_values(world, values, policy)
        return [np.column_stack([c.U, c.V]) for c in ax.collections if hasattr(c, "U")]

    expected = arrows(one_hot)
    for policy in (actions, np.stack([one_hot, np.full((S, 5), 0.2)])):
        for got, want in zip(arrows(policy), expected, strict=True):
            np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError, match=r"actions must lie in \[0, 5\)"):
        plot_grid_values(world, values, np.full(S, 7))
