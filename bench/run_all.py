"""One command for every figure of ``bench/RESULTS.md``: ``make bench`` (or ``make bench QUICK=1``
for a smoke run of everything with tiny budgets).

The driver

1. creates the peers' venvs when missing, never touching the project's ``.venv``:
   ``bench/.venv-imitation`` (imitation 1.0.1, which pins gymnasium 0.29; softrl ``--no-deps``),
   ``bench/.venv-sb3`` (Stable-Baselines3 2.9.x, softrl, and SBX when it installs) and
   ``bench/.venv-bandits`` (SMPyBandits 0.9.7, softrl ``--no-deps``); a venv counts as ready
   when its python imports the modules the benches need, so one made by hand is reused;
2. measures the machine (``bench/machine.py``: CPU, cores, copy bandwidth, GEMM FLOP/s, load);
3. runs every bench of ``BENCHES`` with the venv it needs, each command under a wall-clock cap,
   its output in ``bench/out/NAME-K.log``; a bench that fails or runs past its cap is reported
   as such in its block, and the run goes on;
4. rewrites the generated blocks of ``bench/RESULTS.md``, each between
   ``<!-- bench:auto NAME begin -->`` and ``<!-- bench:auto NAME end -->``: the machine, the
   commands table and one block per bench with the summary the bench wrote to
   ``bench/out/NAME-K.md`` (``bench/summary.py``), or the tail of its output where it wrote
   none. Text outside the markers is never touched.

    .venv/bin/python bench/run_all.py --list                 # the benches and their venvs
    .venv/bin/python bench/run_all.py --dry-run --quick      # the commands, nothing run
    .venv/bin/python bench/run_all.py --quick                # smoke run, a few minutes
    .venv/bin/python bench/run_all.py --only softq pg        # some benches, full budgets
    .venv/bin/python bench/run_all.py --table-only           # after editing BENCHES
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
RESULTS = BENCH / "RESULTS.md"
SUMMARY_ENV = "SOFTRL_BENCH_SUMMARY"


# ----------------------------------------------------------------------------- venvs


@dataclass(frozen=True)
class Venv:
    """A python environment for benches: ``path`` relative to the repository root, the pip
    installs that create it (in order), the modules that must import for it to count as ready
    (third-party ones and the bare ``softrl`` package: a bench broken by a source edit fails
    in its own run, it does not make the driver reinstall the venv), and installs whose failure
    is reported but tolerated."""

    name: str
    path: str
    installs: tuple[tuple[str, ...], ...] = ()
    imports: tuple[str, ...] = ()
    optional: tuple[tuple[str, ...], ...] = ()
    optional_imports: tuple[str, ...] = ()

    @property
    def python(self) -> Path:
        return ROOT / self.path / "bin" / "python"


VENVS: dict[str, Venv] = {
    "project": Venv("project", ".venv", imports=("softrl", "gymnasium", "torch")),
    "imitation": Venv(
        "imitation", "bench/.venv-imitation",
        installs=(("torch==2.13.0",), ("imitation==1.0.1", "numba"),
                  ("--no-deps", "-e", ".")),
        imports=("imitation", "seals", "numba", "softrl")),
    "sb3": Venv(
        "sb3", "bench/.venv-sb3",
        installs=(("torch==2.13.0",), ("stable-baselines3==2.9.*",), ("-e", ".")),
        imports=("stable_baselines3", "softrl"),
        # SBX (the JAX port) pinned beside what is installed, so it cannot move torch or SB3.
        optional=(("sbx-rl", "torch==2.13.0", "stable-baselines3==2.9.*"),),
        optional_imports=("sbx",)),
    "bandits": Venv(
        "bandits", "bench/.venv-bandits",
        # SMPyBandits' Thompson sampling calls scipy's btdtri, removed in scipy 1.14.
        installs=(("smpybandits==0.9.7", "numpy", "scipy<1.14", "numba"),
                  ("--no-deps", "-e", ".")),
        imports=("SMPyBandits", "softrl")),
}


# ----------------------------------------------------------------------------- benches


@dataclass(frozen=True)
class Bench:
    """One bench: the script in ``bench/``, its venv, the commands of a full run and of a
    quick run (argument lists after ``python``), the wall-clock cap of each command, and the
    estimated wall time of the full run on the reference 2-core machine."""

    name: str
    venv: str
    full: tuple[tuple[str, ...], ...]
    quick: tuple[tuple[str, ...], ...]
    estimate: str
    full_cap_s: int = 4 * 3600
    quick_cap_s: int = 120
    needs_gpu: bool = False
    what: str = ""
    scripts: tuple[str, ...] = field(default=())

    def commands(self, quick: bool) -> tuple[tuple[str, ...], ...]:
        return self.quick if quick else self.full

    def script_paths(self) -> list[str]:
        """Every ``bench/*.py`` its commands run."""
        paths = {a for cmd in self.full + self.quick for a in cmd[:1]}
        return sorted(paths | set(self.scripts))


def _c(*args: str) -> tuple[str, ...]:
    return tuple(args)


SEEDS5 = ("--seeds", "0", "1", "2", "3", "4")
# bench/adversarial_irl.py's runs as recorded in RESULTS.md: (env, algorithm, steps, extra).
_T1 = ("--hp", "temperature=1.0")
_ADVERSARIAL_RUNS = (
    ("Pendulum-v1", "gail", "20000", ()),
    ("Pendulum-v1", "airl", "40000", ("--transfer-steps", "20000", *_T1)),
    ("Pendulum-v1", "gcl", "60000", ("--transfer-steps", "20000", *_T1,
                                     "disc_learning_rate=1e-4", "disc_steps=16")),
    ("CartPole-v1", "airl", "50000", ("--transfer-steps", "30000", *_T1, "disc_steps=16")),
    ("softrl/FixedHorizonCartPole-v0", "airl", "50000",
     ("--transfer-steps", "50000", *_T1, "learning_rate=5e-4", "batch_size=128")),
    ("softrl/FixedHorizonCartPole-v0", "gail", "50000", (*_T1, "disc_steps=16")),
)
BENCHES: tuple[Bench, ...] = (
    Bench("tabular", "imitation",
          full=(_c("bench/tabular.py"),
                _c("bench/tabular.py", "--part", "imitation", "--chunk", "5")),
          quick=(_c("bench/tabular.py", "--quick"),),
          estimate="12 min", full_cap_s=3600, quick_cap_s=150,
          what="MCE partition + occupancy vs imitation; one backup at 10^6 states vs the "
               "copy floor"),
    Bench("sac", "sb3",
          full=(_c("bench/sac.py", "speed"),
                _c("bench/sac.py", "speed", "--isolated", "--chunk", "200", "--rounds", "4"),
                _c("bench/sac.py", "learn", "--agent", "softrl", "--seeds", "0", "1", "2"),
                _c("bench/sac.py", "learn", "--agent", "sb3", "--seeds", "0", "1", "2"),
                _c("bench/sac.py", "plot")),
          # sac.py has no --quick: its speed command with a small budget.
          quick=(_c("bench/sac.py", "speed", "--threads", "1", "--warmup", "150",
                    "--chunk", "150", "--rounds", "1"),),
          estimate="1 h 20 min (speed 25 min; 6 learning runs of 20k steps, 6-9 min each)",
          what="SAC env steps/s vs Stable-Baselines3 on Pendulum-v1; 3-seed learning"),
    Bench("softq", "sb3",
          full=(_c("bench/softq.py", "speed", "--rounds", "5"),
                _c("bench/softq.py", "learn", *SEEDS5),
                _c("bench/softq.py", "learn", "--agents", "softrl", *SEEDS5, "--munchausen",
                   "0.9", "--steps", "30000"),
                _c("bench/softq.py", "learn", "--env", "Acrobot-v1", "--agents", "softrl",
                   *SEEDS5, "--gradient-steps", "4", "--steps", "100000",
                   "--eval-every", "10000", "--episodes", "10"),
                _c("bench/softq.py", "plot"),
                _c("bench/softq.py", "plot", "--env", "Acrobot-v1")),
          quick=(_c("bench/softq.py", "--quick"),),
          estimate="1 h (CartPole 15 runs of 2-3 min; Acrobot 5 x 100k, 6 min each)",
          full_cap_s=6 * 3600,
          what="SoftQ vs SB3 DQN: env steps/s; CartPole-v1 and Acrobot-v1 learning"),
    Bench("pg", "sb3",
          full=(_c("bench/pg.py", "speed", "--rounds", "5"),
                _c("bench/pg.py", "learn", *SEEDS5),
                _c("bench/pg.py", "plot")),
          quick=(_c("bench/pg.py", "--quick"),),
          estimate="30 min (10 runs x 100k steps)",
          what="EntropyPG vs SB3 A2C env steps/s; CartPole-v1 learning vs SB3 PPO"),
    Bench("sql", "project",
          full=(_c("bench/sql.py", "--speed"),
                *(_c("bench/sql.py", "--agent", a, *SEEDS5, "--steps", "10000")
                  for a in ("SQL", "SAC", "SAC_hard"))),
          quick=(_c("bench/sql.py", "--quick"),),
          estimate="3 h (15 runs x 10k steps, 5-20 min each under load)",
          what="SQL beside SAC on MultiGoal: goal histograms, CPU ms per env step"),
    Bench("irl", "imitation",
          full=(_c("bench/irl.py"),),
          quick=(_c("bench/irl.py", "--quick"),),
          estimate="5 min",
          full_cap_s=3600,
          what="MCE IRL vs imitation's MCEIRL: time per gradient step, EVD, log-likelihood"),
    Bench("adversarial_irl", "project",
          full=(*(_c("bench/adversarial_irl.py", "expert", "--env", env)
                  for env in ("Pendulum-v1", "CartPole-v1", "softrl/FixedHorizonCartPole-v0")),
                *(_c("bench/adversarial_irl.py", "run", "--env", env, "--algorithm", algo,
                     *SEEDS5, "--steps", steps, *extra)
                  for env, algo, steps, extra in _ADVERSARIAL_RUNS),
                _c("bench/adversarial_irl.py", "table")),
          quick=(_c("bench/adversarial_irl.py", "--quick"),),
          estimate="2 h (30 runs of 20k-50k steps, 2-6 min each on a quiet machine, transfers "
                   "1-2 min)",
          full_cap_s=10 * 3600,
          what="AIRL, GAIL, GCL on Pendulum-v1, CartPole-v1 and the fixed-horizon CartPole: "
               "normalized scores, reward transfer"),
    Bench("adversarial_irl_imitation", "imitation",
          full=(*(_c("bench/adversarial_irl_imitation.py", "run", "--env", env, "--algorithm",
                     algo, "--seeds", "0", "1", "2", "--steps", steps)
                  for env, algo, steps in (
                      ("seals/CartPole-v0", "airl", "50000"),
                      ("seals/CartPole-v0", "gail", "50000"),
                      ("seals/CartPole-v0", "airl", "2000000"),
                      ("seals/CartPole-v0", "gail", "1000000"),
                      ("Pendulum-v1", "airl", "1000000"),
                      ("Pendulum-v1", "gail", "1000000"))),
                _c("bench/adversarial_irl_imitation.py", "table")),
          quick=(_c("bench/adversarial_irl_imitation.py", "--quick"),),
          estimate="1.5 h (imitation's own budgets: 1M-2M steps, 4-10 min a run; needs "
                   "bench/adversarial_irl.py expert first, for the demos)",
          full_cap_s=4 * 3600,
          what="imitation 1.0.1's AIRL and GAIL on the same demos: seals/CartPole-v0, "
               "Pendulum-v1"),
    Bench("lfd", "project",
          full=(*(_c("bench/lfd.py", "run", "lunar", "--variant", v, "--seeds", "0",
                     "--steps", "100000") for v in ("dqfd", "scratch")),
                _c("bench/lfd.py", "run", "lunar", "--variant", "bc", *SEEDS5),
                _c("bench/lfd.py", "run", "mountaincar", "--variant", "sacfd", *SEEDS5,
                   "--steps", "10000", "--eval-every", "2500", "--eval-episodes", "3"),
                *(_c("bench/lfd.py", "run", "mountaincar", "--variant", v, "--seeds", "0",
                     "1", "2", "--steps", "50000", "--eval-every", "5000",
                     "--eval-episodes", "3") for v in ("replay", "pretrain", "scratch")),
                _c("bench/lfd.py", "report", "lunar"),
                _c("bench/lfd.py", "report", "mountaincar")),
          quick=(_c("bench/lfd.py", "--quick"),),
          estimate="4 h (LunarLander 2 x 100k, 20-30 min each; MountainCar 9 x 50k, 5 x 10k)",
          full_cap_s=8 * 3600,
          what="SoftQfD on LunarLander-v3, SACfD on MountainCarContinuous-v0"),
    Bench("meta", "project",
          full=(_c("bench/meta.py", "rl2", "--seeds", "0", "1", "2"),
                _c("bench/meta.py", "baselines"),
                *(_c("bench/meta.py", "point", "--algo", a, "--seed", "0")
                  for a in ("pearl", "maml", "oracle")),
                _c("bench/meta.py", "report")),
          quick=(_c("bench/meta.py", "--quick"),),
          estimate="2 h (RL^2 3 x 1.2M steps, 27 min each; PEARL, MAML, oracle 6-13 min)",
          full_cap_s=8 * 3600,
          what="RL^2 on Bernoulli bandits; MAML, PEARL on point navigation"),
    Bench("exploration", "project",
          full=(_c("bench/exploration.py", "deep_sea", "--sizes", "4", "6", "8", "10", "12",
                   "--seeds", "0", "1", "2"),
                _c("bench/exploration.py", "mountaincar", "--seeds", "0", "1", "2"),
                _c("bench/exploration.py", "mountaincar", "--agents", "rnd", "--seeds", "0", "1",
                   "2", "3", "4"),
                _c("bench/exploration.py", "report")),
          quick=(_c("bench/exploration.py", "--quick"),),
          estimate="1 h (deep_sea 30 runs of at most 14k steps; MountainCar 6 x 100k)",
          full_cap_s=6 * 3600,
          what="bsuite deep_sea and MountainCar-v0: bootstrapped / pseudo-count vs plain"),
    Bench("bandits", "bandits",
          full=(_c("bench/bandits.py"),),
          quick=(_c("bench/bandits.py", "--quick"),),
          estimate="10 min",
          full_cap_s=3600,
          what="UCB, kl-UCB, Thompson vs SMPyBandits: regret and time per repetition"),
    Bench("scale", "project",
          full=(_c("bench/scale.py"),),
          quick=(_c("bench/scale.py", "--quick"),),
          estimate="5 min (10^7-state soft VI 80 s, peak 5.6 GB; MCE IRL steps at 10^6)",
          full_cap_s=3600, quick_cap_s=150,
          what="soft VI on a 10^7-state Garnet MDP; an MCE IRL gradient step at 10^6 states"),
    Bench("gpu_tabular", "project",
          full=(_c("bench/gpu_tabular.py"),),
          # gpu_tabular.py has no --quick: fewer states and repeats.
          quick=(_c("bench/gpu_tabular.py", "--states", "100000", "--repeats", "5"),),
          estimate="1 min (needs CUDA; skipped without)", full_cap_s=1800, needs_gpu=True,
          what="one soft backup at 10^6 states on a GPU vs the HBM copy floor"),
)
NOT_BENCHES = {
    "run_all.py": "this driver",
    "machine.py": "machine facts, run by the driver first",
    "summary.py": "the summary hook the benches import",
    "deep_sea_bsuite_reference.py": "records bsuite's own deep_sea trajectories for the tests "
                                    "(needs bsuite in a throwaway venv)",
    "sac_refactor_check.py": "a one-off check across two source trees (issue 11)",
    "sac_profile.py": "a diagnostic: where one SAC env step's time goes, in situ (issue 19)",
}
BUDGET_QUICK = {"sac": "no --quick of its own: its speed command with a small budget",
                "gpu_tabular": "its own small --states / --repeats"}


def bench_by_name(names: list[str] | None) -> list[Bench]:
    """The benches named (all of them for None); an unknown name is a ValueError."""
    if not names:
        return list(BENCHES)
    known = {b.name: b for b in BENCHES}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"--only {' '.join(unknown)}: unknown bench; choose from "
                         f"{', '.join(known)}")
    return [known[n] for n in names]


def command_line(bench: Bench, argv: tuple[str, ...]) -> str:
    """The command as a user would type it from the repository root."""
    return " ".join(shlex.quote(a) for a in (f"{VENVS[bench.venv].path}/bin/python", *argv))


# ----------------------------------------------------------------------------- markers


def _markers(name: str) -> tuple[str, str]:
    return f"<!-- bench:auto {name} begin -->", f"<!-- bench:auto {name} end -->"


def replace_block(text: str, name: str, content: str) -> str:
    """``text`` with the lines between the ``name`` markers replaced by ``content``.

    Everything up to and including the begin marker and from the end marker on is kept byte
    for byte, so applying it twice gives the same text. A missing, repeated or misordered
    marker is a ValueError that says what to add or fix."""
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        raise ValueError(f"block name {name!r}: use letters, digits, '_', '.', '-'")
    begin, end = _markers(name)
    nb, ne = text.count(begin), text.count(end)
    if nb != 1 or ne != 1:
        raise ValueError(
            f"block {name!r}: found {nb} begin and {ne} end markers, expected one of each; "
            f"add the two lines {begin!r} and {end!r} (in that order) where the block goes")
    i, j = text.index(begin), text.index(end)
    if j < i:
        raise ValueError(f"block {name!r}: the end marker comes before the begin marker; "
                         f"put {begin!r} first")
    head = text[: i + len(begin)]
    return head + "\n" + content.strip("\n") + "\n" + text[j:]


def block_names(text: str) -> list[str]:
    """The names of the begin markers in ``text``, in order."""
    return re.findall(r"<!-- bench:auto ([A-Za-z0-9_.-]+) begin -->", text)


# ----------------------------------------------------------------------------- summaries


def _json_tail(stdout: str) -> Any | None:
    """The last JSON object printed as a whole (a line '{' through its matching '}')."""
    lines = stdout.splitlines()
    for start in range(len(lines) - 1, -1, -1):
        if lines[start].startswith("{"):
            try:
                return json.loads("\n".join(lines[start:]))
            except json.JSONDecodeError:
                continue
    return None


def json_markdown(data: Any) -> str:
    """A printed JSON report as markdown: lists of flat dicts as tables, the rest as bullets."""
    if not isinstance(data, dict):
        return f"- {json.dumps(data)}"
    out: list[str] = []
    bullets: list[str] = []
    for key, value in data.items():
        if isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
            cols = list(value[0])
            out += ["", "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
            out += ["| " + " | ".join(str(r.get(c, "")) for c in cols) + " |" for r in value]
        else:
            bullets.append(f"- {key}: {json.dumps(value)}")
    return "\n".join(bullets + out).strip("\n")


def fallback_summary(stdout: str, lines: int = 60) -> str:
    """For a bench without the summary hook: its last JSON report as markdown, else the last
    ``lines`` lines of its output in a code block."""
    data = _json_tail(stdout)
    if data is not None:
        return json_markdown(data)
    tail = "\n".join(stdout.strip("\n").splitlines()[-lines:]).strip("\n")
    return "```\n" + tail + "\n```" if tail.strip() else "(no output)"


# ----------------------------------------------------------------------------- running


@dataclass
class Outcome:
    bench: str
    status: str  # ok, failed (rc N), timed out, skipped (why)
    seconds: float
    parts: list[str]


def run_command(argv: list[str], log: Path, cap_s: float,
                env: dict[str, str]) -> tuple[int | None, float]:
    """Run ``argv`` from the repository root with its output in ``log``; kill its whole
    process group past ``cap_s`` seconds. Returns (exit code or None on time-out, seconds)."""
    start = time.perf_counter()
    with open(log, "w") as f:
        proc = subprocess.Popen(argv, cwd=ROOT, stdout=f, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)
        try:
            rc: int | None = proc.wait(timeout=cap_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            rc = None
    return rc, time.perf_counter() - start


def venv_ready(venv: Venv, imports: tuple[str, ...] | None = None) -> bool:
    mods = venv.imports if imports is None else imports
    if not venv.python.exists():
        return False
    code = "; ".join(f"import {m}" for m in mods) or "pass"
    return subprocess.run([str(venv.python), "-c", code], cwd=ROOT, capture_output=True,
                          timeout=300).returncode == 0


def setup_plan(venv: Venv, python: str) -> list[list[str]]:
    """The commands that create ``venv`` from nothing."""
    pip = [str(venv.python), "-m", "pip", "install", "-q"]
    return [[python, "-m", "venv", str(ROOT / venv.path)], [*pip, "--upgrade", "pip"],
            *([*pip, *step] for step in venv.installs)]


def ensure_venv(venv: Venv, python: str, say: Any) -> str:
    """Create or complete ``venv`` (never the project's): 'ready', 'created', or an error."""
    if venv_ready(venv):
        note = "ready"
    elif venv.name == "project":
        return f"`import {', '.join(venv.imports)}` fails: run `make install` first"
    else:
        plan = setup_plan(venv, python)
        if venv.python.exists():
            plan = plan[1:]  # complete it, never delete it
        say(f"creating {venv.path} ({len(plan)} steps, logs bench/out/setup-{venv.name}-*.log)")
        OUT.mkdir(exist_ok=True)
        for i, argv in enumerate(plan):
            log = OUT / f"setup-{venv.name}-{i}.log"
            rc, _ = run_command(argv, log, 1800, dict(os.environ))
            if rc != 0:
                return f"setup failed at `{' '.join(argv[-3:])}` (rc {rc}; {log.name})"
        if not venv_ready(venv):
            return f"created, but `import {', '.join(venv.imports)}` fails"
        note = "created"
    for step in venv.optional:
        if venv_ready(venv, venv.optional_imports):
            break
        say(f"{venv.path}: optional install {' '.join(step)}")
        argv = [str(venv.python), "-m", "pip", "install", "-q", *step]
        rc, _ = run_command(argv, OUT / f"setup-{venv.name}-optional.log", 1800,
                            dict(os.environ))
        if rc != 0:
            note += f"; optional {step[0]} did not install"
    return note


def gpu_available() -> bool:
    return shutil.which("nvidia-smi") is not None


def run_bench(bench: Bench, quick: bool, say: Any) -> Outcome:
    venv = VENVS[bench.venv]
    if bench.needs_gpu and not gpu_available():
        return Outcome(bench.name, "skipped (no GPU on this machine)", 0.0, [])
    cap = bench.quick_cap_s if quick else bench.full_cap_s
    parts, total, status = [], 0.0, "ok"
    for k, argv in enumerate(bench.commands(quick)):
        stem = OUT / f"{bench.name}-{k}"
        for suffix in (".md", ".json"):
            Path(f"{stem}{suffix}").unlink(missing_ok=True)
        env = {**os.environ, SUMMARY_ENV: str(stem), "PYTHONUNBUFFERED": "1",
               "MPLBACKEND": "Agg"}
        say(f"{bench.name}: {command_line(bench, argv)}")
        rc, seconds = run_command([str(venv.python), *argv], Path(f"{stem}.log"), cap, env)
        total += seconds
        stdout = Path(f"{stem}.log").read_text(errors="replace")
        md = Path(f"{stem}.md")
        body = md.read_text().strip() if md.exists() else fallback_summary(stdout)
        if rc is None:
            status = f"timed out after {cap} s"
        elif rc != 0:
            status = f"failed (rc {rc}; log bench/out/{stem.name}.log)"
            body = fallback_summary(stdout, 8)
        parts.append(f"`{command_line(bench, argv)}` ({seconds:.0f} s)\n\n{body}")
        if status != "ok":
            break
    return Outcome(bench.name, status, total, parts)


# ----------------------------------------------------------------------------- RESULTS.md


def commands_table(benches: list[Bench] | tuple[Bench, ...] = BENCHES) -> str:
    rows = ["| bench | what | venv | quick (`make bench QUICK=1`) | full (`make bench`) | "
            "full run, 2 cores |", "|---|---|---|---|---|---|"]
    for b in benches:
        quick = "<br>".join(f"`{command_line(b, c)}`" for c in b.quick)
        full = "<br>".join(f"`{command_line(b, c)}`" for c in b.full)
        rows.append(f"| {b.name} | {b.what} | `{VENVS[b.venv].path}` | {quick} | {full} | "
                    f"{b.estimate} |")
    return "\n".join(rows)


def bench_block(outcome: Outcome, quick: bool, date: str) -> str:
    mode = "quick smoke run (tiny budgets: the figures only show that it runs)" if quick \
        else "full run"
    head = (f"**{outcome.bench}**: {outcome.status}, {outcome.seconds:.0f} s; {mode}, "
            f"{date}")
    return "\n\n".join([head, *outcome.parts])


def outcomes_table(outcomes: list[Outcome]) -> str:
    """One row per bench of the run: its status and wall seconds."""
    rows = ["| bench | status | wall s |", "|---|---|---|"]
    rows += [f"| {o.bench} | {o.status} | {o.seconds:.0f} |" for o in outcomes]
    return "\n".join(rows)


def write_results(path: Path, blocks: dict[str, str]) -> None:
    """Replace each named block in ``path`` (all markers checked before anything is written)."""
    text = path.read_text()
    for name, content in blocks.items():
        text = replace_block(text, name, content)
    path.write_text(text)


def check_markers(path: Path, names: list[str]) -> None:
    text = path.read_text()
    for name in names:
        replace_block(text, name, "")  # raises ValueError on a missing or bad marker


# ----------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny budgets: a smoke run")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these benches")
    parser.add_argument("--list", action="store_true", help="print the benches and exit")
    parser.add_argument("--dry-run", action="store_true",
                        help="print the venv set-up and bench commands; run nothing")
    parser.add_argument("--python", default="python3",
                        help="interpreter that creates missing venvs (default python3)")
    parser.add_argument("--results", type=Path, default=RESULTS,
                        help="markdown file whose bench:auto blocks are rewritten")
    parser.add_argument("--table-only", action="store_true",
                        help="rewrite the commands table from BENCHES; run nothing")
    args = parser.parse_args(argv)
    try:
        benches = bench_by_name(args.only)
    except ValueError as err:
        parser.error(str(err))
    if args.table_only:
        try:
            write_results(args.results, {"commands": commands_table()})
        except ValueError as err:
            parser.error(f"{args.results}: {err}")
        return 0
    if args.list:
        for b in benches:
            print(f"{b.name:<16} {VENVS[b.venv].path:<22} {len(b.full)} full / "
                  f"{len(b.quick)} quick command(s); full run {b.estimate}")
        return 0
    venvs = sorted({b.venv for b in benches}, key=list(VENVS).index)
    if args.dry_run:
        for name in venvs:
            v = VENVS[name]
            there = v.python.exists()  # its imports are checked when it runs
            print(f"# venv {v.path}: {'present' if there else 'missing'}")
            if not there and name != "project":
                for cmd in setup_plan(v, args.python):
                    print("  " + " ".join(shlex.quote(str(a)) for a in cmd))
        for b in benches:
            for cmd in b.commands(args.quick):
                print(command_line(b, cmd) + ("   # needs a GPU" if b.needs_gpu else ""))
        return 0

    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from machine import facts_markdown, machine_facts

    console = Console()
    names = ["machine", "commands", *(b.name for b in benches)]
    try:
        check_markers(args.results, names)  # fail now, not after hours of benches
    except ValueError as err:
        parser.error(f"{args.results}: {err}")
    OUT.mkdir(exist_ok=True)
    t0 = time.perf_counter()
    venv_notes = {}
    for name in venvs:
        venv_notes[name] = ensure_venv(VENVS[name], args.python, console.log)
        console.log(f"venv {VENVS[name].path}: {venv_notes[name]}")
    setup_s = time.perf_counter() - t0
    facts = machine_facts(quick=args.quick)
    (OUT / "machine.json").write_text(json.dumps(facts, indent=1))
    date = facts["date_utc"]
    outcomes: list[Outcome] = []
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}"
                  "/{task.total}"), TimeElapsedColumn(), console=console) as progress:
        task = progress.add_task("benches", total=len(benches))
        for b in benches:
            progress.update(task, description=f"bench {b.name}")
            note = venv_notes[b.venv]
            if note not in ("ready", "created") and not note.startswith(("ready;", "created;")):
                outcome = Outcome(b.name, f"skipped (venv {VENVS[b.venv].path}: {note})",
                                  0.0, [])
            else:
                outcome = run_bench(b, args.quick, progress.console.log)
            outcomes.append(outcome)
            progress.console.log(f"{b.name}: {outcome.status} ({outcome.seconds:.0f} s)")
            progress.advance(task)
    bench_s = time.perf_counter() - t0 - setup_s
    finished = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    mode = "--quick " if args.quick else ""
    only = f"--only {' '.join(args.only)} " if args.only else ""
    command = f".venv/bin/python bench/run_all.py {mode}{only}".strip()
    machine = (facts_markdown(facts) + "\n"
               f"- run: `{command}`, finished {finished}: venv set-up {setup_s:.0f} s, "
               f"benches {bench_s:.0f} s\n"
               + "".join(f"- venv `{VENVS[n].path}`: {venv_notes[n]}\n" for n in venvs)
               + "\n" + outcomes_table(outcomes))
    blocks = {"machine": machine, "commands": commands_table()}
    blocks.update({o.bench: bench_block(o, args.quick, date) for o in outcomes})
    write_results(args.results, blocks)
    console.log(f"rewrote {len(blocks)} blocks of {args.results}; total "
                f"{time.perf_counter() - t0:.0f} s")
    return 0 if all(o.status == "ok" or o.status.startswith("skipped") for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
