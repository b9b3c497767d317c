"""SAC env steps/s of one checkout, for before/after comparisons of a refactor (issue 11).

Run it alternately against two source trees in one shell loop, so that the shared machine's
noise hits both alike (see bench/RESULTS.md, "Agent skeleton"):

    git worktree add /tmp/softrl_before <commit before>
    for r in 1 2 3 4 5 6; do
      PYTHONPATH=src .venv/bin/python bench/sac_refactor_check.py 1 1500
      PYTHONPATH=/tmp/softrl_before/src .venv/bin/python bench/sac_refactor_check.py 1 1500
    done

Arguments: torch threads, timed steps (after 300 warm-up steps). Prints steps/s. The
hyperparameters are bench/sac.py's (Pendulum-v1, 256x256, batch 256, one gradient step per
env step).
"""

import sys
import time

from softrl.agents import SAC


def main() -> None:
    threads, steps = int(sys.argv[1]), int(sys.argv[2])
    agent = SAC("Pendulum-v1", seed=0, hidden_sizes=(256, 256), torch_threads=threads,
                log_every=10**9, learning_rate=3e-4, buffer_size=1_000_000, batch_size=256,
                gamma=0.99, tau=0.005, learning_starts=100, gradient_steps=1,
                checkpoint_every=0)
    agent.learn(300)
    start = time.perf_counter()
    agent.learn(steps)
    print(f"{steps / (time.perf_counter() - start):.1f}")


if __name__ == "__main__":
    main()
