# Runs several pip commands in one Python process, for the tests that ask the real
# pip what it does: pip's start-up (imports, vendored libraries) is most of a small
# run's time. pip's `main` sets up its logging, options and temporary directories
# afresh on each call.
#
#   python3 pip_runs.py PIP_PARENT_DIR|"" RESULTS_FILE  < JSON list of argument lists
#
# PIP_PARENT_DIR: a directory holding an unpacked pip package to use instead of the
# installed one. Writes one exit code per run, as a JSON list, to RESULTS_FILE.
import json
import sys

if sys.argv[1]:
    sys.path.insert(0, sys.argv[1])

from pip._internal.cli.main import main  # noqa: E402

codes = []
for argv in json.load(sys.stdin):
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    codes.append(code or 0)
with open(sys.argv[2], "w") as out:
    json.dump(codes, out)
