"""Training throughput (img/s) of the network presets at a crop size, on the demo data of one domain.

Run: .venv/bin/python benchmarks/bench_training.py [--presets tiny small] [--crop 64] [--batch 16] [--steps 30] [--device auto]
     [--bf16 auto|on|off|both] [--channels_last auto|on|off]
On CUDA it also reports peak memory, with bf16 autocast, with and without torch.compile (--compile both).
"""
import argparse
import json
import shutil
import tempfile
from pathlib import Path

import torch

from pgd_nb.demo_data import make_demo_dataset
from pgd_nb.layouts import find_layout
from pgd_nb.preprocess import preprocess
from pgd_nb.training import TrainConfig, train


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--presets", nargs="+", default=["tiny", "small"])
    ap.add_argument("--crop", type=int, default=64)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--compile", choices=["off", "on", "both"], default="off")
    ap.add_argument("--domain", default="astronomy")
    ap.add_argument("--bf16", default="auto", help="auto (TrainConfig's default), on, off, or both (off then auto)")
    ap.add_argument("--channels_last", default="auto", choices=["auto", "on", "off"])
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="pgd_bench_train_"))
    try:
        make_demo_dataset(a.domain, work / "raw", progress=False)
        preprocess(find_layout(work / "raw", a.domain), work / "tiles", tile=max(256, a.crop), progress=False)
        print(f"{'preset':<7} {'crop':>4} {'batch':>5} {'compile':>7} {'bf16':>5} {'layout':>6} {'device':>6} {'img/s':>8} "
              f"{'peak MB':>8}")
        flag = {"auto": None, "on": True, "off": False}
        for preset, comp, bf16 in [(p, c, b) for p in a.presets
                                   for c in ([False, True] if a.compile == "both" else [a.compile == "on"])
                                   for b in (["off", "auto"] if a.bf16 == "both" else [a.bf16])]:
            steps = a.steps
            tick = steps // 5 * a.batch / 1000  # five ticks: the first (warm-up, compilation) and the last (final validation, checkpoint) are not counted
            cfg = TrainConfig(data=str(work / "tiles"), out=str(work / "runs"), domains=(a.domain,), preset=preset, kimg=steps * a.batch / 1000,
                              batch=a.batch, crop=a.crop, tick_kimg=tick, val_every_ticks=1000, checkpoint_every_ticks=1000, device=a.device, compile=comp,
                              bf16=flag[bf16], channels_last=flag[a.channels_last])
            run = train(cfg, progress=False)
            stats = [json.loads(l) for l in (run / "stats.jsonl").read_text().splitlines()]
            mid = stats[1:-1] or stats
            ips = sum(s["img_per_s"] for s in mid) / len(mid)
            dev = "cuda" if torch.cuda.is_available() and a.device != "cpu" else "cpu"
            print(f"{preset:<7} {a.crop:>4} {a.batch:>5} {str(comp):>7} {bf16:>5} {a.channels_last:>6} {dev:>6} {ips:>8.1f} "
                  f"{stats[-1]['memory_mb']:>8.0f}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
