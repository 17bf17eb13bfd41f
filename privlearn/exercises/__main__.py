"""``python -m privlearn.exercises grade DIR --out grades.csv``."""

import sys

from .grade import main

if __name__ == "__main__":
    if sys.argv[1:2] != ["grade"]:
        print("usage: python -m privlearn.exercises grade DIR [--out grades.csv] "
              "[--timeout SECONDS]", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[2:]))
