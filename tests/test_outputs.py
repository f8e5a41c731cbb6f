"""Saved notebook outputs are documentation (issue 17): none may hold an error, a traceback, a temp path,
a home or cache path or a progress bar, since each would show on the docs site or churn between runs."""
import json, re
from pathlib import Path
import pytest

NBS = sorted((Path(__file__).resolve().parent.parent/'nbs').glob('*.ipynb'))
BAD = {'a traceback': re.compile(r'Traceback \(most recent call last\)'),
       'a temp path': re.compile(r'/tmp/|/var/folders/|\\AppData\\Local\\Temp'),
       'a home or cache path': re.compile(r'/root/|/home/\w+/|\.cache/clip-search'),
       'a progress bar': re.compile(r'\d+it/s\]|\|\s*\d+/\d+ \[\d\d:\d\d')}

def texts(out:dict)->list[str]:
    "Every text an output carries: stream text, and each text-like mime type of display/execute results."
    if out.get('output_type') == 'stream': return [''.join(out.get('text', ''))]
    data = out.get('data', {})
    return [''.join(v) if isinstance(v, list) else str(v) for k,v in data.items() if k.startswith('text/') or k.endswith('json')]

def problems(nb:dict)->list[str]:
    found = []
    for i,c in enumerate(nb['cells']):
        for o in c.get('outputs', []):
            if o.get('output_type') == 'error': found.append(f"cell {i}: an error output ({o.get('ename')})")
            for t in texts(o):
                found += [f"cell {i}: {what}" for what,rx in BAD.items() if rx.search(t)]
    return found

def test_problems_are_found():
    nb = {'cells': [{'outputs': [{'output_type': 'error', 'ename': 'ValueError'}]},
                    {'outputs': [{'output_type': 'stream', 'text': ['saved to /tmp/tmpab12/x.db\n']}]},
                    {'outputs': [{'output_type': 'display_data', 'data': {'text/plain': ['100%|##| 3/3 [00:01<00:00, 2.9it/s]']}}]},
                    {'outputs': [{'output_type': 'display_data', 'data': {'text/html': ['model /root/.cache/clip-search/random-clip']}}]}]}
    assert problems(nb) == ['cell 0: an error output (ValueError)', 'cell 1: a temp path', 'cell 2: a progress bar', 'cell 3: a home or cache path']
    assert problems({'cells': [{'outputs': [{'output_type': 'stream', 'text': ['3 results\n']}]}]}) == []

@pytest.mark.parametrize('nb', NBS, ids=[p.name for p in NBS])
def test_saved_outputs_are_clean(nb:Path):
    assert not (p := problems(json.loads(nb.read_text()))), f"{nb.name}: " + '; '.join(p)
