"""Run every notebook's inline tests under pytest, one test per notebook, exactly as `nbdev_test` runs them.

The notebooks are the tests: every exported function is followed by cells that use it and assert
what it does. This file hands each notebook to nbdev's own `test_nb`, with the same flags, working
directory and `sys.path` that `nbdev_test` uses, so `pytest` and `nbdev_test` agree. As with
`nbdev_test`, each notebook runs in a process of its own: state one notebook leaves behind in a
process (a Ray connection and its background threads, a server, an environment variable) cannot
change how the next one runs.

Cells marked with a flag listed in `tst_flags` (settings.ini, e.g. `#| hub`) are skipped, as with
`nbdev_test`. To run them too (`nbdev_test --flags hub`), set `CLIP_SEARCH_TEST_FLAGS`:

    CLIP_SEARCH_TEST_FLAGS="hub" python -m pytest tests/test_notebooks.py
"""
import os, subprocess, sys
from pathlib import Path

import pytest
from nbdev.config import get_config
from nbdev.doclinks import nbglob
from nbdev.test import test_nb as run_nb  # renamed so pytest does not collect it as a test

CFG = get_config(path=Path(__file__).resolve().parent)
FLAGS_ENV = 'CLIP_SEARCH_TEST_FLAGS'

def _keep(p:Path)->bool:
    "As `nbdev_test`: a `.notest` file beside notebooks excludes them."
    return not (p.parent/'.notest').exists()

def notebooks()->list[Path]:
    "The notebooks `nbdev_test` would run: nbdev's own glob (skips names starting with `_` or `.`), sorted."
    return [p for p in sorted(nbglob(CFG.nbs_path, as_path=True)) if _keep(p)]

NBS = notebooks()

def test_notebooks_found():
    "An empty glob must fail loudly rather than pass with nothing tested."
    assert NBS, f'no notebooks found in {CFG.nbs_path}'

# Run in a child process: `test_nb` on one notebook, exit status 0 when it passed.
CHILD = """
import sys
sys.path.insert(0, sys.argv[2])
from pathlib import Path
from nbdev.test import test_nb
ok, secs = test_nb(Path(sys.argv[1]), skip_flags=sys.argv[3].split(), force_flags=sys.argv[4].split(), showerr=True)
sys.exit(0 if ok else 1)
"""

@pytest.mark.parametrize('nb', NBS, ids=[str(p.relative_to(CFG.nbs_path)) for p in NBS])
def test_notebook(nb:Path):
    skip_flags = CFG.tst_flags.split()
    force_flags = os.environ.get(FLAGS_ENV, '').split()
    # `nbdev_test` runs from `nbs_path` with IN_TEST=1, and `test_nb` then runs each notebook inside its own
    # folder with the project root on sys.path: do the same. The timeout bounds a notebook that hangs.
    p = subprocess.run([sys.executable, '-c', CHILD, str(nb.absolute()), str(CFG.config_path), ' '.join(skip_flags), ' '.join(force_flags)],
                       cwd=CFG.nbs_path, env={**os.environ, 'IN_TEST': '1'}, capture_output=True, text=True, timeout=1800)
    if p.returncode: pytest.fail(f'{nb.name} failed (skip_flags={skip_flags}, force_flags={force_flags}):\n{p.stderr}{p.stdout[-5000:]}',
                                 pytrace=False)
