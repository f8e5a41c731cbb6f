"""Video frame sampling: frames decoded per second and frames kept per video minute, for the default sampler
(a frame every 2 s, keyframe seeks, reference frames only, near-duplicates dropped) against decoding every frame.

    python bench/video.py                        # a 60 s 1280x720 30 fps H.264 clip, made here
    python bench/video.py --seconds 120 --width 1920 --height 1080
    python bench/video.py --video holiday.mp4    # one of yours

All figures come from one run on this machine."""
from __future__ import annotations
import argparse, os, platform, tempfile, time
from pathlib import Path
import numpy as np
from clip_search.video import import_av, open_video, sample_frames, frame_image, SampleStats

def synthetic(path:Path, seconds:int, w:int, h:int, fps:int=30, gop:int|None=30, shot:float=5.0, still:float=15.0)->Path:
    "A clip of panning shots, `shot` s each, with a `still` s still shot in the middle; the texture moves with the camera, as in real footage."
    av = import_av(path)
    rng = np.random.default_rng(0)
    xx = np.linspace(0, 1, w, dtype=np.float32)[None, :, None]
    tex = rng.integers(0, 24, (h, 2*w, 3), dtype=np.uint8)
    with av.open(str(path), 'w') as c:
        s = c.add_stream('libx264', rate=fps, options={'preset': 'veryfast'}); s.width,s.height,s.pix_fmt = w, h, 'yuv420p'
        if gop: s.codec_context.gop_size = gop
        for i in range(seconds*fps):
            t = i/fps
            k = -1 if seconds/2 <= t < seconds/2 + still else int(t // shot) # shot number; -1: the still shot
            c0,c1 = np.random.default_rng(k + 7).integers(0, 200, (2, 3))
            dx = 0 if k < 0 else int((t % shot) * 60) # the camera pans 60 px/s
            a = (c0*(1-xx) + c1*xx).astype(np.uint8) + np.broadcast_to(tex[:, dx:dx+w], (h, w, 3))
            r,cx = min(w, h)//6, (w//2 + 2*dx) % w
            a[h//2-r:h//2+r, max(0, cx-r):cx+r] = 255 - c0
            for p in s.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(a), format='rgb24')): c.mux(p)
        for p in s.encode(): c.mux(p)
    return path

def decode_all(path)->tuple[int, float]:
    "Decode every frame (threaded), as a sampler without seeks would: (frames, seconds)."
    c,s,_ = open_video(path)
    s.thread_type = 'AUTO'
    t = time.perf_counter(); n = sum(1 for _ in c.decode(s)); dt = time.perf_counter() - t
    c.close()
    return n, dt

def decode_all_keep(path, every:float=2.0)->tuple[int, int, float]:
    "Decode every frame and convert one every `every` s to a small picture: (decoded, kept, seconds)."
    c,s,_ = open_video(path)
    s.thread_type = 'AUTO'
    t,n,kept,nxt = time.perf_counter(), 0, 0, 0.0
    for f in c.decode(s):
        n += 1
        if f.time is not None and f.time >= nxt: frame_image(f, 256); kept += 1; nxt += every
    dt = time.perf_counter() - t
    c.close()
    return n, kept, dt

def keyframes(path)->list[float]:
    "Keyframe times, from the packets (no decoding)."
    c,s,_ = open_video(path)
    out = [float(p.pts*p.time_base) for p in c.demux(s) if p.is_keyframe and p.pts is not None]
    c.close()
    return out

def sampled(path, **kw)->tuple[SampleStats, float]:
    st = SampleStats(); t = time.perf_counter()
    for _ in sample_frames(path, stats=st, progress=False, **kw): pass
    return st, time.perf_counter() - t

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--video', help='a video file to measure (default: a synthetic clip made here)')
    ap.add_argument('--seconds', type=int, default=60); ap.add_argument('--width', type=int, default=1280); ap.add_argument('--height', type=int, default=720)
    ap.add_argument('--gop', type=int, default=30, help='frames between keyframes of the synthetic clip: 30 = 1 s, as phones write; 0: x264 default (250, and one at each cut)')
    a = ap.parse_args()
    import_av()
    if a.video: path = Path(a.video)
    else:
        path = Path(tempfile.mkdtemp())/'clip.mp4'
        t = time.perf_counter(); synthetic(path, a.seconds, a.width, a.height, gop=a.gop or None)
        print(f"made a {a.seconds} s {a.width}x{a.height} 30 fps H.264 clip (x264 veryfast; keyframes: {f'every {a.gop} frames' if a.gop else 'x264 default'}) "
              f"with 5 s panning shots and a 15 s still shot in {time.perf_counter()-t:.1f} s")
    c,s,info = open_video(path); c.close()
    minutes = (info.duration or 0)/60
    print(f"video: {path.name}, {info.duration:.1f} s, {info.width}x{info.height}, {info.fps:g} fps, {info.codec}; "
          f"CPU: {platform.processor() or platform.machine()}, {os.cpu_count()} logical cores, load average {os.getloadavg()[0]:.1f}")
    n,dt = decode_all(path)
    n2,k2,dt2 = decode_all_keep(path)
    print(f"\n{'method':46} {'decoded':>8} {'wall s':>7} {'decoded/s':>10} {'video s/s':>10} {'kept/min':>9}")
    row = lambda name,dec,sec,kept: print(f"{name:46} {dec:8d} {sec:7.2f} {dec/sec:10.0f} {info.duration/sec:10.1f} {kept if isinstance(kept, str) else f'{kept/minutes:.1f}':>9}")
    row('decode every frame', n, dt, '-')
    row('decode every frame, keep one per 2 s', n2, dt2, k2)
    for name,kw in [('sampler (default: every 2 s, dedup)', {}), ('sampler, every 2 s, no dedup', dict(min_change=0)),
                    ('sampler, every 10 s', dict(every=10))]:
        st,sec = sampled(path, **kw)
        row(name, st.decoded, sec, st.kept)
        if not kw: best = (st, sec)
    st,sec = best
    kf = keyframes(path)
    print(f"\nkeyframes: {len(kf)}, one every {info.duration/max(1, len(kf)):.1f} s on average")
    print(f"default sampler: {st.kept} frames kept of {int(info.duration//2)+1} sampled moments ({st.similar} dropped as alike), "
          f"{st.seeks} seeks; {dt2/sec:.1f}x faster than decoding every frame and keeping one per 2 s")

if __name__ == '__main__': main()
