"""What has a trained prior learnt? Its denoising curve against a classical denoiser and its samples against data.

    python benchmarks/prior_quality.py RUN_OR_CHECKPOINT [...] [--domains D,..] [--tiles 16] [--samples 16]
        [--curve_tiles 0] [--sde_levels 40] [--crop 64] [--out figures.json]

For each checkpoint (a run folder of pgd_train, or a .pt file in one) and each domain it was trained on
(or --domains), runs `pgd_nb.evaluate.measure_prior` on the demo data in .cache (the measurements of
train.ipynb): the PSNR of the network's denoiser at the noise levels of the domain's test observations
beside the classical Gaussian denoiser, and the std and band-power ratios of its ODE and SDE samples
against held-out tiles. Prints one block per checkpoint and domain with the seconds it took and the
machine; --out keeps every figure as JSON.
"""
import argparse
import json
import time
from pathlib import Path

from pgd_nb.checkpoints import load_prior
from pgd_nb.evaluate import measure_prior
from pgd_nb.preprocess import demo_tiles
from pgd_nb.utils import machine

ROOT = Path(__file__).resolve().parents[1]


def block(name: str, domain: str, q: dict, seconds: float) -> str:
    c = q["denoising"]
    lines = [f"{name} on {domain} ({seconds:.0f} s): σ levels from {q['sigma_source']}",
             "  σ          " + " ".join(f"{r['sigma']:7.4f}" for r in c),
             "  network    " + " ".join(f"{r['network']:7.2f}" for r in c),
             f"  {c[0]['classical_method']:10s} " + " ".join(f"{r['classical']:7.2f}" for r in c),
             "  margin     " + " ".join(f"{r['margin']:+7.2f}" for r in c)]
    for part, against in (("samples", "training crops"), ("samples_held_out", "held-out crops")):
        for k, st in q.get(part, {}).items():
            lines.append(f"  {k}: std {st['sample_std']:.4f} vs {against} {st['data_std']:.4f} "
                         f"({st['data_scenes']} scenes; ratio {st['std_ratio']:.3f}), mean ratio "
                         f"{st['mean_ratio']:.3f}, spectrum low/mid/high {st['spectrum_low_ratio']:.3f}/"
                         f"{st['spectrum_mid_ratio']:.3f}/{st['spectrum_high_ratio']:.3f}")
    lines.append(f"  ODE std / SDE std {q['ode_over_sde_std']:.3f}; flags: {'; '.join(q['flags']) or 'none'}")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("checkpoints", nargs="+")
    ap.add_argument("--domains", default="")
    ap.add_argument("--tiles", type=int, default=16)
    ap.add_argument("--curve_tiles", type=int, default=0, help="crops of the denoising curve (0: all --tiles)")
    ap.add_argument("--samples", type=int, default=16)
    ap.add_argument("--sde_levels", type=int, default=40)
    ap.add_argument("--crop", type=int, default=64)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="")
    a = ap.parse_args()
    print(f"machine: {machine()}", flush=True)
    cache, results = ROOT / ".cache", []
    for ck in a.checkpoints:
        prior = load_prior(ck, precision="fp32")
        for domain in (a.domains.split(",") if a.domains else prior.domains):
            raw, tiles = demo_tiles(domain, cache)
            t0 = time.perf_counter()
            q = measure_prior(prior, domain, raw, tiles, a.crop, a.tiles, a.samples, a.sde_levels, a.seed,
                              a.curve_tiles or None)
            for k in ("clean", "draws", "reference", "reference_scenes"): q.pop(k)
            name = f"{Path(prior.checkpoint).parent.name}/{Path(prior.checkpoint).name} (step {prior.step})"
            print(block(name, domain, q, time.perf_counter() - t0), flush=True)
            results.append({"checkpoint": name, "domain": domain, "seconds": time.perf_counter() - t0, **q})
    if a.out: Path(a.out).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
