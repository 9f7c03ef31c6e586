"""Peak memory of restoring one full-size frame: by default a 4,000 × 6,000 Bayer frame (24 MP) at K = 8 samples.

    python benchmarks/restore_memory.py [--height 4000] [--width 6000] [--samples 8] [--steps 2] [--tile 64]
        [--batch 0] [--keep_samples]

The frame is the three colour planes (R, mean of the two G, B) of a Bayer mosaic, 2,000 × 3,000 each, in electrons of
a low-light exposure (λ ~ Gamma(1, 40 e⁻), read noise 3 e⁻, ratio 100). The network is replaced by the closed-form
denoiser of a Gaussian prior (`pgd_nb.edm.GaussianDenoiser`), which costs almost nothing, so the figure is the memory
of the restoration itself (tiles, stitching, samples), not of a network; --steps sampler steps, --tile px tiles (the
demo prior's crop). Prints the process's peak resident set (ru_maxrss) before and after `restore_planes`, the frame's
own size for scale, the seconds and the machine.
"""
import argparse
import dataclasses
import resource
import time

import numpy as np


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--height", type=int, default=4000)
    ap.add_argument("--width", type=int, default=6000)
    ap.add_argument("--samples", type=int, default=8)
    ap.add_argument("--steps", type=int, default=2)
    ap.add_argument("--tile", type=int, default=64)
    ap.add_argument("--batch", type=int, default=0, help="tiles per batch (0: auto_batch, as pgd_restore)")
    ap.add_argument("--keep_samples", action="store_true")
    a = ap.parse_args()

    from pgd_nb.calibration import Scaling
    from pgd_nb.checkpoints import Prior
    from pgd_nb.edm import GaussianDenoiser
    from pgd_nb.guidance import ForwardModel
    from pgd_nb.restore import RestoreConfig, restore_planes
    from pgd_nb.utils import machine

    rng = np.random.default_rng(0)
    H, W = a.height // 2, a.width // 2  # the colour planes of a 2×2 Bayer mosaic
    lam = rng.gamma(1.0, 40.0, (3, H, W))
    counts = np.array([1, 2, 1])[:, None, None]
    y = (rng.poisson(lam * counts / 100) / counts + 3.0 * rng.standard_normal((3, H, W)) / np.sqrt(counts))
    y = y.astype(np.float32)
    del lam
    fm = ForwardModel(Scaling(41000.0, 0.0), read_noise_e=3.0, exposure_ratio=100.0, counts=(1, 2, 1))
    prior = Prior(GaussianDenoiser(-0.9, 0.2), ("photography",), 3, "analytic", 0.2, "analytic")
    options = {"keep_samples": a.keep_samples} if "keep_samples" in {f.name for f in dataclasses.fields(RestoreConfig)} else {}
    cfg = RestoreConfig("pinned", samples=a.samples, steps=a.steps, tile=a.tile, min_overlap=a.tile // 4, device="cpu",
                        precision="fp32", batch=a.batch or None, **options)
    print(f"machine: {machine()}", flush=True)
    before = peak_mb()
    t0 = time.perf_counter()
    r = restore_planes(prior, y, "photography", fm, cfg=cfg, progress=False)
    seconds = time.perf_counter() - t0
    print(f"{a.height}×{a.width} Bayer frame (3 planes of {H}×{W}, {y.nbytes / 2**20:.0f} MiB as float32), K = "
          f"{a.samples}, {r.tiles} tiles of {a.tile} px in batches of {a.batch or 'auto'}, {a.steps} steps, samples kept: "
          f"{r.samples_u is not None}: peak RSS {before:.0f} MiB before restore_planes, {peak_mb():.0f} MiB after; "
          f"{seconds:.0f} s; mean {float(r.mean_u.mean()):.6f}, std {float(r.std_u.mean()):.6f}", flush=True)


if __name__ == "__main__":
    main()
