"""The Bayes check on each domain's trained demo prior: every estimator against truths drawn from the network itself.

    python benchmarks/bayes_check.py [--domains photography,microscopy,astronomy] [--methods pinned,daps] [--tiles 6]
                                     [--crop 64] [--samples 8] [--levels 200] [--out benchmarks/results/bayes_check]

For each domain (the newest demo-preset run in .cache/runs; `make report` trains one): truths drawn from the network by
the reverse SDE (`pgd_nb.evaluate.prior_draws`), exact Poisson-Gaussian observations at the level of the domain's first
demo test frame and at a level 10× brighter, and `pgd_nb.evaluate.bayes_check` for each sampler: PSNR (model units,
range 2) of ours (the mean of K samples) and of every baseline on the same observations, ours' margin over each and its
allowance (the K-sample penalty plus twice the bootstrap standard error), SBC coverage and χ², evaluations and seconds
per tile, and the network's self-consistency. `daps` is there as the method the check must fail. Prints one table and
writes bayes_check.json to --out.
"""
import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

import torch

from pgd_nb.checkpoints import load_prior
from pgd_nb.evaluate import bayes_check, prior_draws, test_observations

ROOT = Path(__file__).resolve().parents[1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--domains", default="photography,microscopy,astronomy")
    ap.add_argument("--methods", default="pinned,daps")
    ap.add_argument("--tiles", type=int, default=6)
    ap.add_argument("--crop", type=int, default=64)
    ap.add_argument("--samples", type=int, default=8)
    ap.add_argument("--levels", type=int, default=200, help="levels of the reverse SDE that draws the truths")
    ap.add_argument("--baselines", default="noisy,gat_nlm,gat_bm3d,edm_tweedie,edm_unguided")
    ap.add_argument("--run_glob", default="*-{domain}-tiny-b16", help="run folders to take the newest of (default: the demo's)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "bayes_check"))
    a = ap.parse_args()
    rows = []
    for domain in a.domains.split(","):
        runs = sorted(p for p in (ROOT / ".cache" / "runs").glob(a.run_glob.format(domain=domain)) if (p / "best.pt").is_file())
        if not runs: raise SystemExit(f"no trained demo run for {domain} in .cache/runs: run `make report DOMAIN={domain}` first")
        prior = load_prior(runs[-1], precision="fp32")
        fm0 = replace(test_observations(domain, ROOT / ".cache" / "demo" / domain, 1, 64, a.seed,
                                        scaling=prior.scaling(domain))[0]["fm"], mask=None)
        t0 = time.perf_counter()
        truths = prior_draws(prior, domain, a.tiles, a.crop, a.levels, a.seed)
        print(f"{domain}: {runs[-1].name}, {a.tiles} truths of {a.crop} px in {time.perf_counter() - t0:.0f} s", flush=True)
        for ratio in (fm0.exposure_ratio, fm0.exposure_ratio / 10):
            for method in a.methods.split(","):
                b = bayes_check(prior, domain, truths, replace(fm0, exposure_ratio=ratio), a.samples, method,
                                tuple(a.baselines.split(",")), seed=a.seed)
                rows.append({k: v for k, v in b.items() if k != "left_out"})
                sc = b["self_consistency"]
                print(f"  ratio {ratio:g} (median λ {b['median_lambda_e']:.1f} e⁻) {method} ({b['evals_per_sample']} evals, "
                      f"{b['seconds_per_tile']:.1f} s/tile): {'PASSED' if b['passed'] else 'FAILED'} | "
                      + " ".join(f"{k} {v:.2f}" for k, v in b["psnr"].items())
                      + " | ours − best other " + f"{min(b['margin_db'].values()):+.2f} dB (allowed −{b['allowed_db'][min(b['margin_db'], key=b['margin_db'].get)]:.2f})"
                      + f" | coverage {b['coverage']:.3f}/{b['nominal']:.3f} χ² {b['sample_chi2']:.3f}/{b['truth_chi2']:.3f}"
                      + f" | network: coverage {sc['coverage']:.3f}, SDE mean − one step {sc['psnr_sde_mean'] - sc['psnr_one_step']:+.2f} dB",
                      flush=True)
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    (out / "bayes_check.json").write_text(json.dumps({"args": vars(a), "rows": rows}, indent=1, ensure_ascii=False))
    print(f"wrote {out / 'bayes_check.json'}")


if __name__ == "__main__":
    main()
