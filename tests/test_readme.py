"""The README's Python blocks run as pasted (issue 17): each block in a fresh interpreter, offline, in order,
in one scratch folder (a later block may open what an earlier one wrote, as a reader's would)."""
import os, re, subprocess, sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent/'README.md'

def python_blocks(text:str)->list[str]:
    "The ```python fenced blocks of a markdown text, in order."
    return re.findall(r'^```python\n(.*?)^```', text, flags=re.S|re.M)

def test_blocks_are_found():
    assert python_blocks("x\n```python\na = 1\n```\n```sh\nls\n```\n```python\nb\n```\n") == ['a = 1\n', 'b\n']
    assert python_blocks(README.read_text()), 'README.md has no ```python blocks'

def test_readme_blocks_run_as_pasted(tmp_path):
    env = {**os.environ, 'HF_HUB_OFFLINE': '1', 'TQDM_DISABLE': '1'}
    for i,block in enumerate(python_blocks(README.read_text())):
        r = subprocess.run([sys.executable, '-c', block], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, f"README block {i+1} failed as pasted:\n{block}\n--- stderr:\n{r.stderr[-3000:]}"
