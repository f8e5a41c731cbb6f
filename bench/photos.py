"""The cost of photo columns (EXIF) and keyword upkeep (FTS5 triggers) per 1,000 photos, against indexing without them.

    python bench/photos.py                     # 200 phone-sized JPEGs, ViT-B/32-shaped test model; figures per 1,000
    python bench/photos.py --n 1000 --model test

On the JPEGs `bench/exif.py` writes once into the cache (1600 x 1200, EXIF date, offset, camera, lens, GPS and a
30 KB maker note, as phones write them), in one run:

- indexing: `ImageSearch.add` of the `--n` files into a new index, as the engine does today (read, hash, decode,
  embed, commit), with the model loaded beforehand;
- EXIF while indexing: `photo_fields(record, image)` on the images `read_record` decoded (what `with_exif` adds
  to the indexer's loader; no I/O);
- keyword and photo-column upkeep: committing the same records with their vectors, 32 per transaction as the engine
  commits a batch, into a catalogue with the photo columns, keyword table and triggers (`migrate_photos`,
  `add_items`), minus the same into a plain catalogue;
- migrating an index built without them: `migrate_photos` + `fill_photos` on a copy of the index made above
  (headers only, no model).

The first three are what indexing with photo columns costs more; each is printed as a share of the indexing time.
Every row but indexing is the best of `--rounds` rounds, since the machine may be shared.
"""
import argparse, os, shutil, sys, tempfile, time
from pathlib import Path
import numpy as np

os.environ.setdefault('HF_HUB_OFFLINE', '1'); os.environ['TQDM_DISABLE'] = '1'
sys.path.insert(0, str(Path(__file__).parent))
from exif import make_photos, best # the same cached photos as bench/exif.py
from clip_search.catalog import Catalog
from clip_search.images import read_record
from clip_search.photos import migrate_photos, fill_photos, photo_fields, add_items, PHOTO_COLUMNS
from clip_search.search import ImageSearch

def commit_seconds(recs:list, x:np.ndarray, dest:Path, photos:bool, rounds:int)->float:
    "Best seconds to commit `recs` with vectors `x`, 32 per transaction, into a new catalogue (with the photo schema if `photos`)."
    def run():
        for f in dest.parent.glob(dest.name + '*'): f.unlink()
        cat = Catalog(dest)
        if photos: migrate_photos(cat)
        t = time.perf_counter()
        for i in range(0, len(recs), 32):
            with cat.transaction():
                if photos: add_items(cat, recs[i:i+32], x[i:i+32])
                else: cat.add([{k:v for k,v in r.items() if k not in PHOTO_COLUMNS} for r in recs[i:i+32]], x[i:i+32])
        dt = time.perf_counter() - t; cat.close(); return dt
    return min(run() for _ in range(rounds))

def migrate_seconds(src:Path, tmp:Path, rounds:int)->tuple[float, dict]:
    "Best seconds to migrate a copy of the index `src` in place (schema, keywords of its rows, EXIF from the headers)."
    ts = []
    for r in range(rounds):
        dst = tmp/f'migrate-{r}'; shutil.copytree(src, dst)
        cat = Catalog(dst/'catalog.db')
        t = time.perf_counter(); migrate_photos(cat); counts = fill_photos(cat); ts.append(time.perf_counter() - t)
        cat.close()
    return min(ts), counts

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--n', type=int, default=200, help='photos to index (figures are scaled to 1,000)')
    ap.add_argument('--model', default='test-vit-b-32', help="'test-vit-b-32' (random weights, ViT-B/32 shape) or 'test' (tiny)")
    ap.add_argument('--rounds', type=int, default=3)
    a = ap.parse_args()
    paths = sorted(make_photos(1000).glob('*.jpg'))[:a.n]
    for p in paths: p.read_bytes() # a warm page cache for every row alike
    tmp = Path(tempfile.mkdtemp(prefix='bench-photos-'))
    try:
        s = ImageSearch(tmp/'index', model=a.model, progress=False); s.embedder # the model loaded before timing
        print(f"{a.n} JPEGs, 1600x1200 with EXIF; model {a.model}; load {' '.join(open('/proc/loadavg').read().split()[:3])}")
        t = time.perf_counter(); rep = s.add(paths); index_s = time.perf_counter() - t
        assert rep['added'] == a.n, rep
        recs = [read_record(p, draft=224) for p in paths]
        exif_s = best(lambda: [photo_fields(r, im) for r,im in recs], a.rounds)
        full = [{**r, **photo_fields(r, im)} for r,im in recs]
        assert sum(r['camera_model'] == 'Pixel 7' for r in full) == a.n
        x = np.random.default_rng(0).standard_normal((a.n, s.catalog.get_meta('dim'))).astype(np.float32)
        plain_s = commit_seconds(full, x, tmp/'plain.db', False, a.rounds)
        fts_s = commit_seconds(full, x, tmp/'photos.db', True, a.rounds)
        mig_s,counts = migrate_seconds(tmp/'index', tmp, a.rounds)
        assert counts['read'] == a.n, counts
    finally: shutil.rmtree(tmp, ignore_errors=True)
    per = 1000/a.n
    rows = [('indexing (read, decode, embed, commit)', index_s), ('+ EXIF from the decoded image', exif_s),
            ('+ keywords and photo columns (triggers)', fts_s - plain_s), ('  (commit, plain catalogue)', plain_s),
            ('  (commit, with photo schema)', fts_s), ('migrating an index (headers only)', mig_s)]
    print(f"\n{'per 1,000 photos':42} {'seconds':>8} {'of indexing':>12}")
    for k,v in rows: print(f"{k:42} {v*per:8.3f} {v/index_s:12.2%}")
    print(f"{'indexing with photo columns: more by':42} {(exif_s + fts_s - plain_s)*per:8.3f} {(exif_s + fts_s - plain_s)/index_s:12.2%}")

if __name__ == '__main__': main()
