"""How fast the command line answers (issue 13): cold `--help`, cold `search` / `similar` / `info`, and a warm query, over a
100k-vector index made with the ViT-B/32-shaped test model; the fast path (no torch for help, the exported text tower for
text queries) side by side with the default path of before (the model loaded for every text query, torch imported up front).

    python bench/cli.py [--n 100000] [--repeat 5]

Cold = a new process per command, as a user types it; each figure is the median of `--repeat` runs: wall time, and the CPU
time (user + system) of the process, which other work on a shared machine inflates much less than wall time.
The floor row is `python -c pass`: what starting the interpreter costs on this machine, before clip-search does anything.
"""
import argparse, os, resource, statistics, subprocess, sys, time
from pathlib import Path

# the default path of before: no exported text tower (queries load the model), and torch imported before anything else
_BEFORE = ("import sys; sys.modules['clip_search.texttower'] = None; import torch, transformers\n"
           "from clip_search.cli import main; main(sys.argv[1:])")
_NOW = "import sys; from clip_search.cli import main; main(sys.argv[1:])"

def build(db:Path, n:int):
    "A `n`-vector index for the ViT-B/32-shaped test model (synthetic clustered vectors), made once and reused."
    from clip_search.search import ImageSearch
    from clip_search.testing import random_clip, clustered_vectors
    s = ImageSearch(db, model=str(random_clip('vit-b-32')))
    if len(s) >= n: return s
    t = time.time()
    x = clustered_vectors(n - len(s), 512, seed=3)
    s.add_vectors([{'uri': f'/bench/img{len(s)+i:06}.jpg', 'width': 640, 'height': 480} for i in range(len(x))], x)
    print(f"built {db}: {len(s):,} vectors in {time.time()-t:.0f} s")
    return s

def _cpu()->float:
    "CPU seconds (user + system) of this process's waited-for children so far."
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime

def cold(code:str, args:list, repeat:int, env=None)->tuple[float, float]:
    "Median (wall, CPU) seconds of `python -c code ARGS` in a new process (the first run, which may export or warm a cache, not counted)."
    walls,cpus = [],[]
    for i in range(repeat + 1):
        t,c = time.perf_counter(), _cpu()
        p = subprocess.run([sys.executable, '-c', code, *map(str, args)], capture_output=True, text=True, env=env)
        if p.returncode: raise SystemExit(f"failed: {args}: {p.stderr.strip()[-500:]}")
        if i: walls.append(time.perf_counter() - t); cpus.append(_cpu() - c)
    return statistics.median(walls), statistics.median(cpus)

def warm(db:Path, tower:bool, repeat:int)->tuple[float, float]:
    "Median (wall, CPU) seconds of one text query in a process that has already answered one."
    code = (("import sys; sys.modules['clip_search.texttower'] = None\n" if not tower else "") +
            "import time, statistics, sys\nfrom clip_search.search import ImageSearch\n"
            f"s = ImageSearch({str(db)!r}); s.search('a photo of a dog', k=10)\nts = []\n"
            f"for i in range({repeat}):\n    t,c = time.perf_counter(),time.process_time(); s.search(f'a photo of a cat {{i}}', k=10)\n"
            "    ts.append((time.perf_counter() - t, time.process_time() - c))\n"
            "print(statistics.median(t for t,_ in ts), statistics.median(c for _,c in ts))")
    p = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    if p.returncode: raise SystemExit(f"warm query failed: {p.stderr.strip()[-500:]}")
    w,c = p.stdout.split()[-2:]
    return float(w), float(c)

def main():
    a = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    a.add_argument('--n', type=int, default=100_000)
    a.add_argument('--repeat', type=int, default=5)
    a.add_argument('--repeat-before', type=int, default=None, help="runs of the default path (default: --repeat); it takes many seconds each")
    a.add_argument('--db', default=None, help="index directory (default: in the clip-search cache)")
    o = a.parse_args()
    try: from clip_search.core import cache_dir
    except ImportError: from clip_search.testing import cache_dir
    db = Path(o.db or cache_dir()/f'bench-cli-{o.n}')
    s = build(db, o.n)
    some_id = int(s.catalog.ids()[len(s)//2]); del s
    print(f"{o.n:,} vectors, ViT-B/32-shaped test model; load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} (1, 5, 15 min) on {os.cpu_count()} CPUs; median of {o.repeat} (default path: {o.repeat_before or o.repeat})\n")
    rows = [('--help (cold)', ['--help']), ('search --help (cold)', ['search', '--help']),
            ('search DB "text" (cold)', ['search', db, 'a photo of a dog']), ('similar DB ID (cold)', ['similar', db, some_id]),
            ('info DB (cold)', ['info', db])]
    print(f"{'':<26} {'fast path':>19} {'default path':>19}  target (wall)")
    print(f"{'':<26} {'wall':>9} {'CPU':>9} {'wall':>9} {'CPU':>9}")
    w,c = cold('pass', [], o.repeat)
    print(f"{'python -c pass (floor)':<26} {w:>8.2f}s {c:>8.2f}s")
    targets = {'--help (cold)': 0.5, 'search DB "text" (cold)': 1.0}
    for name,args in rows:
        (w,c),(wb,cb) = cold(_NOW, args, o.repeat), cold(_BEFORE, args, o.repeat_before or o.repeat)
        print(f"{name:<26} {w:>8.2f}s {c:>8.2f}s {wb:>8.2f}s {cb:>8.2f}s  {'≤ %.1f s' % targets[name] if name in targets else ''}")
    (w,c),(wb,cb) = warm(db, True, o.repeat*4), warm(db, False, o.repeat*4)
    print(f"{'text query (warm)':<26} {w*1e3:>7.1f}ms {c*1e3:>7.1f}ms {wb*1e3:>7.1f}ms {cb*1e3:>7.1f}ms")
    print(f"\nload average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())} (1, 5, 15 min)")

if __name__ == '__main__': main()
