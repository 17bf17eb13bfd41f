"""``python -m privlearn.exercises grade DIR ...``: the same as ``python -m
privlearn.grading DIR ...`` (kept for the command the course used before)."""

import sys

if __name__ == "__main__":
    if sys.argv[1:2] != ["grade"]:
        print("usage: python -m privlearn.exercises grade DIR [options]; see "
              "python -m privlearn.grading --help", file=sys.stderr)
        sys.exit(2)
    from privlearn.grading.__main__ import main

    sys.exit(main(sys.argv[2:]))
