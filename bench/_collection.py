"""The synthetic collection the vector-store benchmarks share: clustered unit vectors, held-out queries, exact top-10."""
import gc, time
import faiss
from clip_search.testing import clustered_vectors

def synthetic_collection(n:int, dim:int, queries:int, k:int=10):
    "(x, q, truth): `n` clustered float32 unit vectors (ids 0..n-1), held-out queries from the same clusters, their exact top-k ids."
    t = time.time()
    data = clustered_vectors(n + queries, dim, seed=1)
    x, q = data[:n], data[n:]
    del data; gc.collect()
    print(f"{n:,} x {dim} float32 clustered vectors ({x.nbytes/2**30:.2f} GiB), {queries} held-out queries; made in {time.time()-t:.0f} s")
    t = time.time()
    exact = faiss.IndexFlatIP(dim); exact.add(x)
    truth = exact.search(q, k)[1]
    del exact; gc.collect()
    print(f"exact top-{k} by brute force in {time.time()-t:.1f} s; faiss uses {faiss.omp_get_max_threads()} threads\n")
    return x, q, truth
