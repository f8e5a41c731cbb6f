"""Structure rules of the package (issue 12), checked on the exported code with `ast`:

- no import cycle among `clip_search` modules, counting imports inside functions too;
- production modules never import the test scaffolding (`testing` and the modules named `testing_*`);
- no function or method is longer than 60 lines; a template that is mostly text may reach 80.
"""
import ast
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent/'clip_search'
MODULES = {p.stem: ast.parse(p.read_text(), str(p)) for p in sorted(PKG.glob('*.py')) if p.stem not in ('__init__', '_modidx')}
def is_scaffolding(name:str)->bool: return name == 'testing' or name.startswith('testing_')
MAX_LINES, MAX_TEMPLATE_LINES = 60, 80

def imported(tree:ast.AST, me:str)->set[str]:
    "The `clip_search` modules a module imports anywhere in its body (top level or inside functions)."
    out = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.ImportFrom):
            if n.level == 1 and n.module: out.add(n.module.split('.')[0])
            elif n.level == 1: out |= {a.name for a in n.names}                    # from . import x
            elif n.module == 'clip_search': out |= {a.name for a in n.names}
            elif n.module and n.module.startswith('clip_search.'): out.add(n.module.split('.')[1])
        elif isinstance(n, ast.Import):
            out |= {a.name.split('.')[1] for a in n.names if a.name.startswith('clip_search.')}
    return {m for m in out if m in MODULES and m != me}

GRAPH = {m: imported(t, m) for m,t in MODULES.items()}

def cycles(graph:dict)->list[list[str]]:
    "Every elementary cycle found by a depth-first search (enough to name one per strongly connected part)."
    found, state = [], {}
    def visit(m, stack):
        state[m] = 'open'; stack.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == 'open': found.append(stack[stack.index(n):] + [n])
            elif n not in state: visit(n, stack)
        stack.pop(); state[m] = 'done'
    for m in sorted(graph):
        if m not in state: visit(m, [])
    return found

def test_no_import_cycles():
    assert GRAPH, 'no modules found'
    assert not cycles(GRAPH), f'import cycles: {cycles(GRAPH)}'

def test_cycle_finder_finds_a_planted_cycle():
    assert cycles({'a': {'b'}, 'b': {'c'}, 'c': {'a'}, 'd': set()}) == [['a', 'b', 'c', 'a']]
    assert not cycles({'a': {'b'}, 'b': set()})

def test_production_never_imports_testing():
    bad = {m: sorted(i for i in deps if is_scaffolding(i)) for m,deps in GRAPH.items() if not is_scaffolding(m)}
    bad = {m: v for m,v in bad.items() if v}
    assert not bad, f'production modules import test scaffolding: {bad}'

def functions(tree:ast.AST):
    for n in ast.walk(tree):
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)): yield n

def is_template(f:ast.AST)->bool:
    "A function that is mostly text: string constants take at least half of its lines."
    text = sum(c.end_lineno - c.lineno + 1 for c in ast.walk(f) if isinstance(c, ast.Constant) and isinstance(c.value, str) and c.end_lineno > c.lineno)
    return text*2 >= f.end_lineno - f.lineno + 1

def test_function_length():
    long = []
    for m,t in MODULES.items():
        for f in functions(t):
            n = f.end_lineno - f.lineno + 1
            if n > (MAX_TEMPLATE_LINES if is_template(f) else MAX_LINES): long.append(f'{m}.{f.name}: {n} lines')
    assert not long, 'functions over the limit:\n' + '\n'.join(long)
