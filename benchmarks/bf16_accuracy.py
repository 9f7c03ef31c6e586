"""How much bf16 inference changes the denoiser, next to the denoiser's own error, on the demo priors.

    python benchmarks/bf16_accuracy.py [--tiles 16] [--crop 64]

For the newest demo run of each domain in .cache/runs: validation tiles x0 (centre crops), x = x0 + σ·n at several σ,
and the RMS of D_bf16(x) − D_fp32(x) beside the RMS of D_fp32(x) − x0 (its error against the clean tile), both in
model space, with their ratio. bf16 is harmless where the ratio is far below 1.
"""
import argparse
import glob
from pathlib import Path

import torch

from pgd_nb.checkpoints import load_prior
from pgd_nb.data import TileDataset

ROOT = Path(__file__).resolve().parents[1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tiles", type=int, default=16)
    ap.add_argument("--crop", type=int, default=64)
    ap.add_argument("--sigmas", default="0.01,0.05,0.2,1,5")
    ap.add_argument("--run_glob", default="*-{domain}-tiny-b16", help="run folders to take the newest of (the demo preset's)")
    a = ap.parse_args()
    for domain in ("photography", "microscopy", "astronomy"):
        runs = sorted(glob.glob(str(ROOT / ".cache" / "runs" / a.run_glob.format(domain=domain))))
        runs = [r for r in runs if (Path(r) / "best.pt").is_file()]
        if not runs:
            print(f"{domain}: no demo run in .cache/runs (make report DOMAIN={domain})")
            continue
        fp32, bf16 = load_prior(runs[-1], precision="fp32"), load_prior(runs[-1], precision="bf16")
        ds = TileDataset(ROOT / ".cache" / "tiles", "val", [domain], channels=fp32.channels)
        o = (ds[0]["x"].shape[-1] - a.crop) // 2
        x0 = torch.stack([ds[i]["x"][:, o:o + a.crop, o:o + a.crop] for i in range(min(a.tiles, len(ds)))])
        lab = fp32.labels(domain).expand(len(x0), -1)
        g = torch.Generator().manual_seed(0)
        print(f"{domain} ({Path(runs[-1]).name}, {len(x0)} tiles of {a.crop} px):")
        for s in map(float, a.sigmas.split(",")):
            x = x0 + s * torch.randn(x0.shape, generator=g)
            with torch.inference_mode():
                d32, d16 = fp32.denoiser(x, s, lab), bf16.denoiser(x, s, lab)
            change = (d16 - d32).pow(2).mean().sqrt().item()
            own = (d32 - x0).pow(2).mean().sqrt().item()
            print(f"  σ = {s:5.2f}: bf16 − fp32 RMS {change:.2e}, fp32 error RMS {own:.2e}, ratio {change / own:.3f}")


if __name__ == "__main__":
    main()
