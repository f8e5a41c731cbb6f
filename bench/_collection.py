"""The synthetic collection the vector-store benchmarks share: clustered unit vectors, held-out queries, exact top-10."""
import gc, time
import numpy as np, faiss
from clip_search.testing import clustered_vectors

def exact_topk(q:np.ndarray, x:np.ndarray, k:int=10, chunk:int=65536)->np.ndarray:
    "Row numbers of the exact top-`k` rows of `x` by inner product for each query, best first (brute force, `x` read in chunks: no copy of it)."
    best, rows = np.full((len(q), 0), -np.inf, np.float32), np.zeros((len(q), 0), np.int64)
    for i in range(0, len(x), chunk):
        c = x[i:i+chunk]
        s = np.concatenate([best, q @ c.T], 1)
        r = np.concatenate([rows, np.broadcast_to(np.arange(i, i+len(c)), (len(q), len(c)))], 1)
        top = np.argpartition(-s, k-1, axis=1)[:, :k]
        best, rows = np.take_along_axis(s, top, 1), np.take_along_axis(r, top, 1)
    return np.take_along_axis(rows, np.argsort(-best, axis=1, kind='stable'), 1)

def synthetic_collection(n:int, dim:int, queries:int, k:int=10, spread:float=1.0):
    "(x, q, truth): `n` clustered float32 unit vectors (ids 0..n-1), held-out queries from the same clusters, their exact top-k ids."
    t = time.time()
    data = clustered_vectors(n + queries, dim, spread=spread, seed=1)
    x, q = data[:n], data[n:].copy()
    del data; gc.collect() # x is a view of it: the rows stay, the queries' copy is small
    print(f"{n:,} x {dim} float32 clustered vectors (spread {spread}, {x.nbytes/2**30:.2f} GiB), {queries} held-out queries; made in {time.time()-t:.0f} s")
    t = time.time()
    truth = exact_topk(q, x, k)
    print(f"exact top-{k} by brute force in {time.time()-t:.1f} s; faiss uses {faiss.omp_get_max_threads()} threads\n")
    return x, q, truth
