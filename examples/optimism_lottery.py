"""Optimism: the exact posterior prefers a lottery, the variational one does not (seeds 000,
001).

One decision: a sure reward of 1, or a lottery that pays 5 with probability 0.1 and 0 otherwise
(expected 0.5). Conditioning on optimality, the exact posterior also re-weights the dynamics,
p(jackpot | lottery, O) ∝ 0.1 exp(5 / T): it "believes in luck" and takes the lottery. The
structured variational posterior keeps the true dynamics (Q = r + E[V]) and takes the sure
reward, for every temperature.

    python examples/optimism_lottery.py   # out/gallery/optimism_lottery.png
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from softrl.inference import posterior_marginals, soft_backward
from softrl.mdp import FiniteMDP
from softrl.plot._mpl import pyplot

SURE, JACKPOT, P_WIN = 1.0, 5.0, 0.1
START, SAFE, WIN, LOSE, END = range(5)


def lottery_mdp() -> FiniteMDP:
    """States start, safe, jackpot, bust, end (terminal); 2 actions, H = 2.

    At the start action 0 goes to ``safe``, action 1 to ``jackpot`` w.p. 0.1 and ``bust``
    otherwise; every action elsewhere goes to ``end``. r(safe) = 1, r(jackpot) = 5, else 0,
    paid on the step taken from the state.
    """
    P = np.zeros((5, 2, 5))
    P[START, 0, SAFE] = 1.0
    P[START, 1, WIN], P[START, 1, LOSE] = P_WIN, 1.0 - P_WIN
    P[[SAFE, WIN, LOSE], :, END] = 1.0
    P[END, :, END] = 1.0
    reward = np.array([0.0, SURE, JACKPOT, 0.0, 0.0])
    initial = np.eye(5)[START]
    return FiniteMDP(P, reward=reward, initial=initial, horizon=2, terminal=[END])


def closed_form(T: np.ndarray) -> dict[str, np.ndarray]:
    """p(lottery | start, O) of both posteriors and the exact posterior's p(jackpot | O).

    Both landing states add the same T log 2 (two actions under the improper prior), so
    Q_exact(lottery) - Q(sure) = T log(0.1 e^{5/T} + 0.9) - 1 and
    Q_var(lottery) - Q(sure) = 0.5 - 1.
    """
    exact_adv = T * np.logaddexp(np.log(P_WIN) + JACKPOT / T, np.log(1 - P_WIN)) - SURE
    var_adv = P_WIN * JACKPOT - SURE
    sig = lambda x: 1.0 / (1.0 + np.exp(-x))  # noqa: E731
    return {"exact": sig(exact_adv / T), "variational": sig(var_adv / T),
            "believed_p_win": sig(np.log(P_WIN / (1 - P_WIN)) + JACKPOT / T)}


def sweep(temperatures: np.ndarray) -> dict[str, np.ndarray]:
    """The same quantities from soft_backward and posterior_marginals, per temperature."""
    mdp = lottery_mdp()
    out: dict[str, list[float]] = {"exact": [], "variational": [], "believed_p_win": [],
                                   "return_exact": [], "return_variational": []}
    for T in temperatures:
        for backup, key in (("optimistic", "exact"), ("variational", "variational")):
            sol = soft_backward(mdp, float(T), backup=backup)
            p_lottery = sol.policy[0, START, 1]
            out[key].append(p_lottery)
            out[f"return_{key}"].append((1 - p_lottery) * SURE + p_lottery * P_WIN * JACKPOT)
            if backup == "optimistic":
                state = posterior_marginals(mdp, sol).state[1]  # p(s_1 | O)
                out["believed_p_win"].append(state[WIN] / (state[WIN] + state[LOSE]))
    return {k: np.asarray(v) for k, v in out.items()}


def main(out_dir: str | Path = "out/gallery", fast: bool = False) -> dict[str, float]:
    """Sweep the temperature, draw both posteriors' choices; return the numbers at T = 1."""
    temperatures = np.geomspace(0.1, 30.0, 12 if fast else 60)
    temperatures = np.unique(np.append(temperatures, 1.0))
    res = sweep(temperatures)
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    ax = axes[0]
    ax.semilogx(temperatures, res["exact"], lw=2, label="exact posterior (optimistic backup)")
    ax.semilogx(temperatures, res["variational"], lw=2, label="variational posterior")
    ax.semilogx(temperatures, res["believed_p_win"], "--",
                label="exact posterior's p(jackpot | lottery, O)")
    ax.axhline(P_WIN, color="gray", lw=0.8, ls=":", label="true p(jackpot) = 0.1")
    ax.set_xlabel("temperature T")
    ax.set_ylabel("p(lottery | start, O)")
    ax.set_title("sure 1, or 5 with probability 0.1", fontsize=10)
    ax.legend(fontsize=8)
    ax = axes[1]
    ax.semilogx(temperatures, res["return_exact"], lw=2, label="exact posterior's policy")
    ax.semilogx(temperatures, res["return_variational"], lw=2,
                label="variational posterior's policy")
    ax.set_xlabel("temperature T")
    ax.set_ylabel("true expected return")
    ax.legend(fontsize=8)
    fig.tight_layout()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / "optimism_lottery.png", dpi=110)
    plt.close(fig)
    i = int(np.flatnonzero(temperatures == 1.0)[0])
    return {"p_lottery_exact_T1": float(res["exact"][i]),
            "p_lottery_variational_T1": float(res["variational"][i]),
            "believed_p_win_T1": float(res["believed_p_win"][i]),
            "return_exact_T1": float(res["return_exact"][i]),
            "return_variational_T1": float(res["return_variational"][i]),
            "max_p_lottery_variational": float(res["variational"].max())}


if __name__ == "__main__":
    for key, value in main(*(sys.argv[1:2])).items():
        print(f"{key:>26}: {value:.4g}")
