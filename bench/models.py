"""Speed of each model family's shape on this machine, for the models table (`clip_search.models`).

    python bench/models.py                       # every shape, every CPU backend this machine has
    python bench/models.py --shapes clip-b32 --backends torch,onnx,onnx-int8 --n 64

Random-weight checkpoints of the same shape as the published models (built offline, cached) do exactly the
same arithmetic as real weights, so their speed is the real models' speed. For each shape and backend it
prints image-tower throughput on preprocessed 640x480 photos of noise (224-pixel crops for CLIP and SigLIP, 256
patches of the photo's own aspect for SigLIP 2 NaFlex, each batch built by `collate` as the embedder does; images/s wall, and CPU-ms per image, which is
fairer on a shared machine), and one short text query (median of 10, warm: wall ms and CPU ms). Backends run one after
another within each shape, and the load average is printed at the start and the end (and per shape): figures taken while other
programs load the machine are slower than a quiet machine's, and only their ratios within one run compare.
"""
import argparse, os, time
os.environ.setdefault('HF_HUB_OFFLINE', '1')
import numpy as np, torch
from PIL import Image
from clip_search.model import load_model, collate
from clip_search.backends import make_encoder
from clip_search.core import random_clip
from clip_search.testing import random_siglip, random_siglip2

SHAPES = {'clip-b32': lambda: random_clip('vit-b-32'), 'clip-b16': lambda: random_clip('vit-b-16'),
          'siglip-b16': lambda: random_siglip('base-16'), 'siglip2-naflex-b16': lambda: random_siglip2('base-16')}

def photos(lm, n:int)->dict:
    "The model's inputs for `n` 640x480 photos of noise, preprocessed and collated as `CLIPEmbedder` does."
    rng = np.random.default_rng(0)
    return collate([lm.preprocess(Image.fromarray(rng.integers(0, 256, (480, 640, 3), np.uint8))) for _ in range(n)])

def image_speed(enc, px:dict, rounds:int=2)->tuple[float, float]:
    "Best images/s over `rounds`, and CPU-ms per image of that round."
    enc.image(**{k: v[:2] for k,v in px.items()}) # warm-up
    best,n = (0, 0),len(px['pixel_values'])
    for _ in range(rounds):
        w,c = time.perf_counter(),time.process_time()
        enc.image(**px)
        w,c = time.perf_counter()-w, time.process_time()-c
        if n/w > best[0]: best = (n/w, 1000*c/n)
    return best

def text_ms(enc, tok:dict, n:int=10)->tuple[float, float]:
    "Median wall ms and CPU ms of one short query."
    enc.text(**tok)
    ts,cs = [],[]
    for _ in range(n):
        t,c = time.perf_counter(),time.process_time(); enc.text(**tok)
        ts.append(1000*(time.perf_counter()-t)); cs.append(1000*(time.process_time()-c))
    return float(np.median(ts)), float(np.median(cs))

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--shapes', default=','.join(SHAPES))
    ap.add_argument('--backends', default=None, help='comma-separated; default: torch, bf16 (where native), onnx, onnx-int8, openvino (where installed)')
    ap.add_argument('--n', type=int, default=32, help='images per timed batch')
    ap.add_argument('--threads', type=int, default=None, help="threads for PyTorch and ONNX Runtime (default: PyTorch's)")
    a = ap.parse_args()
    from clip_search.backends import cpu_has_bf16, onnxruntime_available, openvino_available
    ort,ov = onnxruntime_available(),openvino_available()
    backends = a.backends.split(',') if a.backends else ['torch'] + ['bf16']*cpu_has_bf16() + ['onnx', 'onnx-int8']*ort + ['openvino']*(ort and ov)
    if a.threads: torch.set_num_threads(a.threads) # ONNX Runtime's encoders take as many as PyTorch
    load = lambda: ' '.join(f'{x:.1f}' for x in os.getloadavg())
    print(f"{os.cpu_count()} CPUs ({torch.backends.cpu.get_cpu_capability()}), torch threads {torch.get_num_threads()}, load average at start {load()}")
    print("| shape | backend | images/s | CPU ms/image | text query ms | text CPU ms |\n|---|---|---|---|---|---|")
    for shape in a.shapes.split(','):
        lm = load_model(str(SHAPES[shape]()), device='cpu')
        px = photos(lm, a.n)
        tok = lm.tokenize(['a photo of a dog'])
        for b in backends:
            enc = make_encoder(lm, b)
            ips,cpu = image_speed(enc, px)
            print(f"| {shape} | {b} | {ips:.1f} | {cpu:.0f} | " + ' | '.join(f'{x:.1f}' for x in text_ms(enc, tok)) + " |", flush=True)
            del enc
        print(f"(load average after {shape}: {load()})", flush=True)
    print(f"load average at end: {load()}")

if __name__ == '__main__': main()
