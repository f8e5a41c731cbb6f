"""Abuse check for `clip-search serve` (issue 11, rules 5 and 9): memory under hostile uploads, searches during a re-index.

Two phases against a real `clip-search serve` on 127.0.0.1, started by this script:

  1. uploads: N clients (default 30) each POST a ~5 MB PNG of 6000x6000 pixels to /api/search at the same moment.
     Prints the server's resident memory before, its peak (VmHWM) after, and the growth. Decoded at full size
     all at once, they would take N x 144 MB; the server decodes a few at a time, at the model's size.
  2. re-index: a collection of F files (default 300) is indexed and served; then every file is changed and
     `clip-search index FOLDER --db DB` runs again (the public CLI, in its own process), while C clients search
     by text back to back. Prints searches/s during the re-index, and how many returned fewer than k results
     (goal: 0: readers see only committed states), and whether the server shows the new rows afterwards.

    python bench/abuse.py                     # defaults: 30 uploads, 300 files, 8 search clients, tiny test model
    python bench/abuse.py --model vit-b-32    # the ViT-B/32-shaped random-weight model
"""
import argparse, asyncio, io, os, random, shutil, socket, subprocess, sys, tempfile, time
from pathlib import Path
import numpy as np
import httpx
from PIL import Image

os.environ.setdefault('HF_HUB_OFFLINE', '1')
from clip_search.testing import random_clip

EXE = str(Path(sys.executable).parent/'clip-search') if (Path(sys.executable).parent/'clip-search').exists() else 'clip-search'

def noisy_png(side=6000, seed=0, rows=26)->bytes:
    "A `side`x`side` PNG of about 5 MB: flat blocks of colour, with a row of noise every `rows` rows."
    rng = np.random.default_rng(seed)
    a = np.repeat(np.repeat(rng.integers(0, 256, (side//100, side//100, 3), np.uint8), 100, 0), 100, 1)
    a[::rows] = rng.integers(0, 256, a[::rows].shape, np.uint8)
    buf = io.BytesIO(); Image.fromarray(a).save(buf, 'PNG', compress_level=1)
    return buf.getvalue()

def photos(folder:Path, n:int, seed:int):
    "`n` small JPEGs in `folder` (the same names for every seed, other pixels)."
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for i in range(n):
        a = np.repeat(np.repeat(rng.integers(0, 256, (8, 8, 3), np.uint8), 32, 0), 32, 1)
        Image.fromarray(a).save(folder/f'img{i:04d}.jpg', quality=85)

def mem(pid:int)->dict:
    "VmRSS and VmHWM (peak) of process `pid`, in MB."
    out = {}
    for line in Path(f'/proc/{pid}/status').read_text().splitlines():
        k,_,v = line.partition(':')
        if k in ('VmRSS', 'VmHWM'): out[k] = int(v.split()[0])/1024
    return out

def start(db:Path, port:int)->subprocess.Popen:
    p = subprocess.Popen([EXE, 'serve', str(db), '--port', str(port), '--log-level', 'warning'])
    base = f'http://127.0.0.1:{port}'
    for _ in range(3000):
        if p.poll() is not None: sys.exit('the server stopped')
        try:
            if httpx.get(f'{base}/api/health', timeout=2).status_code == 200: return p
        except httpx.HTTPError: pass
        time.sleep(0.1)
    sys.exit('the server did not come up')

def free_port()->int:
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

async def uploads(base:str, n:int, data:bytes)->list[int]:
    async with httpx.AsyncClient(base_url=base, timeout=600) as c:
        rs = await asyncio.gather(*[c.post('/api/search', files={'image': ('big.png', data, 'image/png')}, data={'k': '3'}) for _ in range(n)],
                                  return_exceptions=True)
    return [getattr(r, 'status_code', -1) for r in rs]

def phase_uploads(a, tmp:Path):
    db = tmp/'small'
    photos(tmp/'small-photos', 20, 0)
    subprocess.run([EXE, 'index', str(tmp/'small-photos'), '--db', str(db), '--model', a.model_path], check=True, capture_output=True)
    data = noisy_png()
    port = free_port(); server = start(db, port)
    try:
        base = f'http://127.0.0.1:{port}'
        httpx.get(f'{base}/api/search', params={'q': 'warm up'}, timeout=60)
        before = mem(server.pid)
        t = time.perf_counter()
        codes = asyncio.run(uploads(base, a.uploads, data))
        after = mem(server.pid)
        print(f"1. uploads: {a.uploads} concurrent uploads of a {len(data)/2**20:.1f} MB 6000x6000 PNG in {time.perf_counter()-t:.1f} s, "
              f"statuses {sorted(set(codes))}; server RSS {before['VmRSS']:.0f} MB before, peak {after['VmHWM']:.0f} MB, "
              f"growth {after['VmHWM']-before['VmRSS']:+.0f} MB (all decoded at once: {a.uploads*144:,} MB)")
    finally: server.terminate(); server.wait(60)

async def searcher(base:str, k:int, stop:asyncio.Event, stats:dict, seed:int):
    rng = random.Random(seed)
    async with httpx.AsyncClient(base_url=base, timeout=60) as c:
        while not stop.is_set():
            try:
                r = await c.get('/api/search', params={'q': f'a photo {rng.random()}', 'k': k})
                n = len(r.json()['hits']) if r.status_code == 200 else -1
            except (httpx.HTTPError, ValueError): n = -1
            stats['searches'] += 1
            if n < 0: stats['errors'] += 1
            elif n < k: stats['short'] += 1

async def during(base:str, cmd:list, clients:int, k:int)->tuple[dict, float, int]:
    stop,stats = asyncio.Event(),dict(searches=0, short=0, errors=0)
    tasks = [asyncio.create_task(searcher(base, k, stop, stats, j)) for j in range(clients)]
    t = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(*cmd, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    rc = await proc.wait()
    secs = time.perf_counter()-t
    stop.set(); await asyncio.gather(*tasks)
    return stats, secs, rc

def phase_reindex(a, tmp:Path):
    folder,db = tmp/'photos',tmp/'index'
    photos(folder, a.files, 1)
    subprocess.run([EXE, 'index', str(folder), '--db', str(db), '--model', a.model_path], check=True, capture_output=True)
    port = free_port(); server = start(db, port)
    try:
        base = f'http://127.0.0.1:{port}'
        n0 = httpx.get(f'{base}/api/health').json()['images']
        photos(folder, a.files, 2) # every file changed
        for i in range(a.files//10): Image.new('RGB', (64, 64), (i, 0, 0)).save(folder/f'new{i:03d}.png') # and some new ones
        stats,secs,rc = asyncio.run(during(base, [EXE, 'index', str(folder), '--db', str(db)], a.clients, a.k))
        time.sleep(a.settle)
        n1 = httpx.get(f'{base}/api/health').json()['images']
        print(f"2. re-index of {a.files} changed files (+{a.files//10} new) took {secs:.1f} s (exit {rc}); meanwhile {a.clients} clients made "
              f"{stats['searches']} searches, {stats['searches']/secs:.1f} results/s, {stats['short']} with fewer than k={a.k} hits, "
              f"{stats['errors']} errors; the server shows {n1} images ({n0} before; {a.files + a.files//10} expected) {a.settle:g} s after")
    finally: server.terminate(); server.wait(60)

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--model', default='tiny', help="random-weight test model shape: tiny or vit-b-32")
    ap.add_argument('--uploads', type=int, default=30)
    ap.add_argument('--files', type=int, default=300)
    ap.add_argument('--clients', type=int, default=8, help='search clients during the re-index')
    ap.add_argument('-k', type=int, default=10)
    ap.add_argument('--settle', type=float, default=5, help='seconds to wait after the re-index before counting the rows served')
    ap.add_argument('--skip', choices=['uploads', 'reindex'], help='leave out one phase')
    a = ap.parse_args()
    a.model_path = str(random_clip(a.model))
    print(f"model: random-weight {a.model} test checkpoint; load: {os.getloadavg()[0]:.1f}")
    tmp = Path(tempfile.mkdtemp(prefix='clip-search-abuse-'))
    try:
        if a.skip != 'uploads': phase_uploads(a, tmp)
        if a.skip != 'reindex': phase_reindex(a, tmp)
    finally: shutil.rmtree(tmp, ignore_errors=True)
    print(f"load after: {os.getloadavg()[0]:.1f}")

if __name__ == '__main__': main()
