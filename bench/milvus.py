"""Benchmark Milvus (Milvus Lite, or a server) as the vector store, beside FAISS, on one synthetic collection.

Builds N x DIM clustered float32 unit vectors (default 1,000,000 x 512: a CLIP ViT-B/32 collection of a
million images) and held-out queries from the same clusters, then prints, for FAISS (`VectorIndex.build`,
the `auto` index) and for `MilvusIndex`:

- insert: vectors per second into the store (for FAISS: train + add + recall tuning, as `build` does it);
- index: seconds from the last insert until every segment has its ANN index (Milvus builds it per segment);
- p50/p99 latency of single-query searches (k=10), one query per call, as a user's search is;
- batch: queries per second when all held-out queries go in one call;
- recall@10 against exact search (brute force).

    python bench/milvus.py                           # 1M x 512 into Milvus Lite (a local .db folder)
    python bench/milvus.py --n 100000 --kind flat    # smaller, exact index
    python bench/milvus.py --uri http://host:19530   # a Milvus server: the same code
    python bench/milvus.py --open-only --open-n 100000  # only: opening a Milvus-backed index as a reader vs as a writer

It also prints how long `ImageSearch` takes to open a Milvus Lite-backed index directory of `--open-n` rows for search
(a reader: no listing of the collection's ids) and for writing (a writer reconciles the collection with the catalogue,
which lists every id), beside the time of that listing, which every reader paid before issue 18.

Milvus Lite is an embedded, pure-Python Milvus for development and tests; a server's figures differ.
"""
import argparse, gc, os, resource, shutil, subprocess, tempfile, time
from pathlib import Path
import numpy as np, faiss
from clip_search.index import VectorIndex, recall_at_k
from clip_search.milvus import MilvusIndex, is_local
from _collection import synthetic_collection

def load()->str: return subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()

def wait_indexed(mi:MilvusIndex, timeout:float=3600):
    "Block until every sealed segment has its vector index."
    if is_local(mi.uri): # Milvus Lite builds indexes in a background thread and reports none pending: wait for the thread
        from milvus_lite.server_manager import server_manager_instance as sm
        sm._servers[str(Path(mi.uri).absolute())][1].get_collection(mi.collection)._wait_for_bg(timeout)
        return
    t = time.time()
    while mi.client.describe_index(mi.collection, 'vector').get('pending_index_rows', 0) and time.time() - t < timeout: time.sleep(2)

def latencies(search, q, n:int)->list[float]:
    for i in range(min(5, n)): search(q[i]) # warm up
    out = []
    for i in range(n):
        t = time.perf_counter(); search(q[i]); out.append(time.perf_counter() - t)
    return out

def row(name, spec, insert, index, lat, batch_qps, r, extra=''):
    p50, p99 = np.percentile(lat, 50)*1e3, np.percentile(lat, 99)*1e3
    print(f"{name:<12} {spec:<16} {insert:>12,.0f} {index:>8.1f} {p50:>9.1f} {p99:>9.1f} {batch_qps:>9.1f} {r:>9.3f}  {extra}", flush=True)

def open_times(n:int, dim:int, batch:int=10_000):
    "Seconds to open an `ImageSearch` directory of `n` rows on Milvus Lite as a reader, and as a writer (which reconciles)."
    from clip_search.search import ImageSearch
    from clip_search.testing import clustered_vectors
    tmp = Path(tempfile.mkdtemp(dir=os.environ.get('TMPDIR')))
    try:
        t = time.time()
        s = ImageSearch(tmp/'idx', store='milvus')
        for i in range(0, n, batch): s.add_vectors([dict(uri=f'/bench/{j}.jpg') for j in range(i, min(i+batch, n))], clustered_vectors(min(batch, n-i), dim, seed=i))
        made = time.time() - t; del s; gc.collect()
        t = time.time(); r = ImageSearch(tmp/'idx'); reader = time.time() - t
        t = time.time(); ids = r.vectors.ids(); listing = time.time() - t
        t = time.time()
        with ImageSearch(tmp/'idx')._writing(): writer = time.time() - t
        print(f"ImageSearch on Milvus Lite, {len(ids):,} rows (made in {made:.0f} s): open for search {reader:.2f} s; "
              f"open for writing (reconciles) {writer:.2f} s; the ids() listing a reader no longer does {listing:.2f} s")
    finally: shutil.rmtree(tmp, ignore_errors=True)

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--n', type=int, default=1_000_000)
    ap.add_argument('--dim', type=int, default=512)
    ap.add_argument('--queries', type=int, default=1000, help='held-out queries for recall and batch throughput')
    ap.add_argument('--latency-queries', type=int, default=100, help='single-query searches timed (Milvus Lite is slow per call)')
    ap.add_argument('--uri', default=None, help='Milvus URI; default: a Milvus Lite .db folder in a temporary directory')
    ap.add_argument('--kind', default='hnsw', help="MilvusIndex kind: 'hnsw', 'flat', 'ivf', 'ivf_sq8', ... ('auto' is HNSW at this size)")
    ap.add_argument('--batch', type=int, default=10_000, help='vectors per add() call')
    ap.add_argument('--insert', action='store_true', help='plain insert (add(upsert=False)) instead of the default upsert')
    ap.add_argument('--open-n', type=int, default=100_000, help='rows of the index directory whose reader and writer open times are printed (0: skip)')
    ap.add_argument('--open-only', action='store_true', help='print only the reader vs writer open times')
    a = ap.parse_args()
    print(f"load at start: {load()}; {os.cpu_count()} CPUs\n")
    if a.open_only:
        open_times(a.open_n, a.dim); print(f"load at end: {load()}"); return
    x, q, truth = synthetic_collection(a.n, a.dim, a.queries)

    head = f"{'store':<12} {'index':<16} {'insert /s':>12} {'index s':>8} {'p50 ms':>9} {'p99 ms':>9} {'batch q/s':>9} {'recall@10':>9}  knob"
    print(head); print('-'*len(head))
    t = time.time()
    vi = VectorIndex.build(x) # auto: what a user of the default store gets
    build = time.time() - t
    lat = latencies(lambda v: vi.search(v, 10), q, len(q))
    t = time.time(); found = vi.search(q, 10)[1]; bq = len(q)/(time.time() - t)
    row('FAISS', vi.spec, a.n/build, 0, lat, bq, recall_at_k(found, truth), f"{vi.knob()} (insert = build: train+add+tune, {build:.0f} s)")
    del vi; gc.collect()

    tmp = None
    if a.uri is None: tmp = Path(tempfile.mkdtemp(dir=os.environ.get('TMPDIR'))); a.uri = str(tmp/'bench.db')
    mi = MilvusIndex(a.uri, 'bench', dim=a.dim, kind=a.kind)
    if len(mi): mi.remove(mi.ids())
    t = time.time()
    for i in range(0, a.n, a.batch):
        mi.add(x[i:i+a.batch], np.arange(i, min(i+a.batch, a.n)), [dict(uri=f'vec://{j}') for j in range(i, min(i+a.batch, a.n))], upsert=not a.insert)
        if i and i % (10*a.batch) == 0: print(f"  ... {i:,} inserted, {i/(time.time()-t):,.0f}/s; load {load().split('load average: ')[-1]}", flush=True)
    insert = time.time() - t
    t = time.time(); mi.save(); wait_indexed(mi); index = time.time() - t
    lat = latencies(lambda v: mi.search(v, 10), q, a.latency_queries)
    t = time.time(); found = mi.search(q, 10)[1]; bq = len(q)/(time.time() - t)
    r = recall_at_k(found, truth)
    du = sum(f.stat().st_size for f in Path(a.uri).rglob('*') if f.is_file()) if is_local(a.uri) else 0
    row('Milvus Lite' if is_local(a.uri) else 'Milvus', mi.spec, a.n/insert, index, lat, bq, r,
        f"{mi.knob()} ({len(mi):,} rows; {'insert' if a.insert else 'upsert'} {insert:.0f} s" + (f"; {du/2**30:.2f} GiB on disk)" if du else ')'))
    t = time.time(); n_ids = len(mi.ids()); t_ids = time.time() - t
    t = time.time(); n = len(mi); t_len = time.time() - t
    t = time.time(); mi.get(np.arange(0, a.n, max(1, a.n//1000))); t_get = time.time() - t
    print(f"\nMilvus bookkeeping: ids() of {n_ids:,} rows {t_ids:.1f} s; len() {t_len*1e3:.0f} ms; get() of 1,000 vectors {t_get*1e3:.0f} ms")
    print(f"single-query latency over {len(lat)} queries (FAISS: {len(q)}); load at end: {load()}")
    print(f"peak RSS of this process (Milvus Lite runs inside it): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/2**20:.1f} GiB")
    if tmp: shutil.rmtree(tmp, ignore_errors=True)
    if a.open_n: open_times(a.open_n, a.dim); print(f"load at end: {load()}")

if __name__ == '__main__': main()
