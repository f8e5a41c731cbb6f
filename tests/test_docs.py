"""The offline docs check: everything `nbdev_docs` does except `quarto render`.

`nbdev_docs` is `_pre_docs` (install Quarto if missing, refresh `nbs/nbdev.yml`, rebuild `_modidx.py`,
write `nbs/sidebar.yml`, then `proc_nbs`: run nbdev's processors on every notebook into `_proc/`,
which adds and executes a `show_doc` cell for every exported name) followed by `quarto render` of
`_proc/`. Quarto cannot be installed on the machines this project is built on, so this file runs
nbdev's own `_pre_docs` with only the Quarto install step replaced by a no-op, then renders each
processed notebook to a standalone HTML page with nbconvert (no network, no Quarto) and checks,
per notebook, that:

- nbdev's processing succeeded (the error and its traceback are shown if not),
- no cell of the processed notebook holds an error or a traceback,
- no cell mixes imports with other code (nbdev's docs build executes such cells out of context),
- the page is non-trivial, carries the notebook's title, shows only pictures that exist, and has a `show_doc`
  section for every function and class in the matching module's `__all__`.

It also checks that `nbs/_quarto.yml` is a symlink to the one real `_quarto.yml` and that the
`_proc/_quarto.yml` Quarto would render from has the same content.

Like `nbdev_docs`, it writes `nbs/nbdev.yml` and `nbs/sidebar.yml` (gitignored) and rebuilds
`clip_search/_modidx.py` (unchanged while the package is in sync with the notebooks). `_proc/`
(gitignored, nbdev's cache) is rebuilt from scratch and removed afterwards unless it existed before.
Set `CLIP_SEARCH_DOCS_HTML=some/dir` to keep the rendered pages and look at them in a browser.
"""
import ast, html, importlib, inspect, json, os, re, shutil, sys, traceback
from pathlib import Path

import pytest, yaml
import nbdev.quarto, nbdev.serve, nbdev.serve_drv
from nbdev.config import get_config
from nbdev.doclinks import nbglob
from nbdev.process import NBProcessor
from nbdev.processors import FilterDefaults
from execnb.nbio import read_nb

CFG = get_config(path=Path(__file__).resolve().parent)
ROOT, NBS_PATH, LIB = CFG.config_path, CFG.nbs_path, CFG.lib_path
PROC = ROOT/'_proc'
# The notebooks `proc_nbs` processes: nbdev's glob, which skips names starting with `_` or `.`.
NBS = [p for p in sorted(nbglob(NBS_PATH, as_path=True)) if p.suffix == '.ipynb']
IDS = [str(p.relative_to(NBS_PATH)) for p in NBS]

def _rel(nb:Path)->Path: return nb.relative_to(NBS_PATH)

@pytest.fixture(scope='session')
def docs(tmp_path_factory):
    "Run nbdev's docs preprocessing once; `results` maps each source file to None or the exception it raised."
    had_proc = PROC.exists()
    results = {}
    par = nbdev.serve.parallel
    def _parallel(f, items, *args, **kwargs):
        # `proc_nbs` maps `serve_drv.main` over (src, dst, proc) in worker processes and stops at the first
        # error; collect every notebook's outcome instead, so that a failure points at its notebook.
        items = list(items)
        res = par(f, items, *args, return_exceptions=True, **kwargs)
        results.update({Path(o[0]).resolve(): r for o, r in zip(items, res)})
        return res
    mp = pytest.MonkeyPatch()
    mp.setattr(nbdev.quarto, '_ensure_quarto', lambda: None)  # the only step that needs Quarto
    mp.setattr(nbdev.serve, 'parallel', _parallel)
    shutil.rmtree(PROC, ignore_errors=True)  # process every notebook afresh (like `force`, which would also force the sidebar)
    try: cache, _, _ = nbdev.quarto._pre_docs(str(NBS_PATH))
    finally: mp.undo()
    keep = os.environ.get('CLIP_SEARCH_DOCS_HTML')
    html_dir = Path(keep).absolute() if keep else tmp_path_factory.mktemp('html')
    yield dict(cache=Path(cache), results=results, html_dir=html_dir, tmp=tmp_path_factory.mktemp('reproc'), why={})
    if not had_proc: shutil.rmtree(PROC, ignore_errors=True)

def _reprocess(nb:Path, tmp:Path)->str:
    "Process `nb` again in this process, to show the full traceback a worker process cannot send back."
    env = dict(os.environ)
    try:
        nbdev.serve_drv.main((nb, tmp/nb.name, FilterDefaults))
        return '(it succeeded when processed again on its own)'
    except Exception as e:  # the error of the notebook's cell, without nbdev's own frames
        return ''.join(traceback.format_exception(e.__cause__ or e))
    finally: os.environ.clear(); os.environ.update(env)

def _processed(docs, nb:Path):
    "The processed notebook in `_proc/`, failing the test with nbdev's error if processing failed."
    res = docs['results'].get(nb.resolve(), 'not processed: `proc_nbs` did not pick it up')
    if res is not None:
        if isinstance(res, BaseException) and nb not in docs['why']: docs['why'][nb] = _reprocess(nb, docs['tmp'])
        pytest.fail(f"nbdev docs processing failed for {nb.name}: {res}\n{docs['why'].get(nb, '')}", pytrace=False)
    dst = docs['cache']/_rel(nb)
    assert dst.exists(), f'{dst} missing after processing'
    return read_nb(dst)

def _frontmatter(pnb)->dict:
    "The YAML front matter nbdev moved into the first raw cell."
    c = pnb.cells[0] if pnb.cells else None
    if c is None or c.cell_type != 'raw' or not c.source.startswith('---'): return {}
    return yaml.safe_load(c.source.strip().strip('-')) or {}

def _render_html(src:Path, dst:Path)->str:
    "Render the processed notebook `src` to HTML with nbconvert, standing in for Quarto offline."
    import nbformat
    from nbconvert import HTMLExporter
    from traitlets.config import Config
    d = json.loads(src.read_text(encoding='utf-8'))
    for c in d['cells']: c.pop('has_sd', None)  # nbdev's marker on the show_doc cells it added; not nbformat
    nb = nbformat.reads(json.dumps(d), as_version=4)
    fm = _frontmatter(read_nb(src))
    if fm:  # Quarto shows the front matter as the page's title and subtitle
        nb.cells[0] = nbformat.v4.new_markdown_cell(f"# {fm.get('title', '')}\n\n> {fm.get('description', '')}")
    for c in nb.cells:
        if c.cell_type != 'code': continue
        if re.search(r'^#\|\s*echo:\s*false', c.source, re.M):  # Quarto hides these sources (the `show_doc` calls)
            c.metadata.setdefault('tags', []).append('remove_input')
        for o in c.get('outputs', []):  # drop Quarto's link attributes, `[source](url){target="_blank" ...}`
            md = o.get('data', {}).get('text/markdown')
            if md: o['data']['text/markdown'] = re.sub(r'\]\(([^)\s]+)\)\{[^}\n]*\}', r'](\1)', md)
    exp = HTMLExporter(exclude_input_prompt=True, exclude_output_prompt=True,
                       config=Config(TagRemovePreprocessor=dict(enabled=True, remove_input_tags={'remove_input'})))
    body, _ = exp.from_notebook_node(nb, resources=dict(metadata=dict(name=fm.get('title', dst.stem))))
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_text(body, encoding='utf-8')
    return body

def _text(page:str)->str:
    "Visible text of an HTML page."
    page = re.sub(r'(?is)<(style|script)\b.*?</\1>', ' ', page)
    return html.unescape(re.sub(r'(?s)<[^>]+>', ' ', page))

def _module(nb:Path):
    "The module a notebook exports to (its `#| default_exp`), or None."
    for c in read_nb(nb).cells:
        m = re.search(r'^#\|\s*default_exp\s+(\S+)', c.source, re.M) if c.cell_type == 'code' else None
        if not m: continue
        sys.path.insert(0, str(ROOT))  # the package in this checkout, as `nbdev_test` puts it first on sys.path
        try: return importlib.import_module(f'{LIB.name}.{m.group(1)}')
        finally: sys.path.remove(str(ROOT))

def _doc_names(mod)->list[str]:
    "Names that get a `show_doc` section: the functions and classes a module defines and lists in `__all__`."
    res = []
    for nm in getattr(mod, '__all__', []):
        o = getattr(mod, nm, None)
        if not (inspect.isclass(o) or inspect.isfunction(o)): continue  # constants have no show_doc
        if getattr(o, '__module__', None) != mod.__name__: continue  # re-exported from elsewhere
        qn = o.__qualname__  # `VectorIndex.add` for a method added with `@patch`, as nbdev names it
        if qn.split('.')[-1] == nm: res.append(qn)
    return res

@pytest.mark.parametrize('nb', NBS, ids=IDS)
def test_processed_without_errors(docs, nb):
    pnb = _processed(docs, nb)
    bad = []
    for i, c in enumerate(pnb.cells):
        for o in c.get('outputs', []):
            txt = ''.join(o.get('text', '')) if o.get('output_type') == 'stream' else ''
            if o.get('output_type') == 'error' or 'Traceback (most recent call last)' in txt:
                bad.append(f"cell {i}:\n{c.source}\n--> {o.get('ename', '')}: {o.get('evalue', '') or txt[-500:]}")
    assert not bad, f'{nb.name}: error output in the docs:\n' + '\n\n'.join(bad)

@pytest.mark.parametrize('nb', NBS, ids=IDS)
def test_no_mixed_import_cells(nb):
    "nbdev's docs build executes every cell holding an import, out of context; keep imports in their own cells."
    show = {'export', 'exports', 'exporti', 'exec_doc'}
    bad = []
    for i, c in enumerate(NBProcessor(nb).nb.cells):
        if c.cell_type != 'code' or not c.source or set(c.directives_) & show: continue
        if c.directives_.get('eval:', [''])[0].lower() == 'false': continue
        try: trees = ast.parse(c.source).body
        except SyntaxError: continue  # magics: nbdev does not execute these either
        has_imp = any(isinstance(n, (ast.Import, ast.ImportFrom)) for t in trees for n in ast.walk(t))
        if has_imp and not all(isinstance(t, (ast.Import, ast.ImportFrom)) for t in trees): bad.append(f"cell {i} (counting from 0):\n{c.source}")
    assert not bad, (f'{nb.name}: cells mixing imports with other code; nbdev docs processing runs them without '
                     'the cells before them (see nbdev FAQ). Move the imports into an imports cell:\n\n' + '\n\n'.join(bad))

@pytest.mark.parametrize('nb', NBS, ids=IDS)
def test_html_page(docs, nb):
    pnb = _processed(docs, nb)
    fm = _frontmatter(pnb)
    title = fm.get('title')
    assert title, f'{nb.name}: no title (the first cell should be a markdown `# Title` heading)'
    page = _render_html(docs['cache']/_rel(nb), docs['html_dir']/_rel(nb).with_suffix('.html'))
    text = _text(page)
    assert len(text.split()) > 50, f'{nb.name}: the rendered page is nearly empty'
    assert re.search(rf'<h1[^>]*>\s*{re.escape(html.escape(title, quote=False))}', page), f'{nb.name}: title {title!r} not on the page'
    srcs = re.findall(r'<img\b[^>]*\bsrc="([^"]+)"', page)
    broken = [s for s in srcs if not re.match(r'(data|https?):', s) and not (nb.parent/html.unescape(s)).is_file()]
    assert not broken, f'{nb.name}: pictures the page shows but nbs/ lacks: {broken}'
    mod = _module(nb)
    if mod is None: return
    # nbdev inserts and runs `show_doc(name)` after each export, whose markdown starts with a `### name` heading
    docd = {m.group(1) for c in pnb.cells for o in c.get('outputs', [])
            for m in re.finditer(r'^#+ (\S+)', ''.join(o.get('data', {}).get('text/markdown', '')), re.M)}
    names = _doc_names(mod)
    missing = [n for n in names if n not in docd]
    assert not missing, f'{nb.name}: no show_doc output for {missing} from {mod.__name__}.__all__'
    missing = [n for n in names if not re.search(rf'<h\d[^>]*>\s*{re.escape(n)}\s*<', page)]
    assert not missing, f'{nb.name}: no show_doc heading on the HTML page for {missing}'

def test_quarto_yml(docs):
    "One real Quarto config: `nbs/_quarto.yml` links to `_quarto.yml`, and `_proc/` gets its content."
    link, real = NBS_PATH/'_quarto.yml', ROOT/'_quarto.yml'
    assert real.is_file() and not real.is_symlink(), f'{real} should be the real Quarto config'
    assert link.is_symlink(), f'{link} should be a symlink to {real}'
    assert link.resolve() == real.resolve(), f'{link} points at {os.readlink(link)}, not {real}'
    proc = docs['cache']/'_quarto.yml'
    assert proc.is_file(), f'{proc} missing: Quarto would render without the project config'
    assert proc.read_text() == real.read_text(), f'{proc} differs from {real}'
    qy = yaml.safe_load(real.read_text())
    for f in qy.get('metadata-files', []): assert (docs['cache']/f).is_file(), f'{f} (metadata-files) missing from _proc/'

def test_sidebar_lists_every_notebook(docs):
    sidebar = (docs['cache']/'sidebar.yml').read_text()
    missing = [i for i in IDS if i not in sidebar]
    assert not missing, f'sidebar.yml does not list {missing}'
