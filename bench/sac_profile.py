"""Where one SAC env step's time goes on this CPU (issue 19, target 5), in situ.

    .venv/bin/python bench/sac_profile.py [--threads 1] [--warmup 1500] [--steps 300]

After ``--warmup`` env steps of Pendulum-v1 with the bench's hyperparameters
(``bench/sac.py``: 256x256, batch 256, one gradient step per env step), it times ``--steps``
further steps three ways, in one process:

1. the whole step (acting, env, replay, update), and the update alone;
2. every oneDNN matmul of the hand-written update, timed inside the loop (so with the caches
   the rest of the step leaves), by shape, against the same call repeated on resident
   operands;
3. the update with every oneDNN matmul replaced by a constant of its shape: the time of
   everything else (elementwise tails, small matmuls, Adam, Python). It trains on garbage,
   so it comes last.

Only the float32 CPU path that uses oneDNN (AMD CPUs with AVX-512) has oneDNN calls to
time; elsewhere parts 2 and 3 report none.
"""

from __future__ import annotations

import argparse
import time
import types
from collections import Counter
from collections.abc import Callable

import torch

import softrl.nn.manual as manual
from softrl.agents import SAC

COMMON = {"learning_rate": 3e-4, "buffer_size": 1_000_000, "batch_size": 256, "gamma": 0.99,
          "tau": 0.005, "learning_starts": 100, "gradient_steps": 1}


def per_call_us(fn: Callable[[], object], n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n * 1e6


def with_ops(mkldnn: object, fn: Callable[[], object]) -> None:
    """Run ``fn`` with ``softrl.nn.manual`` seeing ``torch.ops.mkldnn`` as ``mkldnn``."""
    view = types.SimpleNamespace(**{k: getattr(torch, k) for k in dir(torch)
                                    if not k.startswith("__")})
    view.ops = types.SimpleNamespace(mkldnn=mkldnn, aten=torch.ops.aten)
    real, manual.torch = manual.torch, view  # type: ignore[assignment]
    try:
        fn()
    finally:
        manual.torch = real


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--warmup", type=int, default=1500)
    p.add_argument("--steps", type=int, default=300)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    agent = SAC("Pendulum-v1", seed=0, hidden_sizes=(256, 256), torch_threads=args.threads,
                log_every=10**9, **COMMON)
    agent.learn(args.warmup, progress_bar=False)
    n = args.steps
    step_us = per_call_us(agent._train_iteration, n)
    batch = agent.buffer.sample(256, agent.rngs.torch)
    update_us = per_call_us(lambda: agent.train_step(batch), n)
    print(f"CPU capability {torch.backends.cpu.get_cpu_capability()}, vendor "
          f"{manual.cpu_vendor() or '?'}, matmul kernel {manual.matmul_backend()}, "
          f"{args.threads} thread(s)")
    print(f"whole env step {step_us:8.0f} us   update alone (one batch) {update_us:8.0f} us")

    op = torch.ops.mkldnn._linear_pointwise
    spent: Counter = Counter()
    calls: Counter = Counter()
    operands: dict = {}

    class Timed:
        @staticmethod
        def _linear_pointwise(x, w, b, *rest):
            start = time.perf_counter()
            out = op(x, w, b, *rest)
            key = (tuple(x.shape), tuple(w.shape), x.is_contiguous(), b is not None)
            spent[key] += time.perf_counter() - start
            calls[key] += 1
            operands.setdefault(key, (x.clone(), w.clone(), None if b is None else b.clone(),
                                      rest))
            return out

    with_ops(Timed, lambda: [agent._train_iteration() for _ in range(n)])
    total = sum(spent.values()) / n * 1e6
    print(f"\noneDNN matmuls in the loop: {total:.0f} us a step ({sum(calls.values()) // n} "
          "calls)")
    print("  rows x in -> out, input contiguous, bias | calls/step | in situ us | resident us"
          " | GFLOP/s in situ")
    for key in sorted(spent, key=lambda k: -spent[k]):
        (m, k_in), (k_out, _), contiguous, bias = key
        situ = spent[key] / calls[key] * 1e6
        x, w, b, rest = operands[key]
        resident = per_call_us(lambda x=x, w=w, b=b, rest=rest: op(x, w, b, *rest), 100)
        gflops = 2 * m * k_in * k_out / situ / 1e3
        print(f"  {m:4d} x {k_in:3d} -> {k_out:3d}  {contiguous!s:5s} {bias!s:5s} "
              f"{calls[key] // n:3d} {situ:8.0f} {resident:8.0f} {gflops:8.0f}")

    constants: dict = {}

    class Constant:
        @staticmethod
        def _linear_pointwise(x, w, b, *rest):
            key = (x.shape[0], w.shape[0])
            if key not in constants:
                constants[key] = torch.full(key, 0.01)
            return constants[key]

    times: list[float] = []
    with_ops(Constant, lambda: times.append(per_call_us(lambda: agent.train_step(batch), n)))
    print(f"\nthe update with the oneDNN matmuls replaced by constants: {times[0]:.0f} us "
          "(everything but those matmuls)")


if __name__ == "__main__":
    main()
