"""``python -m softrl.irl``: see :mod:`softrl.irl.cli`."""

from softrl.irl.cli import main

if __name__ == "__main__":
    main()
