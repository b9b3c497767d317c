"""bench/run_all.py, the driver of `make bench`: its marker replacement, its bench table and its
dry run. Nothing here creates a venv or runs a bench."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


run_all = _load("run_all")
summary = _load("summary")
machine = _load("machine")

DOC = """# Results

Hand-written prose, with trailing spaces   \n\tand a tab.
<!-- bench:auto alpha begin -->
old alpha
<!-- bench:auto alpha end -->
middle text, kept as is
<!-- bench:auto beta begin --><!-- bench:auto beta end -->
tail without a final newline"""


def _outside(text: str) -> list[str]:
    """The text between blocks: everything but what lies inside the markers."""
    parts, rest = [], text
    for name in run_all.block_names(text):
        begin, end = run_all._markers(name)
        head, _, rest = rest.partition(begin)
        parts.append(head)
        _, _, rest = rest.partition(end)
    return [*parts, rest]


def test_replace_block_changes_only_the_inside_and_is_idempotent() -> None:
    once = run_all.replace_block(DOC, "alpha", "| new | table |\n|---|---|\n")
    assert "| new | table |\n|---|---|\n<!-- bench:auto alpha end -->" in once
    assert "old alpha" not in once
    assert _outside(once) == _outside(DOC)
    assert run_all.replace_block(once, "alpha", "| new | table |\n|---|---|\n") == once
    both = run_all.replace_block(once, "beta", "beta's block")
    assert _outside(both) == _outside(DOC)
    assert both.endswith("<!-- bench:auto beta end -->\ntail without a final newline")
    assert "<!-- bench:auto beta begin -->\nbeta's block\n<!-- bench:auto beta end -->" in both
    assert run_all.block_names(both) == ["alpha", "beta"]


@pytest.mark.parametrize(("text", "message"), [
    ("no markers at all", "found 0 begin and 0 end markers"),
    ("<!-- bench:auto alpha begin -->\nx\n", "found 1 begin and 0 end markers"),
    ("<!-- bench:auto alpha begin -->\n<!-- bench:auto alpha end -->\n"
     "<!-- bench:auto alpha begin -->\n<!-- bench:auto alpha end -->\n",
     "found 2 begin and 2 end markers"),
    ("<!-- bench:auto alpha end -->\n<!-- bench:auto alpha begin -->\n",
     "end marker comes before the begin marker"),
])
def test_bad_or_missing_markers_are_a_clear_value_error(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        run_all.replace_block(text, "alpha", "content")


def test_bad_block_name_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="block name"):
        run_all.replace_block(DOC, "al pha", "content")


def test_write_results_checks_every_marker_before_writing(tmp_path: Path) -> None:
    path = tmp_path / "RESULTS.md"
    path.write_text(DOC)
    with pytest.raises(ValueError, match="'gamma'"):
        run_all.write_results(path, {"alpha": "new", "gamma": "nowhere"})
    assert path.read_text() == DOC  # nothing written
    run_all.write_results(path, {"alpha": "new", "beta": "b"})
    assert "\nnew\n" in path.read_text()


def _script_arguments(path: Path) -> set[str]:
    """Every option string passed to an add_argument call in the script's source."""
    options = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "add_argument":
            options |= {a.value for a in node.args if isinstance(a, ast.Constant)}
    return options


def test_bench_table_is_consistent() -> None:
    names = [b.name for b in run_all.BENCHES]
    assert len(names) == len(set(names))
    for bench in run_all.BENCHES:
        assert bench.venv in run_all.VENVS, bench.name
        assert bench.full and bench.quick, bench.name
        for script in bench.script_paths():
            assert (ROOT / script).is_file(), f"{bench.name}: {script} does not exist"
        for cmd in bench.quick:
            if bench.name in run_all.BUDGET_QUICK:
                assert "--quick" not in cmd
            else:
                assert cmd[1:] == ("--quick",), f"{bench.name}: quick command {cmd}"
                assert "--quick" in _script_arguments(ROOT / cmd[0]), cmd[0]
    listed = {Path(s).name for b in run_all.BENCHES for s in b.script_paths()}
    on_disk = {p.name for p in BENCH.glob("*.py")}
    assert on_disk - listed - set(run_all.NOT_BENCHES) == set(), \
        "a bench/*.py is neither in run_all.BENCHES nor in run_all.NOT_BENCHES"
    assert set(run_all.NOT_BENCHES) <= on_disk


def test_results_md_has_every_block() -> None:
    text = (BENCH / "RESULTS.md").read_text()
    names = ["machine", "commands", *(b.name for b in run_all.BENCHES)]
    run_all.check_markers(BENCH / "RESULTS.md", names)
    assert [n for n in run_all.block_names(text) if n in names] == names


def test_table_only_rewrites_the_commands_block(tmp_path: Path) -> None:
    path = tmp_path / "RESULTS.md"
    path.write_text("intro\n<!-- bench:auto commands begin -->\nold\n"
                    "<!-- bench:auto commands end -->\nrest\n")
    assert run_all.main(["--table-only", "--results", str(path)]) == 0
    text = path.read_text()
    assert text.startswith("intro\n") and text.endswith("\nrest\n") and "old" not in text
    assert "| scale |" in text and "`bench/.venv-sb3/bin/python bench/pg.py --quick`" in text


def test_only_rejects_unknown_benches() -> None:
    assert [b.name for b in run_all.bench_by_name(["pg", "sql"])] == ["pg", "sql"]
    with pytest.raises(ValueError, match="--only nope: unknown bench"):
        run_all.bench_by_name(["nope"])


def test_dry_run_quick_prints_every_command() -> None:
    out = subprocess.run([sys.executable, str(BENCH / "run_all.py"), "--dry-run", "--quick"],
                         cwd=ROOT, capture_output=True, text=True, timeout=60, check=True).stdout
    for bench in run_all.BENCHES:
        for cmd in bench.quick:
            assert run_all.command_line(bench, cmd) in out
    assert "bench/.venv-sb3/bin/python bench/softq.py --quick" in out
    assert "bench/.venv-imitation/bin/python bench/tabular.py --quick" in out


def test_fallback_summary_reads_a_printed_json_report() -> None:
    stdout = 'warming up\n{\n  "rows": [{"agent": "softrl", "steps_per_s": 900.5}],\n' \
             '  "ratio_best_vs_best": 1.5\n}\n'
    md = run_all.fallback_summary(stdout)
    assert "- ratio_best_vs_best: 1.5" in md
    assert "| agent | steps_per_s |" in md and "| softrl | 900.5 |" in md
    assert run_all.fallback_summary("a\nb\n\nc\n", lines=3) == "```\nb\n\nc\n```"
    assert run_all.fallback_summary("\n\n") == "(no output)"


def test_summary_hook_writes_both_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(summary.ENV, str(tmp_path / "pg-0"))
    stem = summary.write_summary("pg-speed", summary.table(["a", "b"], [[1, 0.123456]]),
                                 {"x": 1})
    assert stem == tmp_path / "pg-0"
    assert (tmp_path / "pg-0.md").read_text() == "| a | b |\n|---|---|\n| 1 | 0.1235 |\n"
    assert (tmp_path / "pg-0.json").read_text().strip() == '{\n "x": 1\n}'
    with pytest.raises(ValueError, match="bare file name"):
        summary.summary_stem("a/b")


def test_machine_facts_parse_proc_files(tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: Some CPU 9000\nflags\t: avx2\n")
    assert machine.cpu_model(cpuinfo) == "Some CPU 9000"
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:       24000000 kB\nMemFree: 1 kB\n")
    assert machine.memory_gib(meminfo) == pytest.approx(24000000 / 2**20)
    assert machine.memory_gib(tmp_path / "missing") is None
    with pytest.raises(ValueError, match="megabytes=0"):
        machine.copy_bandwidth(0)
    with pytest.raises(ValueError, match="n=0"):
        machine.gemm_flops(float, 0)


def _fake_bench(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *commands: tuple[str, ...],
                cap: int = 60):
    """A bench of plain `python -c` commands (no bench script), run with this interpreter,
    its logs and summaries in tmp_path."""
    (tmp_path / "venv" / "bin").mkdir(parents=True)
    (tmp_path / "venv" / "bin" / "python").symlink_to(sys.executable)
    monkeypatch.setitem(run_all.VENVS, "here", run_all.Venv("here", str(tmp_path / "venv")))
    monkeypatch.setattr(run_all, "OUT", tmp_path)
    return run_all.Bench("fake", "here", full=commands, quick=commands, estimate="-",
                         quick_cap_s=cap)


def test_a_failing_bench_is_reported_and_stops_its_own_commands(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bench = _fake_bench(tmp_path, monkeypatch,
                        ("-c", "print('first'); import sys; sys.exit(3)"),
                        ("-c", "open('second-ran', 'w')"))
    out = run_all.run_bench(bench, quick=True, say=lambda _: None)
    assert out.status.startswith("failed (rc 3")
    assert len(out.parts) == 1 and "first" in out.parts[0]
    assert not (run_all.ROOT / "second-ran").exists()
    assert "| fake | failed (rc 3" in run_all.outcomes_table([out])


def test_a_bench_past_its_cap_is_killed_and_reported(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bench = _fake_bench(tmp_path, monkeypatch, ("-c", "import time; time.sleep(60)"), cap=1)
    out = run_all.run_bench(bench, quick=True, say=lambda _: None)
    assert out.status == "timed out after 1 s"
    assert out.seconds < 30


def test_a_bench_summary_file_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code = ("import os, pathlib; stem = os.environ['SOFTRL_BENCH_SUMMARY']; "
            "pathlib.Path(stem + '.md').write_text('| a |\\n|---|\\n| 1 |\\n'); print('noise')")
    bench = _fake_bench(tmp_path, monkeypatch, ("-c", code))
    out = run_all.run_bench(bench, quick=True, say=lambda _: None)
    assert out.status == "ok"
    assert out.parts[0].split("\n\n", 1)[1] == "| a |\n|---|\n| 1 |"  # not its stdout
    block = run_all.bench_block(out, quick=True, date="today")
    assert block.startswith("**fake**: ok") and "quick smoke run" in block
