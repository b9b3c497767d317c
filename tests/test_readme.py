"""The README's Python examples run as written (blocks marked `# not run in tests` skip)."""

import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_blocks_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the examples write files (out/...): keep them out of the repo
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "README has no python examples"
    for block in blocks:
        if "# not run in tests" in block:
            continue
        # Each block in a fresh namespace: a block that uses a name it does not import fails.
        exec(compile(block, str(README), "exec"), {"__name__": "readme"})  # noqa: S102
