"""The synthetic collection the vector-store benchmarks share: clustered unit vectors, held-out queries, exact top-10."""
import gc, time
import numpy as np, faiss
from clip_search.testing import clustered_vectors
from clip_search.index import _topk as exact_topk # the index's own exact top-k (chunked brute force), the truth recall is measured against

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
