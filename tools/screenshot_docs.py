"""Render documentation pages offline and save screenshots of them in headless Chromium (issue 17).

    python tools/screenshot_docs.py 06_search 11_tutorial_pets

Quarto cannot be installed on the machines this project is built on, so the pages are rendered by the
offline docs check (`tests/test_docs.py`: nbdev's own processing, then nbconvert standing in for Quarto).
The notebooks' `images/` folder is copied beside the pages so that their pictures show, and each page is
saved as `nbs/images/docs_<name>.png` (the top `--height` pixels of the page, 1280 px wide).
"""
import argparse, os, shutil, subprocess, sys, tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NBS = ROOT/'nbs'

def render(names:list[str], out:Path):
    "Render the pages of notebooks `names` into `out` with the offline docs check."
    sel = ' or '.join(f'[{n}.ipynb]' for n in names)
    env = {**os.environ, 'CLIP_SEARCH_DOCS_HTML': str(out)}
    cmd = [sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', str(ROOT/'tests'/'test_docs.py'), '-k', f'test_html_page and ({sel})']
    p = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if p.returncode: sys.exit(f"rendering failed:\n{p.stdout[-3000:]}{p.stderr[-2000:]}")
    shutil.copytree(NBS/'images', out/'images', dirs_exist_ok=True)

def screenshot(page:Path, dest:Path, height:int):
    "Save the top `height` pixels of `page` as PNG `dest`."
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path='/usr/bin/chromium', args=['--no-sandbox'])
        try:
            pg = b.new_page(viewport=dict(width=1280, height=height))
            pg.goto(page.as_uri()); pg.wait_for_load_state('load')
            pg.screenshot(path=str(dest), clip=dict(x=0, y=0, width=1280, height=min(height, pg.evaluate('document.body.scrollHeight'))))
        finally: b.close()

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('names', nargs='+', help='notebook names without .ipynb, e.g. 06_search')
    ap.add_argument('--height', type=int, default=2400, help='pixels of each page to keep, from the top')
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        render(a.names, Path(d))
        for n in a.names:
            dest = NBS/'images'/f'docs_{n}.png'
            screenshot(Path(d)/f'{n}.html', dest, a.height)
            print(f"{dest.relative_to(ROOT)}")
