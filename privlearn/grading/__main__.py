"""``python -m privlearn.grading DIR [--out-dir grades] [--workers N] [--timeout S]
[--cell-timeout S] [--memory MB] [--graded] [--strip-prefix P] [--fail-under FRACTION]``

Grade every exercise notebook under DIR: one file per student, or one folder per
student (as GitHub Classroom and LMS downloads arrive). The folder (or file) name is the
student id, less --strip-prefix (GitHub Classroom's ``<assignment>-<user>``); graded
hand-outs check each student's answers against the numbers of that id; with --graded,
every notebook is checked so, whatever its metadata says (use it for graded work: a
student could otherwise hand in the self-study notebook and the course's answers).
Reports go to --out-dir: questions.csv, totals.csv, report.json and junit.xml (see
privlearn.grading.reports).

Exit status: 0 when every notebook was graded in full; 1 when some could not be (an
error row in the reports says which and why); 3 when all were graded but one scored
below --fail-under (a fraction of its points; for CI-based autograding); 2 for a usage
error.

Submitted notebooks run arbitrary code with your permissions: grade them in a throwaway
container or account.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .classroom import grade_folder


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m privlearn.grading", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path, metavar="DIR")
    parser.add_argument("--out-dir", type=Path, default=Path("grades"))
    parser.add_argument("--workers", type=int, default=None,
                        help="notebooks graded at once (default: CPUs, at most 4)")
    parser.add_argument("--timeout", type=float, default=300.0,
                        help="seconds per notebook (default 300)")
    parser.add_argument("--cell-timeout", type=float, default=60.0,
                        help="seconds per cell or checker call (default 60)")
    parser.add_argument("--memory", type=int, default=2048,
                        help="each kernel's memory limit in MB (default 2048)")
    parser.add_argument("--graded", action="store_true",
                        help="check every notebook against its student's own numbers "
                             "(the graded hand-outs' way), whatever its metadata says")
    parser.add_argument("--strip-prefix", default="", metavar="PREFIX",
                        help="taken off the front of each student folder's name to give "
                             "the student id (e.g. 'ex03b-' for GitHub Classroom)")
    parser.add_argument("--fail-under", type=float, default=None, metavar="FRACTION",
                        help="exit with status 3 if a notebook scores below this fraction")
    args = parser.parse_args(argv)
    for name in ("timeout", "cell_timeout"):
        if not getattr(args, name) > 0:
            parser.error(f"--{name.replace('_', '-')} must be > 0, got {getattr(args, name)}")
    if args.workers is not None and args.workers < 1:
        parser.error(f"--workers must be >= 1, got {args.workers}")
    if args.memory < 256:
        parser.error(f"--memory must be at least 256 (MB), got {args.memory}")
    if args.fail_under is not None and not 0 <= args.fail_under <= 1:
        parser.error(f"--fail-under must be a fraction in [0, 1], got {args.fail_under}")
    if not args.folder.is_dir():
        parser.error(f"DIR must be a folder of notebooks, got {str(args.folder)!r}")
    try:
        grades, complete = grade_folder(args.folder, args.out_dir, workers=args.workers,
                                        timeout=args.timeout, cell_timeout=args.cell_timeout,
                                        memory=args.memory * 2**20,
                                        strip_prefix=args.strip_prefix,
                                        graded=args.graded)
    except ValueError as exc:
        parser.error(str(exc))
    print(f"graded {len(grades)} notebook(s); reports in {args.out_dir}/", file=sys.stderr)
    if not complete:
        return 1
    if args.fail_under is not None and any(
            g.points < args.fail_under * g.max_points for g in grades):
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
