"""matplotlib lives in softrl.plot only, and is imported there lazily."""

import re
import subprocess
import sys
from pathlib import Path

import softrl

SRC = Path(softrl.__file__).parent


def test_no_module_outside_plot_imports_matplotlib():
    pattern = re.compile(r"^\s*(import|from)\s+matplotlib", re.MULTILINE)
    offenders = [str(path.relative_to(SRC)) for path in SRC.rglob("*.py")
                 if path.parent.name != "plot" and pattern.search(path.read_text())]  # fmt: skip
    assert offenders == []


def test_importing_softrl_plot_does_not_import_matplotlib():
    code = "import sys, softrl.plot; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_agg_unless_pyplot_was_already_imported():
    code = ("import matplotlib; matplotlib.use('svg'); import matplotlib.pyplot;"
            "from softrl.plot._mpl import pyplot; pyplot(); print(matplotlib.get_backend())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "svg"  # a backend in use is left alone
    code = ("from softrl.plot._mpl import pyplot; import matplotlib; pyplot();"
            "print(matplotlib.get_backend())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().lower() == "agg"
