"""The cost of restoring one tile against its floor, the bare network forward, per inference setting and sampler.

    python benchmarks/bench_restore.py [--device cpu|cuda] [--preset tiny] [--tile 256] [--batch 1] [--channels 1]
        [--settings fp32,fp32-cl,bf16-cl] [--methods pinned,daps] [--likelihood table,sums] [--checkpoint RUN]
        [--compile] [--train] [--reference] [--train_compile off|on|both] [--frame 256] [--frame_tile 64]

For each setting (the denoiser's precision and memory layout; "+compile" adds torch.compile): milliseconds per network
evaluation of one tile at batch --batch (the floor), its compile time if any, and peak memory. Then for each sampler and
likelihood (one sample of one tile): network evaluations, seconds per tile per sample, milliseconds of likelihood per
sampler step (the exact Poisson-Gaussian terms: "table" is the checked table of `pg_derivatives_fast`, "sums" the
windowed sums), the likelihood's share of one evaluation, and the ratio of the sampler's time to evaluations × floor
(1.0 would be a sampler that costs nothing beside the network). Peak memory: CUDA's allocator peak, or on Linux the
growth of the process's peak resident set over the setting (/proc/self/status, reset through clear_refs).

With --frame N: seconds per megapixel of a whole restoration of an N × N observation (`restore_planes` in --frame_tile
tiles with their overlap and stitching), in the default mode and the mean-only mode, with the evaluations per pixel
each costs (the last of --settings, or the checkpoint's own precision).

With --train: training images per second of --train_preset (default base) at --train_tile px, batch --train_batch, for
bf16 autocast with and without torch.compile (compile time apart), and with --reference the same for diffusers'
`UNet2DModel` of about the same size and layout, trained by the same EDM loop (install diffusers in your own
environment; it is not a dependency). That part is meant for a GPU (`--device cuda`: base, 256 px, batch 16); on a CPU
run it with small sizes to check it works.

Without a checkpoint the networks have random weights: the cost of an evaluation does not depend on them. The
observation is a low-light frame, λ ~ Gamma(1, 40 e⁻) with read noise 2 e⁻.
"""
import argparse
import math
import re
import time
from pathlib import Path

import numpy as np
import torch

from pgd_nb.calibration import DOMAINS, Scaling
from pgd_nb.edm import EDMLoss, EDMPrecond, bf16_supported
from pgd_nb.guidance import ForwardModel, posterior_sample, sampler_options
from pgd_nb.noise import Likelihood, pg_table
from pgd_nb.networks import count_parameters, make_network


def sync(dev):
    if dev.type == "cuda": torch.cuda.synchronize(dev)


class Peak:
    """Peak memory since `reset`, in MB: CUDA's allocator peak; on a Linux CPU the growth of the process's peak resident
    set over its resident set at `reset` (memory the process already holds and reuses is not counted again)."""
    def __init__(self, dev): self.dev, self.base = dev, 0.0

    @staticmethod
    def _status(key:str) -> float:
        try: return int(re.search(rf"{key}:\s+(\d+)", Path("/proc/self/status").read_text()).group(1)) / 1024
        except (OSError, AttributeError): return float("nan")

    def reset(self):
        if self.dev.type == "cuda": return torch.cuda.reset_peak_memory_stats(self.dev)
        try: Path("/proc/self/clear_refs").write_text("5")  # the peak resident set starts again from the current
        except OSError: pass
        self.base = self._status("VmRSS")

    def read(self) -> float:
        if self.dev.type == "cuda": return torch.cuda.max_memory_allocated(self.dev) / 2 ** 20
        return self._status("VmHWM") - self.base


class TimedLikelihood(Likelihood):
    "A Likelihood that adds up the seconds spent in its terms."
    def start(self, dev):
        self.dev, self.seconds, self.calls = dev, 0.0, 0
        return self

    def terms(self, *args, **kwargs):
        sync(self.dev)
        t0 = time.perf_counter()
        out = super().terms(*args, **kwargs)
        sync(self.dev)
        self.seconds += time.perf_counter() - t0
        self.calls += 1
        return out


def timed(f, dev, repeat:int):
    "(mean seconds of `repeat` calls after one warm-up call, seconds of the warm-up)."
    sync(dev)
    t0 = time.perf_counter()
    f()
    sync(dev)
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(repeat): f()
    sync(dev)
    return (time.perf_counter() - t0) / repeat, first


def denoiser(preset, C, setting, dev, checkpoint=""):
    "The EDM denoiser of a setting such as 'bf16-cl+compile'."
    if checkpoint:
        from pgd_nb.checkpoints import load_prior
        D = load_prior(checkpoint, dev).denoiser
    else:
        torch.manual_seed(0)
        D = EDMPrecond(make_network(preset, channels=C, label_dim=len(DOMAINS)), 0.5).eval().requires_grad_(False)
        D = D.to(dev)
    D.set_inference(setting.startswith("bf16"), "-cl" in setting)
    if "+compile" in setting: D.net = torch.compile(D.net)
    return D


def observation(C, tile, seed=0):
    rng = np.random.default_rng(seed)
    lam = rng.gamma(1.0, 40.0, (C, tile, tile))
    y = torch.from_numpy((rng.poisson(lam) + 2.0 * rng.standard_normal(lam.shape)).astype(np.float32))
    fm = ForwardModel(Scaling(170.0, 5.0), read_noise_e=2.0, exposure_ratio=1.0, counts=(1, 2, 1) if C == 3 else None)
    label = torch.zeros(len(DOMAINS))
    label[DOMAINS["photography" if C == 3 else "microscopy"].index] = 1
    return y, fm, label


def sampler_steps(method:str) -> int:
    "Likelihood steps (data steps) of one sample at the sampler's defaults."
    o = sampler_options(method)
    return o["steps"] + o.get("hold", 0)


def bench_restore(a, dev, peak):
    print(f"{'setting':<18} {'ch':>2} {'ms/eval':>8} {'compile s':>9} {'peak MB':>8}   {'sampler':<12} {'evals':>5} "
          f"{'s/tile/sample':>13} {'lik ms/step':>11} {'lik/eval':>8} {'x floor':>7}")
    for C in map(int, a.channels.split(",")):
        y, fm, label = observation(C, a.tile)
        t0 = time.perf_counter()  # the tables of the exact likelihood, once per σ and process: not in the timings
        sigmas = sorted({math.sqrt(n) * fm.read_noise_e for n in np.atleast_1d(fm.photosites(C)).tolist()})
        built = [pg_table(s) is not None for s in sigmas]
        print(f"(likelihood tables for σ = {', '.join(f'{s:.3g}' for s in sigmas)} e⁻: "
              f"{'built' if all(built) else 'not all built'} in {time.perf_counter() - t0:.1f} s)")
        for setting in a.settings.split(","):
            if setting.startswith("bf16") and not bf16_supported(dev):
                print(f"{setting:<18} {C:>2} (no native bf16 on {dev}: skipped)")
                continue
            peak.reset()
            D = denoiser(a.preset, C, setting, dev, a.checkpoint)
            x = torch.randn(a.batch, C, a.tile, a.tile, device=dev)
            lab = label.to(dev).expand(a.batch, -1)
            with torch.no_grad():
                fwd, first = timed(lambda: D(x, 0.5, lab), dev, a.repeat)
            floor = fwd / a.batch
            comp = f"{first - fwd:9.1f}" if "+compile" in setting else f"{'':>9}"
            print(f"{setting:<18} {C:>2} {floor * 1e3:8.1f} {comp} {peak.read():8.0f}   {'(forward)':<12}", flush=True)
            for method in a.methods.split(","):
                for kind in a.likelihood.split(","):
                    peak.reset()
                    lik = TimedLikelihood("pg", table=kind == "table").start(dev)
                    sync(dev)
                    t0 = time.perf_counter()
                    r = posterior_sample(D, y, fm, method, num_samples=1, labels=label, likelihood=lik, device=dev,
                                         generator=torch.Generator().manual_seed(0))
                    sync(dev)
                    dt = time.perf_counter() - t0
                    per_step = lik.seconds / sampler_steps(method)
                    print(f"{'':<18} {'':>2} {'':>8} {'':>9} {peak.read():8.0f}   {method + ' ' + kind:<12} "
                          f"{r.evals:5d} {dt:13.2f} {per_step * 1e3:11.1f} {per_step / floor:8.2f} "
                          f"{dt / (r.evals * floor):7.2f}", flush=True)


def bench_frame(a, dev):
    """Seconds per megapixel of a whole restoration (`restore_planes`: tiles, overlap, stitching) of an --frame px
    observation in 64-px tiles (the demo priors' crop), in the default mode and the mean-only mode."""
    from pgd_nb.checkpoints import Prior, load_prior
    from pgd_nb.restore import RestoreConfig, restore_planes
    print(f"\n{'frame':<18} {'ch':>2} {'mode':<10} {'chains':>6} {'evals/px':>8} {'seconds':>8} {'s/MP':>8}")
    for C in map(int, a.channels.split(",")):
        y, fm, _ = observation(C, a.frame, seed=1)
        if a.checkpoint: prior = load_prior(a.checkpoint, dev)
        else:
            D = denoiser(a.preset, C, a.settings.split(",")[-1].split("+")[0], dev)
            prior = Prior(D, tuple(DOMAINS), C, a.preset, 0.5, "random weights", crop=64)
        domain = "photography" if C == 3 else "microscopy"
        for mode in ("default", "mean only"):
            cfg = RestoreConfig(mean_only=mode == "mean only", device=str(dev), tile=a.frame_tile)
            sync(dev)
            t0 = time.perf_counter()
            r = restore_planes(prior, y.numpy(), domain, fm, None, cfg, progress=False)
            sync(dev)
            dt = time.perf_counter() - t0
            mp = a.frame * a.frame / 1e6
            print(f"{a.frame}x{a.frame:<13} {C:>2} {mode:<10} {cfg.samples:>6} {cfg.samples * r.evals_per_sample:>8} "
                  f"{dt:8.1f} {dt / mp:8.0f}", flush=True)


class DiffusersNet(torch.nn.Module):
    "diffusers' UNet2DModel behind the network interface of EDMPrecond: F(x, c_noise, labels)."
    def __init__(self, C:int, base:int):
        super().__init__()
        from diffusers import UNet2DModel  # the reference a user would pick; not a dependency of pgd_nb
        w = (base, 2 * base, 2 * base, 2 * base)  # the layout of `base`: four levels, attention at the lowest
        self.unet = UNet2DModel(in_channels=C, out_channels=C, block_out_channels=w, layers_per_block=2,
                                down_block_types=("DownBlock2D",) * 3 + ("AttnDownBlock2D",),
                                up_block_types=("AttnUpBlock2D",) + ("UpBlock2D",) * 3,
                                num_class_embeds=len(DOMAINS))

    def forward(self, x, c_noise, labels=None):
        cls = None if labels is None else labels.argmax(1)
        return self.unet(x, c_noise * 250, class_labels=cls).sample  # c_noise = ln(σ)/4: a timestep-like range


def bench_train(a, dev, peak):
    print(f"\ntraining: {a.train_tile} px, batch {a.train_batch}, bf16 autocast "
          f"{'(native)' if bf16_supported(dev) else '(emulated: slow here)'}, {a.train_steps} timed steps")
    print(f"{'network':<26} {'params M':>8} {'compile':>7} {'compile s':>9} {'img/s':>8} {'peak MB':>8}")
    nets = [(f"pgd_nb {a.train_preset}", lambda: make_network(a.train_preset, channels=3, label_dim=len(DOMAINS)))]
    if a.reference:
        try:
            import diffusers  # noqa: F401
            base = {"tiny": 32, "small": 64, "base": 128}[a.train_preset]
            nets.append((f"diffusers UNet2DModel {base}", lambda: DiffusersNet(3, base)))
        except ImportError:
            print("(diffusers is not installed: pip install diffusers for the reference)")
    loss_fn = EDMLoss()
    for name, make in nets:
        for comp in {"off": [False], "on": [True], "both": [False, True]}[a.train_compile]:
            peak.reset()
            torch.manual_seed(0)
            D = EDMPrecond(make(), 0.5).to(dev).train()
            if dev.type in ("cpu", "cuda"): D.net.to(memory_format=torch.channels_last)
            fwd = torch.compile(D) if comp else D
            opt = torch.optim.Adam(D.parameters(), lr=1e-4)
            y = torch.randn(a.train_batch, 3, a.train_tile, a.train_tile, device=dev) * 0.5
            lab = torch.nn.functional.one_hot(torch.arange(a.train_batch, device=dev) % len(DOMAINS),
                                              len(DOMAINS)).float()

            def step():
                with torch.autocast(dev.type, dtype=torch.bfloat16):
                    loss = loss_fn(fwd, y, lab).mean()
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()

            sec, first = timed(step, dev, a.train_steps)
            comp_s = f"{first - sec:9.1f}" if comp else f"{'':>9}"
            print(f"{name:<26} {count_parameters(D.net) / 1e6:8.2f} {str(comp):>7} {comp_s} "
                  f"{a.train_batch / sec:8.1f} {peak.read():8.0f}", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--preset", default="tiny")
    ap.add_argument("--checkpoint", default="", help="a run folder or .pt of pgd_train (default: random weights)")
    ap.add_argument("--tile", type=int, default=256)
    ap.add_argument("--batch", type=int, default=1, help="tiles per forward for the floor")
    ap.add_argument("--repeat", type=int, default=5, help="timed forwards per setting")
    ap.add_argument("--channels", default="1")
    ap.add_argument("--settings", default="fp32,fp32-cl,bf16-cl",
                    help="comma-separated: fp32 or bf16, -cl for channels-last, +compile for torch.compile")
    ap.add_argument("--compile", action="store_true", help="add each setting once more with +compile")
    ap.add_argument("--methods", default="pinned,daps", help="samplers (guidance.METHODS)")
    ap.add_argument("--likelihood", default="table", help="table, sums or both (table,sums)")
    ap.add_argument("--train", action="store_true", help="also training img/s (see above)")
    ap.add_argument("--reference", action="store_true", help="with --train: diffusers' UNet2DModel beside it")
    ap.add_argument("--train_preset", default="base")
    ap.add_argument("--train_tile", type=int, default=256)
    ap.add_argument("--train_batch", type=int, default=16)
    ap.add_argument("--train_steps", type=int, default=10)
    ap.add_argument("--train_compile", default="both", choices=["off", "on", "both"])
    ap.add_argument("--skip_restore", action="store_true")
    ap.add_argument("--frame", type=int, default=0, help="also restore a frame of this many px square, both modes")
    ap.add_argument("--frame_tile", type=int, default=64)
    a = ap.parse_args()
    if a.compile: a.settings = ",".join(s for p in a.settings.split(",") for s in (p, p + "+compile"))
    dev = torch.device(a.device)
    what = torch.cuda.get_device_name(dev) if dev.type == "cuda" else f"{torch.get_num_threads()} CPU threads"
    print(f"device {dev} ({what}), preset {a.preset}, tile {a.tile}, batch {a.batch}, torch {torch.__version__}")
    peak = Peak(dev)
    if not a.skip_restore: bench_restore(a, dev, peak)
    if a.frame: bench_frame(a, dev)
    if a.train: bench_train(a, dev, peak)


if __name__ == "__main__":
    main()
