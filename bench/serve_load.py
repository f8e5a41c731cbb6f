"""Load check for `clip-search serve`: bounded concurrent text searches against a local server.

Builds (once, then reuses) a collection of 100,000 synthetic 512-d vectors for the ViT-B/32-shaped
random-weight test model, starts `clip-search serve` on 127.0.0.1, and runs three phases of
GET /api/search?q=...&k=10 with a different text every request (so the server's query cache never helps):

  1. latency: 1 client, one request after another: what one text search costs (embed + FAISS + catalogue + JSON)
  2. load:    N clients (default 50) for D seconds (default 30), each sending its next request as soon as
              the last is answered: the most the server can do, and the latency a client sees at that load
  3. users:   N clients that each wait --think seconds between requests, like people using the page

and prints requests/s, p50/p90/p99 latency and the error count of each. The client runs on the same
machine as the server and takes some of its CPU; `uptime` is printed before and after, since other
work on the machine changes the figures.

    python bench/serve_load.py                       # defaults: 50 clients, 30 s, 1 worker
    python bench/serve_load.py --workers 2 --clients 20 --duration 10
    python bench/serve_load.py --workers 1,2           # both configurations, one after the other, in one run

Each phase also prints the CPU the load client itself used (share of the machine's cores), since it runs beside the server.
"""
import argparse, asyncio, os, random, resource, socket, subprocess, sys, time
from pathlib import Path
import numpy as np
import httpx

os.environ.setdefault('HF_HUB_OFFLINE', '1')
from clip_search.search import ImageSearch
from clip_search.testing import cache_dir, clustered_vectors, random_clip

WORDS = ('cat dog fork car tree house boat bird flower mountain beach city street horse cup bottle chair table lamp book '
         'red blue green small large old new fluffy shiny wooden').split()

def build(db:Path, n:int)->ImageSearch:
    "A collection of `n` synthetic vectors with catalogue records, made with `ImageSearch.add_vectors`."
    s = ImageSearch(db, model=random_clip('vit-b-32'))
    if len(s) >= n: return s
    t = time.perf_counter()
    x = clustered_vectors(n, s.embedder.dim, seed=0)
    recs = [dict(uri=f'https://images.example.invalid/{i}.jpg', caption=f'synthetic image {i}') for i in range(n)]
    s.add_vectors(recs, x)
    print(f"built {db}: {len(s):,} vectors in {time.perf_counter()-t:.0f} s")
    return s

def query(i:int, rng:random.Random)->str: return f"a photo of a {' '.join(rng.sample(WORDS, 3))} {i}"

def stats(lat:list[float], errors:int, seconds:float)->str:
    if not lat: return f"no successful requests, {errors} errors"
    ms = np.array(lat)*1000
    p50,p90,p99 = np.percentile(ms, [50, 90, 99])
    return (f"{len(lat)/seconds:7.1f} req/s  p50 {p50:6.1f} ms  p90 {p90:6.1f} ms  p99 {p99:6.1f} ms  "
            f"max {ms.max():6.1f} ms  ({len(lat)} ok, {errors} errors)")

async def run(base:str, clients:int, duration:float, think:float=0., k:int=10, seed:int=0)->tuple[list, int, float]:
    "`clients` concurrent loops of text searches for `duration` seconds: (latencies, errors, elapsed)."
    lat,errors,counter = [],0,iter(range(10**9))
    end = time.perf_counter() + duration
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=httpx.Limits(max_connections=clients)) as c:
        async def client(j):
            nonlocal errors
            rng = random.Random(seed*1000 + j)
            if think: await asyncio.sleep(rng.uniform(0, think)) # users do not all arrive at once
            while time.perf_counter() < end:
                t = time.perf_counter()
                try:
                    r = await c.get('/api/search', params={'q': query(next(counter) + seed*10**8, rng), 'k': k})
                    ok = r.status_code == 200 and len(r.json()['hits']) == k
                except (httpx.HTTPError, ValueError): ok = False
                if ok: lat.append(time.perf_counter() - t)
                else: errors += 1
                if think: await asyncio.sleep(rng.expovariate(1/think))
        t0 = time.perf_counter()
        await asyncio.gather(*[client(j) for j in range(clients)])
        return lat, errors, time.perf_counter() - t0

def client_cpu()->float:
    r = resource.getrusage(resource.RUSAGE_SELF); return r.ru_utime + r.ru_stime

def phase(base, clients, duration, think=0., seed=0)->str:
    "One phase's figures, with the share of the machine's CPU the client took."
    c0 = client_cpu()
    lat,err,sec = asyncio.run(run(base, clients, duration, think=think, seed=seed))
    share = (client_cpu()-c0)/(sec*(os.cpu_count() or 1))
    return f"{stats(lat, err, sec)}  client CPU {100*share:.0f}% of {os.cpu_count()} cores"

def uptime()->str: return subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()

def serve_and_load(a, workers:int):
    "Start `clip-search serve --workers N` on the collection and run the three phases against it."
    with socket.socket() as so: so.bind(('127.0.0.1', 0)); port = so.getsockname()[1]
    base = f'http://127.0.0.1:{port}'
    exe = Path(sys.executable).parent/'clip-search'
    server = subprocess.Popen([str(exe if exe.exists() else 'clip-search'), 'serve', a.db, '--port', str(port), '--workers', str(workers),
                               '--log-level', 'warning'])
    try:
        t = time.perf_counter()
        while True:
            if server.poll() is not None: sys.exit('the server stopped')
            try:
                if httpx.get(f'{base}/api/health', timeout=2).status_code == 200: break
            except httpx.HTTPError: time.sleep(0.2)
        print(f"server up in {time.perf_counter()-t:.1f} s ({workers} worker{'s'*(workers>1)}); warming up")
        asyncio.run(run(base, 4, 3, seed=9))
        print(f"1. latency, 1 client, {a.latency_duration:.0f} s:      {phase(base, 1, a.latency_duration, seed=1)}")
        print(f"2. load, {a.clients} clients, {a.duration:.0f} s, no pause: {phase(base, a.clients, a.duration, seed=2)}")
        print(f"3. users, {a.clients} clients, {a.duration:.0f} s, ~{a.think:g} s between requests: {phase(base, a.clients, a.duration, think=a.think, seed=3)}")
    finally:
        server.terminate(); server.wait(60)

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--db', default=str(cache_dir()/'bench-serve-100k'), help='collection directory (built on first use)')
    ap.add_argument('-n', type=int, default=100_000, help='vectors in the collection')
    ap.add_argument('--clients', type=int, default=50)
    ap.add_argument('--duration', type=float, default=30, help='seconds of the load and users phases')
    ap.add_argument('--think', type=float, default=1.0, help='mean seconds each client waits between requests in the users phase')
    ap.add_argument('--workers', default='1', help='uvicorn worker processes; a comma-separated list runs each configuration in turn')
    ap.add_argument('--latency-duration', type=float, default=10, help='seconds of the one-client phase')
    a = ap.parse_args()
    print(f"before: {uptime()}")
    s = build(Path(a.db), a.n)
    i = s.info()
    print(f"collection: {i['images']:,} vectors of {i['dim']}, index {i['index']}, model {Path(i['model']).name}")
    del s
    for workers in [int(w) for w in str(a.workers).split(',')]: serve_and_load(a, workers)
    print(f"after:  {uptime()}")

if __name__ == '__main__': main()
