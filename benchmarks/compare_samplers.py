"""Our three samplers side by side on the demo test frames of each domain (central crops), with their cost.

    python benchmarks/compare_samplers.py [--domains astronomy,microscopy,photography] [--frames 2] [--crop 96]

Uses the newest demo-preset run of each domain in .cache/runs (make report trains one). Prints PSNR
(scaled units, noise-free truth of the demo data as reference), reduced χ², interval coverage
with its nominal level, network evaluations per sample and seconds per frame.
"""
import argparse
from pathlib import Path

from pgd_nb.evaluate import EvalConfig, score_methods, test_observations
from pgd_nb.preprocess import demo_tiles
from pgd_nb.training import demo_checkpoint
from pgd_nb.checkpoints import load_prior

ROOT = Path(__file__).resolve().parents[1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--domains", default="astronomy,microscopy,photography")
    ap.add_argument("--frames", type=int, default=2)
    ap.add_argument("--crop", type=int, default=96)
    ap.add_argument("--samples", type=int, default=8)
    ap.add_argument("--run_glob", default="*-{domain}-tiny-b16", help="run folders to take the newest of (default: the demo preset's runs)")
    a = ap.parse_args()
    cache = ROOT / ".cache"
    for domain in a.domains.split(","):
        raw, _ = demo_tiles(domain, cache)
        runs = sorted(p for p in (cache / "runs").glob(a.run_glob.format(domain=domain)) if (p / "best.pt").is_file())
        ckpt = str(runs[-1]) if runs else demo_checkpoint(domain, cache)
        prior = load_prior(ckpt)
        obs = test_observations(domain, raw, a.frames, a.crop, scaling=prior.scaling(domain))
        print(f"{domain}: run {Path(ckpt).parent.name if ckpt.endswith('.pt') else Path(ckpt).name}, {len(obs)} frames, crop {a.crop}, {a.samples} samples", flush=True)
        for method, steps, opts in [("daps", 33, {}), ("dps", 30, {}), ("gibbs", 150, {})]:
            cfg = EvalConfig(domain, ckpt, method=method, samples=a.samples, steps=steps, sampler_options=opts)
            rows = []
            for o in obs:
                rows += score_methods(prior, domain, o["y"], o["fm"], o["clean"], {}, cfg, o["bad"], o["sensor"])[0]
            n = len(rows)
            mean = lambda k: sum(r[k] for r in rows) / n
            print(f"  {method:>5}: PSNR {mean('psnr'):6.2f} dB, χ² {mean('reduced_chi2'):.3f}, coverage {mean('coverage'):.3f} (nominal {rows[0]['coverage_nominal']:.3f}), "
                  f"{rows[0]['evals_per_sample']} evaluations per sample, {mean('seconds'):.1f} s per frame", flush=True)


if __name__ == "__main__":
    main()
