"""Load check for `clip-search serve`: bounded concurrent text searches against a local server.

Builds (once, then reuses) a collection of 100,000 synthetic 512-d vectors for the ViT-B/32-shaped
random-weight test model, starts `clip-search serve` on 127.0.0.1, and runs three phases of
GET /api/search?q=...&k=10 with a different text every request (so the server's query cache never helps):

  1. latency: 1 client, one request after another: what one text search costs (embed + FAISS + catalogue + JSON)
  2. load:    N clients (default 50) for D seconds (default 30), each sending its next request as soon as
              the last is answered: the most the server can do, and the latency a client sees at that load
  3. users:   N clients that each wait --think seconds between requests, like people using the page

and prints requests/s, p50/p90/p99 latency and the error count of each. The client runs on the same
machine as the server and takes some of its CPU; the load average and a quick probe of the machine's
speed (matrix products, memory copies) are printed before, between and after, since other work on the machine,
or on other virtual machines of the same host, changes the figures: compare configurations within one run.

Configurations (`--configs`, comma-separated, each TEXT[:WORKERS[:MODE[:THREADS]]]) run one after the other, and a
table at the end puts them side by side; with `--rounds N` the whole list runs N times over (A B A B ...), so that
a change in the machine's speed shows as a difference between rounds rather than between configurations:
  TEXT     model: query texts embedded by the model, waiting texts batched, on the backend the guard timed fastest for texts (the default);
           tower: by the model's exported text tower, one at a time (`serve --text-tower`: ONNX Runtime, int8 where it passed its guard)
  WORKERS  `serve --workers N` (each worker loads its own model)
  MODE     the `mode` sent with each search: default (hybrid on this collection, whose records have captions),
           vector, hybrid or keyword
  THREADS  `serve --threads N`: the threads each worker's model runs on (default: serve's choice, `model_threads`)

    python bench/serve_load.py                                  # model:1, model:1:default:2, tower:1, model:2, model:1:vector
    python bench/serve_load.py --configs model:1 --clients 20 --duration 10
    python bench/serve_load.py --configs model:1:default:2,model:1 --rounds 3  # the model on 2 threads against serve's default, interleaved
    python bench/serve_load.py --distinct 20 --configs model:1,model:1:vector  # repeated queries: the query-vector cache answers

Each phase also prints the CPU the load client itself used (share of the machine's cores), since it runs beside the server.

The client (`--client`; `raw,httpx` runs both against each configuration) is a small HTTP/1.1 keep-alive client on asyncio streams (`raw`, the default: about a
tenth of a millisecond of CPU per request, so that the server, not the client, is what the figures measure), or
httpx (`httpx`: several times that CPU, which on a 2-core machine takes a good share of what the server could use).
Both send the same requests and check the same things: status 200 and `k` hits in the JSON.
"""
import argparse, asyncio, json, os, random, resource, socket, subprocess, sys, time, urllib.parse
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

class RawConnection:
    "One HTTP/1.1 keep-alive connection on asyncio streams: GET a path, get (status, body). Reconnects after an error."
    def __init__(self, base:str): self.host,self.port = base.split('//')[1].rsplit(':', 1); self.rw = None
    async def get(self, path:str)->tuple[int, bytes]:
        if self.rw is not None and self.rw[0].at_eof(): await self.close() # the server closed it while idle (keep-alive timeout)
        try:
            if self.rw is None: self.rw = await asyncio.open_connection(self.host, int(self.port))
            r,w = self.rw
            w.write(f'GET {path} HTTP/1.1\r\nHost: {self.host}\r\n\r\n'.encode())
            head = await asyncio.wait_for(r.readuntil(b'\r\n\r\n'), 60)
            lines = head.decode('latin-1').split('\r\n')
            length = next(int(l.split(':', 1)[1]) for l in lines if l.lower().startswith('content-length:'))
            body = await r.readexactly(length)
            if any(l.lower() == 'connection: close' for l in lines): await self.close()
            return int(lines[0].split()[1]), body
        except Exception: await self.close(); raise
    async def close(self):
        if self.rw: self.rw[1].close(); self.rw = None

class HttpxConnection:
    "The same requests through a shared `httpx.AsyncClient`."
    def __init__(self, c:httpx.AsyncClient): self.c = c
    async def get(self, path:str)->tuple[int, bytes]:
        r = await self.c.get(path); return r.status_code, r.content
    async def close(self): pass

async def run(base:str, clients:int, duration:float, think:float=0., k:int=10, seed:int=0, mode:str|None=None, distinct:int=0,
              kind:str='raw')->tuple[list, int, float]:
    "`clients` concurrent loops of text searches for `duration` seconds: (latencies, errors, elapsed)."
    lat,errors,counter = [],0,iter(range(10**9))
    end = time.perf_counter() + duration
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=httpx.Limits(max_connections=clients)) as c:
        async def client(j):
            nonlocal errors
            rng,conn = random.Random(seed*1000 + j),(RawConnection(base) if kind == 'raw' else HttpxConnection(c))
            if think: await asyncio.sleep(rng.uniform(0, think)) # users do not all arrive at once
            while time.perf_counter() < end:
                t = time.perf_counter()
                try:
                    i = next(counter)
                    q = query(i % distinct, random.Random(i % distinct)) if distinct else query(i + seed*10**8, rng)
                    status,body = await conn.get('/api/search?' + urllib.parse.urlencode({'q': q, 'k': k, **({'mode': mode} if mode else {})}))
                    ok = status == 200 and len(json.loads(body)['hits']) == k
                except (httpx.HTTPError, OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError, StopIteration): ok = False
                if ok: lat.append(time.perf_counter() - t)
                else: errors += 1
                if think: await asyncio.sleep(rng.expovariate(1/think))
            await conn.close()
        t0 = time.perf_counter()
        await asyncio.gather(*[client(j) for j in range(clients)])
        return lat, errors, time.perf_counter() - t0

def client_cpu()->float:
    r = resource.getrusage(resource.RUSAGE_SELF); return r.ru_utime + r.ru_stime

def phase(base, clients, duration, think=0., seed=0, mode=None, distinct=0, kind='raw')->tuple[str, dict]:
    "One phase's figures (a line, and the numbers for the table), with the share of the machine's CPU the client took."
    c0 = client_cpu()
    lat,err,sec = asyncio.run(run(base, clients, duration, think=think, seed=seed, mode=mode, distinct=distinct, kind=kind))
    share = (client_cpu()-c0)/(sec*(os.cpu_count() or 1))
    ms = np.array(lat or [np.nan])*1000
    return (f"{stats(lat, err, sec)}  client CPU {100*share:.0f}% of {os.cpu_count()} cores",
            dict(rps=len(lat)/sec, p50=np.percentile(ms, 50), p99=np.percentile(ms, 99), errors=err, client=100*share))

def load()->str: return ' '.join(f'{x:.2f}' for x in os.getloadavg())

def probe()->str:
    """How fast this machine is right now: float32 matrix products and memory copies, best of a few.
    The load average misses other virtual machines on the same host; these two show them (the text
    model's forward pass streams its weights from memory for every batch, so it slows down with the copy rate)."""
    a,b = np.ones((256, 768), np.float32),np.ones((768, 3072), np.float32)
    src,dst = np.ones(2**25, np.float32),np.empty(2**25, np.float32) # 128 MiB each: more than any cache
    gemm,copy = [],[]
    for _ in range(5):
        t = time.perf_counter(); a @ b; gemm.append(2*256*768*3072/(time.perf_counter()-t)/1e9)
        t = time.perf_counter(); np.copyto(dst, src); copy.append(2*src.nbytes/(time.perf_counter()-t)/2**30)
    return f"machine probe: matmul {max(gemm):.0f} GFLOP/s, memory {max(copy):.1f} GiB/s"

def serve_and_load(a, text:str, workers:int, mode:str|None, threads:int|None=None)->dict:
    "Start `clip-search serve` in one configuration and run the three phases against it: {phase: figures}."
    with socket.socket() as so: so.bind(('127.0.0.1', 0)); port = so.getsockname()[1]
    base = f'http://127.0.0.1:{port}'
    exe = Path(sys.executable).parent/'clip-search'
    server = subprocess.Popen([str(exe if exe.exists() else 'clip-search'), 'serve', a.db, '--port', str(port), '--workers', str(workers),
                               '--log-level', 'warning'] + (['--text-tower'] if text == 'tower' else []) + (['--threads', str(threads)] if threads else []))
    try:
        t = time.perf_counter()
        while True:
            if server.poll() is not None: sys.exit('the server stopped')
            try:
                if httpx.get(f'{base}/api/health', timeout=2).status_code == 200: break
            except httpx.HTTPError: time.sleep(0.2)
        print(f"\n== {text} text, {workers} worker{'s'*(workers>1)}, mode {mode or 'default'}, {threads or 'default'} model threads: server up in {time.perf_counter()-t:.1f} s; warming up; load {load()}; {probe()}")
        asyncio.run(run(base, 4, 3, seed=9, mode=mode, distinct=a.distinct)) # with --distinct, this also fills the query cache
        out = {}
        for n,kind in enumerate(a.client.split(',')):
            out[kind] = {}
            for name,label,clients,think,seed in (('latency', f"1 client, {a.latency_duration:.0f} s", 1, 0., 1),
                                                  ('load', f"{a.clients} clients, {a.duration:.0f} s, no pause", a.clients, 0., 2),
                                                  ('users', f"{a.clients} clients, {a.duration:.0f} s, ~{a.think:g} s between requests", a.clients, a.think, 3)):
                line,out[kind][name] = phase(base, clients, a.latency_duration if name == 'latency' else a.duration, think=think, seed=seed + 10*n, # new texts for each client: none cached
                                             mode=mode, distinct=a.distinct, kind=kind)
                print(f"{name:8s} {label}, {kind} client: {line}")
        return out
    finally:
        server.terminate(); server.wait(60)

def table(results:dict):
    "The configurations side by side."
    print(f"\n{'configuration':24s} {'1 client':>16s} {'load: req/s':>12s} {'p50':>8s} {'p99':>8s} {'err':>5s} {'client':>7s} {'users: p50':>11s} {'p99':>8s} {'err':>5s}")
    for c,r in results.items():
        l,L,u = r['latency'],r['load'],r['users']
        print(f"{c:24s} {l['rps']:6.1f}/s {l['p50']:5.1f} ms {L['rps']:12.1f} {L['p50']:6.1f}ms {L['p99']:6.0f}ms {L['errors']:5d} {L['client']:6.0f}% "
              f"{u['p50']:9.1f}ms {u['p99']:6.0f}ms {u['errors']:5d}")

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--db', default=str(cache_dir()/'bench-serve-100k'), help='collection directory (built on first use)')
    ap.add_argument('-n', type=int, default=100_000, help='vectors in the collection')
    ap.add_argument('--clients', type=int, default=50)
    ap.add_argument('--duration', type=float, default=30, help='seconds of the load and users phases')
    ap.add_argument('--think', type=float, default=1.0, help='mean seconds each client waits between requests in the users phase')
    ap.add_argument('--configs', default='model:1,model:1:default:2,tower:1,model:2,model:1:vector', help='TEXT[:WORKERS[:MODE[:THREADS]]], comma-separated (see above)')
    ap.add_argument('--rounds', type=int, default=1, help='run the list of configurations this many times over, interleaved')
    ap.add_argument('--distinct', type=int, default=0, help='draw the texts from this many distinct queries (the server caches their vectors); 0: every text new')
    ap.add_argument('--client', default='raw', help="the load client: raw (asyncio HTTP/1.1, light) or httpx; 'raw,httpx' runs both against each configuration")
    ap.add_argument('--latency-duration', type=float, default=10, help='seconds of the one-client phase')
    a = ap.parse_args()
    if bad := set(a.client.split(',')) - {'raw', 'httpx'}: sys.exit(f"--client: raw or httpx, not {', '.join(sorted(bad))}")
    print(f"load average before: {load()} ({os.cpu_count()} cores); {probe()}")
    s = build(Path(a.db), a.n)
    i = s.info()
    print(f"collection: {i['images']:,} vectors of {i['dim']}, index {i['index']}, model {Path(i['model']).name}")
    del s
    results = {}
    for rnd in range(1, a.rounds+1):
        for c in a.configs.split(','):
            text,workers,mode,threads = (c.split(':') + ['1', '', ''][len(c.split(':'))-1:])[:4]
            if text not in ('model', 'tower'): sys.exit(f"--configs: TEXT is model or tower, not {text!r}")
            for kind,r in serve_and_load(a, text, int(workers), None if mode in ('', 'default') else mode, int(threads) if threads else None).items():
                results[(c if ',' not in a.client else f'{c} {kind}') + (f' #{rnd}' if a.rounds > 1 else '')] = r
    table(results)
    print(f"load average after: {load()}; {probe()}")

if __name__ == '__main__': main()
