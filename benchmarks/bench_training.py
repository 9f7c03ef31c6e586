"""Training throughput (img/s) of the network presets at a crop size, on the demo data of one domain.

Run: .venv/bin/python benchmarks/bench_training.py [--presets tiny small] [--crop 64] [--batch 16] [--steps 30] [--device auto]
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
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="pgd_bench_train_"))
    try:
        make_demo_dataset(a.domain, work / "raw", progress=False)
        preprocess(find_layout(work / "raw", a.domain), work / "tiles", tile=max(256, a.crop), progress=False)
        print(f"{'preset':<7} {'crop':>4} {'batch':>5} {'compile':>7} {'device':>6} {'img/s':>8} {'peak MB':>8}")
        for preset in a.presets:
            for comp in ([False, True] if a.compile == "both" else [a.compile == "on"]):
                steps = a.steps
                tick = steps // 5 * a.batch / 1000  # five ticks: the first (warm-up, compilation) and the last (final validation, checkpoint) are not counted
                cfg = TrainConfig(data=str(work / "tiles"), out=str(work / "runs"), domains=(a.domain,), preset=preset, kimg=steps * a.batch / 1000,
                                  batch=a.batch, crop=a.crop, tick_kimg=tick, val_every_ticks=1000, checkpoint_every_ticks=1000, device=a.device, compile=comp)
                run = train(cfg, progress=False)
                stats = [json.loads(l) for l in (run / "stats.jsonl").read_text().splitlines()]
                mid = stats[1:-1] or stats
                ips = sum(s["img_per_s"] for s in mid) / len(mid)
                dev = "cuda" if torch.cuda.is_available() and a.device != "cpu" else "cpu"
                print(f"{preset:<7} {a.crop:>4} {a.batch:>5} {str(comp):>7} {dev:>6} {ips:>8.1f} {stats[-1]['memory_mb']:>8.0f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
