"""IRL as a GAN on a gridworld: AIRL's discriminator and the reward it recovers (seed 004).

AIRL's discriminator D = exp(f) / (exp(f) + pi(a|s)) with f(s, a, s') = g(s) + gamma h(s') -
h(s) is fitted (tabular g and h, L-BFGS on the logistic loss) to transitions of a soft-optimal
expert against those of the generator at the game's fixed point (the expert itself), all
sampled through the Gymnasium wrapper FiniteMDPEnv. On a deterministic 5 x 5 grid with a random
state reward (gamma 0.9, T = 1), f approaches the soft advantage log pi_E = Q* - V*, and g the
true reward up to shaping: the EPIC distance (softrl.irl.epic_distance) falls with the number of
demonstrated episodes. Panels: true reward, recovered g (shifted to the true mean), f against
the exact advantage, EPIC against the number of episodes.

    python examples/airl_gridworld.py            # out/gallery/airl_gridworld.png
    python examples/airl_gridworld.py --quick
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

from softrl.envs import FiniteMDPEnv, gridworld
from softrl.inference import occupancy, soft_backward
from softrl.irl import epic_distance
from softrl.irl.deep import env_trajectories, fit_tabular_airl

GAMMA = 0.9


def transitions(env, policy, episodes: int, seed: int):
    """Distinct (s, a, s', done) with their counts (the sample mean as a weighted mean)."""
    st, ac, te = env_trajectories(env, policy, episodes, seed)
    m = ac >= 0
    rows = np.stack([st[:, :-1][m], ac[m], st[:, 1:][m], te[m]], 1).astype(np.int64)
    uniq, counts = np.unique(rows, axis=0, return_counts=True)
    return tuple(uniq.T), counts.astype(float)


def main(out_dir: str | Path = "out/gallery", quick: bool = False) -> dict[str, float]:
    from softrl.plot._mpl import pyplot

    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    reward = rng.normal(size=25)
    world = gridworld(5, slip=0.0, gamma=GAMMA, reward=reward)
    mdp = world.mdp
    sol = soft_backward(mdp, temperature=1.0)
    advantage = sol.Q - sol.V[:, None]
    env = FiniteMDPEnv(mdp, max_episode_steps=10)
    S, A = mdp.shape
    nxt = mdp.transitions.toarray().reshape(S, A, S).argmax(-1)
    s_all = np.repeat(np.arange(S), A)
    w_occ = occupancy(mdp, sol.policy)

    sizes = [500, 6000] if quick else [250, 500, 1000, 2000, 4000, 8000, 16000]
    epics, fits = [], {}
    for n in sizes:
        (expert, we), (generator, wg) = (transitions(env, sol.policy, n, 0),
                                         transitions(env, sol.policy, n, 100_000))
        fit = fit_tabular_airl(S, expert, generator, np.log(sol.policy), GAMMA, we, wg)
        epics.append(epic_distance(fit.g, reward, mdp))
        fits[n] = fit
    best = fits[sizes[-1]]
    f = best.f(s_all, nxt.ravel()).reshape(S, A)
    rms = float(np.sqrt((w_occ * (f - advantage) ** 2).sum() / w_occ.sum()))
    g_shown = best.g - best.g.mean() + reward.mean()

    plt = pyplot()
    fig, axes = plt.subplots(1, 4, figsize=(17, 4.2), layout="constrained")
    lim = np.abs(reward).max()
    for ax, values, title in ((axes[0], reward, "true reward r(s)"),
                              (axes[1], g_shown, f"AIRL's g(s), {sizes[-1]} episodes\n"
                               f"EPIC distance to r: {epics[-1]:.3f}")):
        im = ax.imshow(world.to_grid(values), cmap="RdBu", vmin=-lim, vmax=lim)
        ax.set_title(title)
        ax.set_xticks([]), ax.set_yticks([])
        fig.colorbar(im, ax=ax, fraction=0.046)
    ax = axes[2]
    size = 200 * w_occ.ravel() / w_occ.max()
    ax.scatter(advantage.ravel(), f.ravel(), s=size + 2, alpha=0.6)
    lo, hi = advantage.min(), advantage.max()
    ax.plot([lo, hi], [lo, hi], "k--", lw=0.8)
    ax.set_xlabel("exact soft advantage Q* - V* = log pi_E")
    ax.set_ylabel("f(s, a, s') = g + gamma h' - h")
    ax.set_title(f"optimal discriminator: f vs advantage\nRMS error {rms:.3f} "
                 "(weighted by occupancy)")
    ax = axes[3]
    ax.loglog(sizes, epics, "o-")
    ax.set_xticks(sizes, [str(n) for n in sizes], rotation=45)
    ax.tick_params(axis="x", which="minor", bottom=False, labelbottom=False)
    ax.set_xlabel("demonstrated episodes (10 steps each)")
    ax.set_ylabel("EPIC distance(g, r)")
    ax.set_title("reward recovered up to shaping")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / "airl_gridworld.png", dpi=110)
    plt.close(fig)
    result = {"epic_largest": float(epics[-1]), "epic_smallest": float(epics[0]),
              "f_rms_error": rms, "discriminator_loss": best.loss}
    for k, v in result.items():
        print(f"{k:>20}: {v:.4f}")
    return result


if __name__ == "__main__":
    main(quick="--quick" in sys.argv[1:])
