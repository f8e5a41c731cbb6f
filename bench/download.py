"""Benchmark the bulk URL downloader against a local server that adds 50 ms of latency to every request.

Serves N small JPEGs (default 2,000, about 15 KB each, 320x240) from local HTTP servers in a separate
process, each request delayed by --latency seconds, and downloads them with `download_urls` (verify,
resize, save as JPEG, record in the manifest):

- with 1 worker;
- with the defaults (16 workers, at most 4 per host, 0.05 s between request starts to one host), with the
  URLs spread over --hosts loopback addresses (127.0.0.1, 127.0.0.2, ...), as a real list is spread over
  many servers: the per-host limits are what a polite downloader must keep, so one host caps the rate at
  1/delay = 20 images/s whatever the number of workers (shown on a smaller sample with --single-host);
- with an asyncio version of the same pipeline (httpx.AsyncClient, the same checks, Pillow work in
  `asyncio.to_thread`, the same manifest), at the default concurrency, to compare threads with asyncio.

    python bench/download.py                 # the issue's figures: 2,000 images, 1 worker vs the default
    python bench/download.py --n 500 --single-host 200

Prints images/s for each run and the speed-up of the default over 1 worker.
"""
import argparse, asyncio, io, multiprocessing as mp, os, shutil, tempfile, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit
import httpx
from PIL import Image
from clip_search.download import USER_AGENT, Manifest, download_urls, save_image
from clip_search.sources import sample_images

def _images(k:int=64)->list[bytes]:
    "k distinct small JPEGs (320x240 crops of the sample photos)."
    ims = [Image.open(p).convert('RGB') for p in sample_images().values()]
    out = []
    for i in range(k):
        im = ims[i % len(ims)]
        w,h = im.size; x,y = (i*37) % max(1, w-320), (i*53) % max(1, h-240)
        b = io.BytesIO(); im.resize((max(w, 320), max(h, 240))).crop((x, y, x+320, y+240)).save(b, 'JPEG', quality=85)
        out.append(b.getvalue())
    return out

def _serve(hosts:int, latency:float, q):
    "Child process: one threaded HTTP server per loopback address, each request delayed by `latency`."
    imgs = _images()
    class H(BaseHTTPRequestHandler):
        protocol_version = 'HTTP/1.1'
        def log_message(self, *a): pass
        def do_GET(self):
            time.sleep(latency)
            body = imgs[int(self.path.rsplit('/', 1)[1].split('.')[0]) % len(imgs)]
            self.send_response(200); self.send_header('Content-Type', 'image/jpeg'); self.send_header('Content-Length', str(len(body)))
            self.end_headers(); self.wfile.write(body)
    class S(ThreadingHTTPServer): daemon_threads, request_queue_size = True, 256
    addrs = []
    for k in range(1, hosts+1):
        s = S((f'127.0.0.{k}', 0), H)
        threading.Thread(target=s.serve_forever, daemon=True).start()
        addrs.append(f'http://127.0.0.{k}:{s.server_address[1]}')
    q.put(addrs)
    threading.Event().wait()

async def _async_download(urls:list[str], out:Path, workers:int=16, per_host:int=4, delay:float=0.05, size:int=800,
                          quality:int=85, max_bytes:int=20_000_000, timeout:float=20)->dict:
    "The same pipeline on asyncio: fetch with httpx.AsyncClient (type and size checked, body capped), Pillow work in a thread."
    hosts, nxt, lock = {}, {}, asyncio.Lock()
    counts = {'ok': 0, 'failed': 0}
    man = Manifest(out)
    limits = httpx.Limits(max_connections=workers+4, max_keepalive_connections=workers+4)
    async with httpx.AsyncClient(timeout=timeout, limits=limits, trust_env=False, headers={'User-Agent': USER_AGENT, 'Accept-Encoding': 'identity'}) as c:
        sem = asyncio.Semaphore(workers)
        async def one(i, url):
            host = urlsplit(url).hostname
            async with sem:
                hsem = hosts.setdefault(host, asyncio.Semaphore(per_host))
                t0 = time.monotonic()
                try:
                    async with hsem:
                        async with lock:
                            now = time.monotonic(); t = max(now, nxt.get(host, 0.0)); nxt[host] = t+delay
                        if t>now: await asyncio.sleep(t-now)
                        async with c.stream('GET', url) as r:
                            if r.status_code!=200 or not r.headers.get('content-type', '').startswith('image/'): raise ValueError(f'HTTP {r.status_code}')
                            buf = bytearray()
                            async for chunk in r.aiter_raw():
                                buf += chunk
                                if len(buf)>max_bytes: raise ValueError('too large')
                    file = f'images/{i%256:02x}/{i}.jpg'
                    info = await asyncio.to_thread(save_image, bytes(buf), out/file, size, quality)
                    row = dict(url=url, status='ok', bytes=len(buf), file=file, **info)
                except Exception as e: row = dict(url=url, status='failed', reason=str(e))
                row['seconds'] = time.monotonic()-t0
                man.record(row); counts[row['status']] += 1
        await asyncio.gather(*(one(i, u) for i,u in enumerate(urls)))
    man.close()
    return counts

def _interleaved(n:int, addrs:list[str])->list[str]:
    return [f'{addrs[i % len(addrs)]}/{i}.jpg' for i in range(n)]

def _run(label:str, fn, n:int)->float:
    out = Path(tempfile.mkdtemp(prefix='bench-download-'))
    try:
        t = time.perf_counter(); r = fn(out); secs = time.perf_counter()-t
        ok = r['ok']
        saved = sum(f.stat().st_size for f in (out/'images').rglob('*.jpg'))
        print(f"{label:<58} {ok:>5,}/{n:,} ok  {secs:7.1f} s  {ok/secs:7.1f} images/s  ({saved/ok/1e3:.1f} KB per saved image)", flush=True)
        if ok!=n: print(f"  (not all arrived: {r})")
        return ok/secs
    finally: shutil.rmtree(out, ignore_errors=True)

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--n', type=int, default=2000, help='images to download in each run')
    ap.add_argument('--hosts', type=int, default=20, help='loopback addresses the URLs are spread over')
    ap.add_argument('--latency', type=float, default=0.05, help='seconds added by the server to every request')
    ap.add_argument('--workers', type=int, default=16, help="the default run's workers (download_urls' default is 16)")
    ap.add_argument('--single-host', type=int, default=200, help='images for the default settings against one host (0: skip)')
    ap.add_argument('--no-asyncio', action='store_true', help='skip the asyncio comparison')
    a = ap.parse_args()
    q = mp.Queue()
    srv = mp.Process(target=_serve, args=(a.hosts, a.latency, q), daemon=True); srv.start()
    addrs = q.get(timeout=60)
    urls = _interleaved(a.n, addrs)
    print(f"{a.n:,} images of ~{sum(map(len, _images()))/64/1e3:.0f} KB, {a.latency*1000:.0f} ms latency per request, URLs over {a.hosts} hosts; "
          f"{os.cpu_count()} CPUs, load average {', '.join(f'{x:.2f}' for x in os.getloadavg())}\n", flush=True)
    common = dict(allow_private=True, progress=False)
    one = _run('threads, 1 worker', lambda out: download_urls(urls, out, workers=1, **common), a.n)
    dflt = _run(f'threads, default ({a.workers} workers, 4 per host, 0.05 s delay)', lambda out: download_urls(urls, out, workers=a.workers, **common), a.n)
    if not a.no_asyncio:
        asy = _run(f'asyncio, same limits ({a.workers} at once)', lambda out: asyncio.run(_async_download(urls, out, workers=a.workers)), a.n)
    if a.single_host:
        one_host = [f'{addrs[0]}/{i}.jpg' for i in range(a.single_host)]
        _run(f'threads, default, all {a.single_host} from ONE host', lambda out: download_urls(one_host, out, workers=a.workers, **common), a.single_host)
    print(f"\nspeed-up of the default over 1 worker: {dflt/one:.1f}x")
    if not a.no_asyncio: print(f"threads / asyncio at the same concurrency: {dflt/asy:.2f}x")
    print(f"load average after: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    srv.terminate()

if __name__ == '__main__': main()
