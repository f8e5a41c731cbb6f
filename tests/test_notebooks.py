"""Run every notebook's inline tests under pytest, one test per notebook, exactly as `nbdev_test` runs them.

The notebooks are the tests: every exported function is followed by cells that use it and assert
what it does. This file hands each notebook to nbdev's own `test_nb`, with the same flags, working
directory and `sys.path` that `nbdev_test` uses, so `pytest` and `nbdev_test` agree.

Cells marked with a flag listed in `tst_flags` (settings.ini, e.g. `#| hub`) are skipped, as with
`nbdev_test`. To run them too (`nbdev_test --flags hub`), set `CLIP_SEARCH_TEST_FLAGS`:

    CLIP_SEARCH_TEST_FLAGS="hub" python -m pytest tests/test_notebooks.py
"""
import io, os
from contextlib import redirect_stderr
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

@pytest.mark.parametrize('nb', NBS, ids=[str(p.relative_to(CFG.nbs_path)) for p in NBS])
def test_notebook(nb:Path, monkeypatch):
    skip_flags = CFG.tst_flags.split()
    force_flags = os.environ.get(FLAGS_ENV, '').split()
    # `test_nb` sets IN_TEST=1 for the rest of the process; monkeypatch puts it back afterwards.
    monkeypatch.setenv('IN_TEST', '1')
    # `nbdev_test` runs from `nbs_path`, and `test_nb` then runs each notebook inside its own folder
    # with the project root on sys.path: do the same.
    monkeypatch.chdir(CFG.nbs_path)
    monkeypatch.syspath_prepend(str(CFG.config_path))
    err = io.StringIO()
    with redirect_stderr(err):
        ok, secs = run_nb(nb.absolute(), skip_flags=skip_flags, force_flags=force_flags, showerr=True)
    if not ok: pytest.fail(f'{nb.name} failed (skip_flags={skip_flags}, force_flags={force_flags}):\n{err.getvalue()}',
                           pytrace=False)
