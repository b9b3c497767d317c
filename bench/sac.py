"""SAC: softrl side by side with Stable-Baselines3 on Pendulum-v1 (issue 5).

Stable-Baselines3 is not a softrl dependency; the bench runs in its own venv:

    python3 -m venv bench/.venv-sb3
    bench/.venv-sb3/bin/pip install torch==2.13.0
    bench/.venv-sb3/bin/pip install "stable-baselines3==2.9.*"
    bench/.venv-sb3/bin/pip install -e .
    bench/.venv-sb3/bin/pip install sbx-rl       # optional: SBX (JAX, CPU) in the speed table

Then

    bench/.venv-sb3/bin/python bench/sac.py speed            # steps/s, ratios, FLOP floor
    bench/.venv-sb3/bin/python bench/sac.py learn --agent softrl --seeds 0 1 2
    bench/.venv-sb3/bin/python bench/sac.py learn --agent sb3 --seeds 0 1 2
    bench/.venv-sb3/bin/python bench/sac.py plot             # bench/sac_learning_curve.png

Both agents get identical hyperparameters: 256x256 MLPs, batch 256, learning rate 3e-4,
buffer 1e6, gamma 0.99, tau 0.005, 100 random steps, one gradient step per env step, learned
temperature (initial 1, target entropy -1). ``speed`` alternates the agents (softrl, SB3 and,
when installed, SBX) in chunks in one process so that the shared machine's noise hits all alike;
``speed --isolated`` gives each agent its own process (no caches, allocator or thread pools
shared with the others: SBX's XLA pool in particular) and still takes the chunks in turn.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch

from softrl.agents import SAC
from softrl.training import evaluate_policy

ENV = "Pendulum-v1"
HIDDEN = 256
BATCH = 256
RUNS = Path(__file__).parent / "sac_runs"
SOFTRL_VARIANTS = ("softrl", "softrl_onednn", "softrl_blas", "softrl_ieee", "softrl_autograd")
FORCED_KERNEL = {"softrl_onednn": "onednn", "softrl_blas": "blas"}  # the rest: "auto"
COMMON = {"learning_rate": 3e-4, "buffer_size": 1_000_000, "batch_size": BATCH, "gamma": 0.99,
          "tau": 0.005, "learning_starts": 100, "gradient_steps": 1}


def make_softrl(seed: int, threads: int) -> SAC:
    return SAC(ENV, seed=seed, hidden_sizes=(HIDDEN, HIDDEN), torch_threads=threads,
               log_every=10**9, **COMMON)


def make_sb3(seed: int):
    from stable_baselines3 import SAC as SB3SAC

    return SB3SAC("MlpPolicy", ENV, seed=seed, verbose=0, train_freq=1,
                  policy_kwargs={"net_arch": [HIDDEN, HIDDEN]}, ent_coef="auto", **COMMON)


def update_flops(obs_dim: int, act_dim: int, hidden: int, batch: int, sb3: bool) -> float:
    """Matmul FLOPs of one SAC gradient step (2 per multiply-add; forward = 1 pass, backward
    = weight-gradient and input-gradient passes). softrl skips the critic weight gradients of
    the actor loss; Stable-Baselines3 computes them and throws them away."""
    def layers(d_in: int, d_out: int) -> list[tuple[int, int]]:
        return [(d_in, hidden), (hidden, hidden), (hidden, d_out)]

    def fwd(ls):
        return sum(2 * batch * i * o for i, o in ls)

    def wgrad(ls):
        return fwd(ls)

    def xgrad(ls):  # the input gradient of the first layer is not needed
        return fwd(ls[1:])

    actor, critic = layers(obs_dim, 2 * act_dim), layers(obs_dim + act_dim, 1)
    total = fwd(actor)                        # a~ ~ pi(.|s)
    total += fwd(actor) + 2 * fwd(critic)     # a' ~ pi(.|s'), target Q(s', a') x2
    total += 2 * (fwd(critic) + wgrad(critic) + xgrad(critic))  # critic loss, x2 heads
    total += 2 * (fwd(critic) + xgrad(critic))  # Q(s, a~) for the actor loss, x2 heads
    total += 2 * 2 * batch * hidden * act_dim  # dQ/da~ through the first critic layer, x2
    total += wgrad(actor) + xgrad(actor)      # actor backward
    if sb3:
        total += 2 * wgrad(critic)            # wasted critic weight gradients of the actor loss
    return float(total)


def matmul_flops_per_s(threads: int, n: int = 256, repeats: int = 200,
                       kernel: str = "mkl") -> float:
    """Measured FLOP/s of the dominant matmul shape (n x n @ n x n) at ``threads`` threads, by
    process CPU time (steadier than the wall clock on a busy machine; at one thread the two
    agree when the machine is quiet). ``kernel``: "mkl" is torch's BLAS (``torch.mm``, what
    autograd and Stable-Baselines3 use), "onednn" the oneDNN kernel of softrl's SAC update."""
    torch.set_num_threads(threads)
    a, b = torch.randn(n, n), torch.randn(n, n)
    if kernel == "onednn":
        def f():
            torch.ops.mkldnn._linear_pointwise(a, b, None, "none", [], "")
    else:
        def f():
            torch.mm(a, b)
    for _ in range(20):
        f()
    best = float("inf")
    for _ in range(5):
        start = time.process_time()
        for _ in range(repeats // 5):
            f()
        best = min(best, (time.process_time() - start) / (repeats // 5))
    return 2 * n**3 / best


def make_sbx(seed: int):
    from sbx import SAC as SBXSAC

    return SBXSAC("MlpPolicy", ENV, seed=seed, verbose=0, train_freq=1,
                  policy_kwargs={"net_arch": [HIDDEN, HIDDEN]}, ent_coef="auto", **COMMON)


def speed(args: argparse.Namespace) -> None:
    """Env steps/s of learn() for every agent, in chunks taken in turn, at each thread count.

    Each chunk is timed by the wall clock and by the process's CPU time; the report gives, per
    agent, the median and best chunk (wall steps/s) and the median steps per CPU second (what a
    busy machine distorts least, meaningful at one thread). SBX (JAX) runs at XLA's own thread
    count unless ``--sbx-threads 1`` (set before JAX starts). The FLOP floor is the update's
    matmul FLOPs over the CPU-time FLOP/s of a 256^3 matmul with the agent's kernel (softrl's
    choice by the CPU, see ``softrl.nn.manual.set_matmul_backend``; torch's BLAS for SB3;
    XLA's for SBX is not measured, so SBX's row uses the BLAS rate); ``fraction_of_floor``
    compares it with steps per CPU second.
    """
    import os

    if args.sbx_threads == 1:
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "")
                                   + " --xla_cpu_multi_thread_eigen=false").strip()
    load_start = os.getloadavg()
    keys = [(name, threads) for threads in args.threads
            for name in SOFTRL_VARIANTS + ("sb3",) if name in args.agents]
    if "sbx" in args.agents:
        keys.append(("sbx", args.sbx_threads))
    if args.isolated:  # one process per agent, driven in turn through a pipe
        workers = {key: _IsolatedAgent(key) for key in keys}
        agents = {key: w for key, w in workers.items() if w.ok}
        run = lambda key, n: agents[key].run(n)  # noqa: E731
    else:
        agents = {}
        for key in keys:
            try:
                agents[key] = _make_agent(key)
            except ImportError as err:  # SBX not installed in this venv
                print(f"SBX skipped: {err}")
        run = lambda key, n: _run_chunk(agents[key], key, n)  # noqa: E731
    wall = {key: [] for key in agents}
    cpu = {key: [] for key in agents}

    for key in agents:  # warm-up: past learning_starts and the denormals' build-up, JIT warm
        run(key, args.warmup)
    for _ in range(args.rounds):
        for key in agents:
            w, c = run(key, args.chunk)
            wall[key].append(args.chunk / w)
            cpu[key].append(args.chunk / c)
    med = {key: float(np.median(v)) for key, v in wall.items()}
    from softrl.nn.manual import matmul_backend, onednn_available

    mm = {t: matmul_flops_per_s(t) for t in args.threads}
    mm_onednn = {t: matmul_flops_per_s(t, kernel="onednn") if onednn_available() else mm[t]
                 for t in args.threads}
    kernel = {"softrl": matmul_backend(), "softrl_ieee": matmul_backend(), **FORCED_KERNEL}
    flops = {name: update_flops(3, 1, HIDDEN, BATCH, sb3=False) for name in SOFTRL_VARIANTS}
    flops.update(sb3=update_flops(3, 1, HIDDEN, BATCH, sb3=True),
                 sbx=update_flops(3, 1, HIDDEN, BATCH, sb3=True))
    rows = []
    for (name, threads) in sorted(agents):
        row = {"agent": name, "threads": threads or "xla default",
               "steps_per_s_median": round(med[(name, threads)], 1),
               "steps_per_s_best": round(max(wall[(name, threads)]), 1),
               "steps_per_cpu_s_median": round(float(np.median(cpu[(name, threads)])), 1),
               "update_mflop": round(flops[name] / 1e6, 1)}
        if threads in mm:
            rate = (mm_onednn if kernel.get(name) == "onednn" else mm)[threads]
            row["matmul_kernel"] = "onednn" if kernel.get(name) == "onednn" else "blas"
            floor = rate / flops[name]
            row.update({"matmul_gflop_per_cpu_s": round(rate / 1e9, 1),
                        "flop_floor_steps_per_cpu_s": round(floor, 1),
                        "fraction_of_floor": round(row["steps_per_cpu_s_median"] / floor, 2)})
        rows.append(row)

    def best(name):
        values = [v for (n, _), v in med.items() if n == name]
        return max(values) if values else None

    report = {"rows": rows, "chunks_per_agent": args.rounds, "chunk_steps": args.chunk,
              "load_average_start": [round(x, 2) for x in load_start],
              "load_average_end": [round(x, 2) for x in os.getloadavg()]}
    if best("softrl") and best("sb3"):
        report["ratio_softrl_vs_sb3_best_median"] = round(best("softrl") / best("sb3"), 2)
        report["ratio_softrl_vs_sb3_same_threads"] = {
            t: round(med[("softrl", t)] / med[("sb3", t)], 2) for t in args.threads}
        report["ratio_softrl_vs_sb3_cpu_s_same_threads"] = {
            t: round(float(np.median(cpu[("softrl", t)]) / np.median(cpu[("sb3", t)])), 2)
            for t in args.threads}
    if best("softrl") and best("sbx"):
        report["ratio_softrl_vs_sbx_best_median"] = round(best("softrl") / best("sbx"), 2)
    if best("softrl_autograd") and best("sb3"):
        report["ratio_softrl_autograd_vs_sb3_cpu_s_same_threads"] = {
            t: round(float(np.median(cpu[("softrl_autograd", t)])
                           / np.median(cpu[("sb3", t)])), 2) for t in args.threads}
    if best("sbx") and best("sb3"):
        report["ratio_sbx_vs_sb3_best_median"] = round(best("sbx") / best("sb3"), 2)
    report["isolated"] = bool(args.isolated)
    if args.isolated:
        for w in agents.values():
            w.close()
    print(json.dumps(report, indent=2))


def _make_agent(key):
    name, threads = key
    torch.set_num_threads(max(threads, 1))
    if name == "sbx":
        return make_sbx(0)
    if name == "sb3":
        return make_sb3(0)
    agent = make_softrl(0, threads)
    if name == "softrl_autograd":  # the reference path: the update before issue 19
        agent.manual_update = False
    if name == "softrl_ieee":  # the hand-written update with IEEE denormals kept
        agent.flush_denormals = False
    return agent


def _run_chunk(agent, key, n: int) -> tuple[float, float]:
    """Wall and CPU seconds of ``n`` more env steps of ``learn``."""
    torch.set_num_threads(max(key[1], 1))
    if key[0].startswith("softrl"):  # softrl_onednn / softrl_blas force the matmul kernel
        from softrl.nn.manual import set_matmul_backend

        set_matmul_backend(FORCED_KERNEL.get(key[0], "auto"))
    start, start_cpu = time.perf_counter(), time.process_time()
    if key[0].startswith("softrl"):
        agent.learn(n)
    else:
        agent.learn(n, reset_num_timesteps=False)
    return time.perf_counter() - start, time.process_time() - start_cpu


def _agent_worker(key, conn) -> None:
    """``--isolated``: build one agent in this fresh process (which inherits the parent's
    XLA_FLAGS), then time chunks on request."""
    try:
        agent = _make_agent(tuple(key))
    except ImportError as err:
        conn.send(("skip", str(err)))
        return
    conn.send(("ok", None))
    while (n := conn.recv()) is not None:
        conn.send(_run_chunk(agent, tuple(key), n))


class _IsolatedAgent:
    """One agent in its own process (``multiprocessing`` spawn): no caches, allocator or
    thread pools shared with the other agents; the parent still takes the chunks in turn."""

    def __init__(self, key) -> None:
        import multiprocessing as mp

        ctx = mp.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_agent_worker, args=(key, child))
        self.proc.start()
        status, err = self.conn.recv()
        self.ok = status == "ok"
        if not self.ok:
            print(f"{key[0]} skipped: {err}")
            self.proc.join()

    def run(self, n: int) -> tuple[float, float]:
        self.conn.send(n)
        return self.conn.recv()

    def close(self) -> None:
        self.conn.send(None)
        self.proc.join()


def learn(args: argparse.Namespace) -> None:
    """Train ``args.agent`` for ``args.steps`` steps per seed; evaluate every ``eval_every``."""
    runs = Path(args.runs_dir)
    runs.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(args.torch_threads)
    for seed in args.seeds:
        eval_env = gym.make(ENV)
        out = runs / f"{args.agent}_seed{seed}.csv"
        rows = []
        if args.agent == "softrl":
            agent = make_softrl(seed, args.torch_threads)
            act = lambda o, agent=agent: agent.act(o, deterministic=True)  # noqa: E731
        else:
            agent = make_sb3(seed)
            act = lambda o, agent=agent: agent.predict(o, deterministic=True)[0]  # noqa: E731
        start = time.perf_counter()
        done = 0
        while done < args.steps:
            if args.agent == "softrl":
                agent.learn(args.eval_every)
            else:
                agent.learn(args.eval_every, reset_num_timesteps=done == 0)
            done += args.eval_every
            result = evaluate_policy(act, eval_env, args.eval_episodes, seed=10_000)
            rows.append({"step": done, "mean_return": result["mean_return"],
                         "std_return": result["std_return"],
                         "wall_s": round(time.perf_counter() - start, 1)})
            with out.open("w", newline="") as f:
                writer = csv.DictWriter(f, fieldnames=list(rows[0]))
                writer.writeheader()
                writer.writerows(rows)
            print(f"{args.agent} seed {seed} step {done}: {result['mean_return']:.1f}",
                  flush=True)
        final = evaluate_policy(act, eval_env, args.final_episodes, seed=20_000)
        (runs / f"{args.agent}_seed{seed}_final.json").write_text(json.dumps(
            {"seed": seed, "steps": args.steps, "wall_s": time.perf_counter() - start,
             **final}, indent=2))
        print(f"{args.agent} seed {seed} final: {final['mean_return']:.1f}", flush=True)


def plot(args: argparse.Namespace) -> None:
    """Mean and range over seeds of the evaluation return, both agents, one PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    summary = {}
    for agent, color in (("softrl", "C0"), ("sb3", "C1")):
        curves = []
        finished = sorted(RUNS.glob(f"{agent}_seed*_final.json"))
        for path in [p.with_name(p.name.replace("_final.json", ".csv")) for p in finished]:
            with path.open() as f:
                rows = list(csv.DictReader(f))
            curves.append(([int(r["step"]) for r in rows], [float(r["mean_return"])
                                                            for r in rows]))
        if not curves:
            continue
        n = min(len(s) for s, _ in curves)
        steps = np.array(curves[0][0][:n])
        values = np.array([v[:n] for _, v in curves])
        label = "softrl SAC" if agent == "softrl" else "Stable-Baselines3 SAC"
        ax.plot(steps, values.mean(0), color=color, label=f"{label} ({len(curves)} seeds)")
        ax.fill_between(steps, values.min(0), values.max(0), color=color, alpha=0.2)
        finals = [json.loads(p.read_text())["mean_return"] for p in finished]
        summary[agent] = {"final_mean_returns": [round(x, 1) for x in finals],
                          "mean": round(float(np.mean(finals)), 1) if finals else None}
    ax.axhline(-200, color="gray", lw=0.8, ls="--")
    ax.set_xlabel("environment steps")
    ax.set_ylabel("evaluation return (5 episodes, deterministic)")
    ax.set_title("SAC on Pendulum-v1: mean and min-max over seeds")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    out = Path(__file__).parent / "sac_learning_curve.png"
    fig.savefig(out, dpi=80)
    print(json.dumps(summary, indent=2))
    print(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("speed", help="steps/s side by side")
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--warmup", type=int, default=2000,
                   help="env steps per agent before timing: past ~1,000 updates Adam's first "
                        "moments of dead ReLU units reach the denormal range, the steady state "
                        "of a run (bench/RESULTS.md, issue 19 fourth pass)")
    p.add_argument("--chunk", type=int, default=300)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--agents", nargs="+", choices=[*SOFTRL_VARIANTS, "sb3", "sbx"],
                   default=["softrl", "sb3", "sbx"],
                   help="softrl_onednn / softrl_blas: softrl with the matmul kernel forced "
                        "(softrl itself picks it by the CPU); softrl_ieee: softrl with CPU "
                        "denormals kept (not flushed); softrl_autograd: the update by autograd")
    p.add_argument("--sbx-threads", type=int, choices=[0, 1], default=0,
                   help="0: XLA's default thread pool; 1: one thread")
    p.add_argument("--isolated", action="store_true",
                   help="each agent in its own process (chunks still taken in turn)")
    p.set_defaults(func=speed)
    p = sub.add_parser("learn", help="learning runs with periodic evaluation")
    p.add_argument("--agent", choices=["softrl", "sb3"], required=True)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--steps", type=int, default=20_000)
    p.add_argument("--eval-every", type=int, default=1000)
    p.add_argument("--eval-episodes", type=int, default=5)
    p.add_argument("--final-episodes", type=int, default=10)
    p.add_argument("--torch-threads", type=int, default=1)
    p.add_argument("--runs-dir", default=str(RUNS), help="where the CSV and JSON files go")
    p.set_defaults(func=learn)
    p = sub.add_parser("plot", help="learning-curve PNG from the learn runs")
    p.set_defaults(func=plot)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
