"""Embedding throughput: the seed notebook's per-image loop against clip-search's pipeline with each backend.

    python bench/embed.py                     # 300 photos, every backend this machine has
    python bench/embed.py --n 100 --backends torch,bf16 --seed-n 30

On the same few hundred real photos (the scikit-image samples, cropped, flipped and scaled to ~800 px,
saved as JPEG), with a random-weight model of the exact ViT-B/32 shape (`random_clip('vit-b-32')`), it times:

- the seed notebook's loop: one `CLIPProcessor` + `get_image_features` call per image, float32;
- `CLIPEmbedder.embed_files` (read, hash, draft-decode and preprocess in worker threads while the model runs,
  as `clip-search index` does) with each backend (torch float32, bf16, ONNX Runtime float32 and int8, OpenVINO
  float32 and int8), bf16 once more with no worker threads, and onnx-int8 once more with ONNX Runtime's idle
  threads spinning (its default, which `OnnxEncoder` turns off);
- `clip-search index` end to end with no flags (`auto`: the backend it picks is printed, with the guard's
  timing of each candidate), model loading included;
- a short text query's latency (p50 and best) per backend;

and prints images/s, the speed-up over the seed loop, each backend's quality guard (sample photos) and its cosine
similarity to float32 on the benchmark photos. The machine may be shared with other work: every configuration runs
once per round, on the same slice of photos, rounds interleaved, so that a burst of load elsewhere hits them all;
the best and the median round are printed, and the load average as it goes. The slow configurations (the seed loop,
and openvino-int8, which OpenVINO runs without int8 kernels) time `--seed-n` photos in all instead of every one.
"""
import argparse, hashlib, io, json, os, shutil, sys, tempfile, time, contextlib
from pathlib import Path
import numpy as np

os.environ.setdefault('HF_HUB_OFFLINE', '1')
import torch
from PIL import Image
from clip_search.images import load_image, read_record
from clip_search.sources import sample_images
from clip_search.testing import random_clip, cache_dir
from clip_search.embedding import CLIPEmbedder
from clip_search.model import features as _features

COLOUR = ['astronaut', 'cat', 'coffee', 'rocket', 'motorcycle', 'galaxies', 'retina', 'cells', 'horse',
          'cameraman', 'coins', 'moon', 'bricks', 'grass', 'gravel']

def make_photos(n:int, size:int=800, seed:int=0)->Path:
    "n JPEGs of about `size` px on the long side, cut from the sample photos (cached between runs)."
    dest = cache_dir()/f'bench-photos-{n}-{size}-{seed}'
    if dest.exists() and len(list(dest.glob('*.jpg'))) == n: return dest
    tmp = Path(tempfile.mkdtemp(dir=cache_dir(), prefix='.bench-'))
    rng = np.random.default_rng(seed)
    srcs = [load_image(sample_images()[k]) for k in COLOUR]
    for i in range(n):
        im = srcs[i % len(srcs)]
        w,h = im.size
        cw,ch = int(w*rng.uniform(0.55, 1)), int(h*rng.uniform(0.55, 1))
        x,y = int(rng.integers(0, w-cw+1)), int(rng.integers(0, h-ch+1))
        im = im.crop((x, y, x+cw, y+ch))
        if rng.random() < 0.5: im = im.transpose(Image.FLIP_LEFT_RIGHT)
        long = int(size*rng.uniform(0.95, 1.05))
        s = long/max(im.size)
        im = im.resize((max(1, round(im.width*s)), max(1, round(im.height*s))), Image.BICUBIC)
        im.save(tmp/f'photo-{i:04d}.jpg', quality=90)
    shutil.rmtree(dest, ignore_errors=True); os.rename(tmp, dest)
    return dest

class SeedLoop:
    "The seed notebook: one processor call and one forward pass per image, float32."
    def __init__(self, model_path):
        from transformers import CLIPModel, CLIPProcessor
        self.model, self.proc = CLIPModel.from_pretrained(model_path).eval(), CLIPProcessor.from_pretrained(model_path)
    def __call__(self, paths):
        out = []
        with torch.no_grad():
            for p in paths:
                image = Image.open(p).convert('RGB')
                inputs = self.proc(images=image, return_tensors='pt')
                out.append(_features(self.model.get_image_features(**inputs))[0].numpy())
        return out

def files_runner(emb):
    "`embed_files` as `clip-search index` runs it: read, hash, draft-decode, preprocess in threads; vectors out."
    from functools import partial
    load = partial(read_record, draft=emb.draft_size) # the reader `clip-search index` uses
    return lambda paths: [r[2] for b in emb.embed_files(paths, load=load) for r in b]

def timed(f, *args):
    t = time.perf_counter(); r = f(*args); return time.perf_counter()-t, r

def text_times(emb, n, q="a fluffy pink cat"):
    ts = []
    for _ in range(n): ts.append(timed(emb.embed_texts, q)[0]*1000)
    return ts

def load(): return ' '.join(f'{x:.2f}' for x in os.getloadavg())

SLOW = ('seed loop', 'openvino-int8') # timed on --seed-n photos in all

def cli_index(folder, model):
    "Seconds for `clip-search index FOLDER --db DB --model MODEL` with no other flags, in this process, model loading included."
    from clip_search.cli import run_cli
    db = Path(tempfile.mkdtemp())/'db'
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            dt,_ = timed(run_cli, ['index', str(folder), '--db', str(db), '--model', str(model)])
        from clip_search.search import ImageSearch
        return dt, len(ImageSearch(db))
    finally: shutil.rmtree(db.parent, ignore_errors=True)

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--n', type=int, default=300, help='photos')
    ap.add_argument('--seed-n', type=int, default=60, help='photos timed with the (slow) seed loop')
    ap.add_argument('--rounds', type=int, default=3, help='rounds: every configuration runs once per round on the same slice of photos')
    ap.add_argument('--backends', default=None, help='comma-separated; default: every one this machine has')
    ap.add_argument('--device', default=None)
    ap.add_argument('--shape', default='vit-b-32')
    ap.add_argument('--batch-size', type=int, default=32)
    ap.add_argument('--skip-cli', action='store_true', help='do not time `clip-search index`')
    ap.add_argument('--skip-multilingual', action='store_true', help='do not time a multilingual text query')
    ap.add_argument('--json', default=None, help='also write the figures to this file')
    ap.add_argument('--keep-guard', action='store_true', help="keep the guard's cached timings of auto's candidates (default: time them again now)")
    a = ap.parse_args()
    from clip_search.backends import onnxruntime_available, openvino_available, cpu_has_bf16
    dev = torch.device(a.device or ('cuda' if torch.cuda.is_available() else 'cpu'))
    if a.backends: backends = a.backends.split(',')
    elif dev.type == 'cuda': backends = ['torch', 'fp16']
    else: backends = ['torch', 'bf16'] + (['onnx', 'onnx-int8'] if onnxruntime_available() else []) + (['openvino', 'openvino-int8'] if onnxruntime_available() and openvino_available() else [])
    folder = make_photos(a.n)
    paths = sorted(str(p) for p in folder.glob('*.jpg'))
    model = random_clip(a.shape)
    gpu = torch.cuda.get_device_name() if dev.type == 'cuda' else ''
    print(f"{len(paths)} JPEGs of ~800 px in {folder}; model {model.name}; device {dev} {gpu}; "
          f"{os.cpu_count()} CPUs ({torch.backends.cpu.get_cpu_capability()}, native bf16: {cpu_has_bf16()}); torch threads {torch.get_num_threads()}")
    runs, embs = {'seed loop': SeedLoop(model)}, {}
    for b in backends:
        embs[b] = CLIPEmbedder(str(model), device=str(dev), batch_size=a.batch_size, backend=b, progress=False)
        runs[b] = files_runner(embs[b])
    if 'bf16' in backends:
        embs['bf16, no worker threads'] = CLIPEmbedder(str(model), device=str(dev), batch_size=a.batch_size, backend='bf16', progress=False, workers=0)
        runs['bf16, no worker threads'] = files_runner(embs['bf16, no worker threads'])
    if 'onnx-int8' in backends: # ONNX Runtime's default: idle threads spin for work
        from clip_search.backends import OnnxEncoder
        e = embs['onnx-int8, spinning threads'] = CLIPEmbedder(str(model), device=str(dev), batch_size=a.batch_size, backend='onnx-int8', progress=False)
        e.encoder = OnnxEncoder(e.encoder.folder, int8=True, spin=True)
        runs['onnx-int8, spinning threads'] = files_runner(e)
    if a.shape == 'vit-b-32' and not a.skip_multilingual: # the multilingual text encoder's shape (DistilBERT 6 x 768 + dense 768 -> 512)
        from clip_search.testing import random_multilingual
        embs['multilingual text'] = CLIPEmbedder(str(model), device=str(dev), backend='torch', progress=False, text_model=str(random_multilingual('base')))
    if not a.keep_guard: # `auto` guards and times its candidates once per model and machine: do it again, now
        from clip_search.core import backend_dir
        (backend_dir(str(model))/'guard.json').unlink(missing_ok=True)
    default = CLIPEmbedder(str(model), device=str(dev), progress=False).backend
    for name,f in runs.items(): f(paths[:2 if name == 'seed loop' else a.batch_size]) # warm-up
    print(f"load average before: {load()}")
    chunks = np.array_split(np.array(paths), a.rounds)
    ips = {k: [] for k in runs}; vecs = {k: {} for k in runs}; text = {k: [] for k in embs}; cli = []
    for r,chunk in enumerate(chunks):
        chunk = list(chunk)
        for name,f in runs.items():
            part = chunk[:max(1, a.seed_n // a.rounds)] if name in SLOW else chunk
            dt,v = timed(f, part)
            ips[name].append(len(part)/dt); vecs[name].update(zip(part, v))
        for name,e in embs.items(): text[name] += text_times(e, 20)
        if not a.skip_cli and r < 2: cli.append(cli_index(folder, model))
        print(f"round {r+1}/{a.rounds}: " + ', '.join(f"{k} {v[-1]:.1f}" for k,v in ips.items()) + f" images/s; load {load()}", flush=True)
    ref = vecs.get('torch') # path -> float32 vector
    seed_best = max(ips['seed loop'])
    res = {}
    print(f"\n{'configuration':<26} {'images/s best':>13} {'median':>7} {'x seed loop':>11} {'text p50':>9} {'text min':>9}  quality")
    print(f"{'':<26} {'':>13} {'':>7} {'(per round)':>11}")
    for name in list(runs) + [k for k in embs if k not in runs]:
        if name in runs:
            best, med = max(ips[name]), float(np.median(ips[name]))
            ratio = float(np.median([x/y for x,y in zip(ips[name], ips['seed loop'])])) # round by round: load elsewhere hits both alike
            r = dict(ips_best=best, ips_median=med, speedup=ratio)
            line = f"{name:<26} {best:13.1f} {med:7.1f} {ratio:10.1f}x"
        else: r,line = {},f"{name:<26} {'':>13} {'':>7} {'':>11}"
        if name in embs:
            e = embs[name]
            r.update(text_p50_ms=float(np.median(text[name])), text_min_ms=float(np.min(text[name])), backend=e.backend)
            line += f" {r['text_p50_ms']:7.1f}ms {r['text_min_ms']:7.1f}ms"
            if ref is not None and name in vecs:
                c = np.array([vecs[name][p] @ ref[p] for p in vecs[name]])
                r.update(cos_mean=float(c.mean()), cos_min=float(c.min()))
                line += f"  cosine to float32 on these photos {c.mean():.5f} (min {c.min():.5f})"
            if e.guard:
                r['guard'] = dict(cosine=e.guard.cosine, min_cosine=e.guard.min_cosine, text_cosine=e.guard.text_cosine, overlap=e.guard.overlap, passed=e.guard.passed)
                line += f"; guard on the sample photos: {e.guard}"
        res[name] = r
        print(line)
    if ref is not None: # what draft decoding changes: float32 on the full decode of the same photos
        full = CLIPEmbedder(str(model), device=str(dev), batch_size=a.batch_size, backend='torch', progress=False, draft=False)
        m = min(64, len(paths)); c = (np.stack(files_runner(full)(paths[:m]))*np.stack([ref[p] for p in paths[:m]])).sum(1)
        res['draft vs full decode'] = dict(cos_mean=float(c.mean()), cos_min=float(c.min()), n=m)
        print(f"draft decoding vs full decoding (float32, {m} photos): cosine {c.mean():.5f} (min {c.min():.5f})")
    if cli:
        (dt,n) = min(cli)
        from clip_search.backends import backend_candidates, cached_guard
        from clip_search.model import load_model
        lm = load_model(str(model), device=str(dev))
        g = {b: cached_guard(lm, b) for b in backend_candidates(dev)[:-1]}
        res['auto'] = dict(picked=default, guard={b: None if r is None else dict(passed=r.passed, ips=r.ips, torch_ips=r.torch_ips, speedup=r.speedup) for b,r in g.items()})
        print(f"auto picks {default}; the guard's timing of each candidate (15 sample photos, image tower alone, images/s against float32 timed alongside): "
              + ', '.join(f"{b} {r.ips:.1f} vs {r.torch_ips:.1f} ({r.speedup:.2f}x{'' if r.passed else ', FAILED the guard'})" if r else f"{b} -" for b,r in g.items()))
        res['clip-search index'] = dict(ips=n/dt, speedup=n/dt/seed_best, seconds=dt, indexed=n, backend=default, runs=[list(o) for o in cli])
        print(f"{'clip-search index':<26} {n/dt:13.1f} {'':>7} {n/dt/seed_best:10.1f}x  (no flags; {n} photos in {dt:.1f} s, best of {len(cli)}, "
              f"model loading included; default backend here: {default})")
    print(f"load average after: {load()}")
    if a.json: Path(a.json).write_text(json.dumps(dict(results=res, device=str(dev), gpu=gpu, n=len(paths)), indent=1))
    return res

if __name__ == '__main__': main()
