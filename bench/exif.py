"""The cost of reading EXIF while indexing, per 1,000 photos, against reading, decoding and embedding them.

    python bench/exif.py                 # 1,000 phone-sized JPEGs (1600 x 1200, with EXIF and a 30 KB maker note)
    python bench/exif.py --n 300 --embed-n 64

On JPEGs written once into the cache (EXIF date, offset, camera, lens and GPS, as phones write them), it times, per 1,000:

- `read_exif(path)`: a separate open that reads only the headers (what a schema migration does, no re-embedding);
- `read_exif(image)`: the EXIF block `load_image` keeps on the decoded image (what indexing does: no I/O at all);
- `read_record(path, draft=224)`: read, hash and draft-decode, as `clip-search index` does per file;
- embedding the decoded images with a random-weight model of the exact ViT-B/32 shape (`random_clip('vit-b-32')`),
  timed on `--embed-n` images and scaled to 1,000;

and prints each EXIF cost as a share of read + decode + embed, and of read + decode alone (the bound when a GPU embeds). The files are read once before timing, so the page
cache is warm for every row (a cold disk adds the same seek to `read_record` and to `read_exif(path)`). Each row is
the best of `--rounds` rounds, since the machine may be shared.
"""
import argparse, os, sys, tempfile, time
from pathlib import Path
import numpy as np

os.environ.setdefault('HF_HUB_OFFLINE', '1')
from PIL import Image
from clip_search.images import read_record
from clip_search.exif import read_exif, EXIF_KEYS
from clip_search.sources import sample_images
from clip_search.core import cache_dir

def photo_exif(i:int)->Image.Exif:
    "EXIF as a phone writes it: date and offset, make, model, lens, GPS, and a 30 KB maker note."
    ex = Image.Exif(); ex[0x010F],ex[0x0110] = 'Google','Pixel 7'
    sub = ex.get_ifd(0x8769)
    sub[0x9003],sub[0x9011],sub[0xA434] = f'2023:06:{1+i%28:02d} 14:{i%60:02d}:22','+01:00','Pixel 7 back camera'
    sub[0x927C] = bytes(range(256))*120
    g = ex.get_ifd(0x8825); g[1],g[2],g[3],g[4],g[5],g[6] = 'N',(38, 42, i%60),'W',(9, 8, 24),b'\x00',120.5
    return ex

def make_photos(n:int, size=(1600, 1200))->Path:
    "n JPEGs of `size` with EXIF, cut from the sample photos (cached between runs)."
    dest = cache_dir()/f'bench-exif-{n}-{size[0]}x{size[1]}'
    if dest.exists() and len(list(dest.glob('*.jpg')))==n: return dest
    tmp = Path(tempfile.mkdtemp(dir=cache_dir(), prefix='.bench-'))
    srcs = [Image.open(p).convert('RGB').resize(size) for p in sample_images().values()]
    for i in range(n): srcs[i%len(srcs)].save(tmp/f'photo-{i:04d}.jpg', quality=90, exif=photo_exif(i))
    if dest.exists():
        for p in dest.iterdir(): p.unlink()
        dest.rmdir()
    os.rename(tmp, dest)
    return dest

def best(f, rounds:int)->float:
    "Best wall time of `rounds` calls of `f`, in seconds."
    ts = []
    for _ in range(rounds):
        t = time.perf_counter(); f(); ts.append(time.perf_counter()-t)
    return min(ts)

def embed_seconds(images:list, rounds:int)->float:
    "Seconds to embed `images` with the ViT-B/32-shaped random-weight test model (torch backend, float32)."
    import torch
    from clip_search.testing import random_clip
    from clip_search.embedding import CLIPEmbedder
    emb = CLIPEmbedder(random_clip('vit-b-32'), backend='torch', progress=False)
    emb.embed_images(images[:8]) # warm up
    return best(lambda: emb.embed_images(images), rounds)

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--n', type=int, default=1000, help='photos to read')
    ap.add_argument('--embed-n', type=int, default=128, help='photos to embed (scaled to --n)')
    ap.add_argument('--rounds', type=int, default=3)
    a = ap.parse_args()
    folder = make_photos(a.n)
    paths = sorted(folder.glob('*.jpg'))
    for p in paths: p.read_bytes() # warm the page cache for every row alike
    print(f"{a.n} JPEGs, 1600x1200, {sum(p.stat().st_size for p in paths)/a.n/1024:.0f} KB each with EXIF; "
          f"load {' '.join(open('/proc/loadavg').read().split()[:3])}")
    recs = [read_record(p, draft=224) for p in paths]
    assert read_exif(paths[0])['camera_model']=='Pixel 7' and read_exif(recs[0][1])==read_exif(paths[0])
    per = 1000/a.n
    rows = {'read_exif(path), headers only': best(lambda: [read_exif(p) for p in paths], a.rounds)*per,
            'read_exif(image), no I/O': best(lambda: [read_exif(im, mtime=r['mtime']) for r,im in recs], a.rounds)*per,
            'read_record(path, draft=224)': best(lambda: [read_record(p, draft=224) for p in paths], a.rounds)*per}
    imgs = [im for _,im in recs[:a.embed_n]]
    rows['embed (ViT-B/32 shape, torch)'] = embed_seconds(imgs, a.rounds)*1000/len(imgs)
    base = rows['read_record(path, draft=224)'] + rows['embed (ViT-B/32 shape, torch)']
    dec = rows['read_record(path, draft=224)']
    print(f"\n{'per 1,000 photos':34} {'seconds':>8} {'of read+decode+embed':>21} {'of read+decode':>15}")
    for k,v in rows.items(): print(f"{k:34} {v:8.3f} {v/base:21.1%} {v/dec:15.1%}")
    print(f"{'read + decode + embed':34} {base:8.3f}")

if __name__ == '__main__': main()
