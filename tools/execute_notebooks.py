"""Execute notebooks top to bottom, offline, and save them with their outputs (issue 17: docs that show).

    python tools/execute_notebooks.py                 # every notebook in nbs/
    python tools/execute_notebooks.py nbs/06_search.ipynb nbs/index.ipynb

Cells flagged with a test flag from settings.ini (`#| hub`, `#| slow`) are not run: they get one line of output
saying so and how to run them. Progress bars are off (TQDM_DISABLE=1, and every tqdm bar is made disabled, since code that
passes `disable=False` itself overrides the variable) so that saved outputs do not churn.
Hidden cells (`#| hide`) run but keep no output: it is not on the page. A notebook whose run raises is left as it was on disk, and the script exits non-zero naming it.
Afterwards `nbdev_clean` tidies the metadata; it keeps the outputs (`clear_all = False` in settings.ini).
"""
import os, sys, time, subprocess
from pathlib import Path

os.environ.setdefault('HF_HUB_OFFLINE', '1')
os.environ['TQDM_DISABLE'] = '1'
os.environ.setdefault('PYTHONHASHSEED', '0')
from execnb.nbio import read_nb, write_nb, mk_cell
from execnb.shell import CaptureShell
from fastcore.xtras import working_directory
from nbdev.config import get_config
from nbdev.doclinks import nbglob
from nbdev.process import extract_directives

import tqdm.std
_tqdm_init = tqdm.std.tqdm.__init__
def _quiet_init(self, *args, **kwargs): _tqdm_init(self, *args, **{**kwargs, 'disable': True}) # the notebooks run in this process
tqdm.std.tqdm.__init__ = _quiet_init

CFG = get_config()
FLAGS = set(CFG.tst_flags.split())

def skipped_output(flags:set)->dict:
    "The one output a flagged cell carries in the saved notebook."
    f = ' '.join(sorted(flags))
    return dict(output_type='stream', name='stdout',
                text=[f"Not run here (`#| {f}`: needs real CLIP weights from the Hugging Face hub). With network: nbdev_test --flags {f}\n"])

def execute(nb_path:Path)->float:
    "Run one notebook in its folder and save it with outputs; return the seconds it took."
    nb, shell, t = read_nb(nb_path), CaptureShell(nb_path), time.time()
    with working_directory(nb_path.parent):
        for cell in nb.cells:
            if cell.cell_type != 'code': continue
            flags = FLAGS & set(extract_directives(cell, remove=False))
            if 'nbdev_export(' in cell.source: cell.outputs = []; continue
            if flags: cell.outputs, cell.execution_count = [skipped_output(flags)], None; continue
            cell.outputs = []
            shell.cell(cell)
            if 'hide' in extract_directives(cell, remove=False): cell.outputs = [] # not on the page: keep no output to churn
            if shell.exc: raise RuntimeError(f"{nb_path.name}: a cell raised:\n{cell.source[:500]}\n{shell.prettytb(fname=nb_path)}")
    write_nb(nb, nb_path)
    return time.time() - t

def main(args:list[str]):
    nbs = [Path(a).resolve() for a in args] or sorted(nbglob(CFG.nbs_path, as_path=True))
    failed = []
    for p in nbs:
        try: print(f"{p.name}: {execute(p):.0f} s", flush=True)
        except Exception as e: failed.append(p.name); print(f"FAILED {e}", file=sys.stderr, flush=True)
    for p in nbs:
        if p.name not in failed: subprocess.run(['nbdev_clean', '--fname', str(p)], check=False)
    if failed: sys.exit(f"failed: {', '.join(failed)}")

if __name__ == '__main__': main(sys.argv[1:])
