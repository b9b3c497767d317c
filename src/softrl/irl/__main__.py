"""``python -m softrl.irl``: the same as ``softrl irl`` (see :mod:`softrl.cli.irl`)."""

import sys

from softrl.cli.irl import main

if __name__ == "__main__":
    sys.exit(main(prog="python -m softrl.irl"))
