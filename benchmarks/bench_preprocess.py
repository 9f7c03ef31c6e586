"""Preprocessing throughput on the full demo data, against the time to merely read the same raw files.

Run: .venv/bin/python benchmarks/bench_preprocess.py [--workers 1 2] [--tile 256]
Prints, per domain: files, MB read, read-only time, preprocessing time, tiles/s and MB/s.
"""
import argparse
import shutil
import tempfile
import time
from pathlib import Path

from pgd_nb.calibration import DOMAINS
from pgd_nb.demo_data import make_demo_dataset
from pgd_nb.io import read_raw
from pgd_nb.layouts import find_layout
from pgd_nb.preprocess import layout_units, preprocess


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--tile", type=int, default=256)
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="pgd_bench_"))
    try:
        print(f"{'domain':<12} {'files':>5} {'MB':>7} {'read s':>7} {'read MB/s':>9} | {'workers':>7} {'tiles':>6} {'prep s':>7} {'tiles/s':>8} {'MB/s':>7} {'prep/read':>9}")
        for d in DOMAINS:
            t0 = time.perf_counter()
            make_demo_dataset(d, work / "raw" / d, seed=0, progress=False)
            gen = time.perf_counter() - t0
            layout = find_layout(work / "raw" / d, d)
            files = sorted({u.path for u in layout_units(layout)})
            t0 = time.perf_counter()
            mb = 0.0
            for f in files:
                read_raw(f).electrons(); mb += f.stat().st_size / 1e6
            read_s = time.perf_counter() - t0
            for w in a.workers:
                out = work / f"tiles_w{w}"
                s = preprocess(layout, out, tile=a.tile, workers=w, progress=False)
                print(f"{d:<12} {len(files):>5} {mb:>7.1f} {read_s:>7.2f} {mb / read_s:>9.1f} | {w:>7} {s['tiles_written']:>6} {s['seconds']:>7.2f} "
                      f"{s['tiles_written'] / s['seconds']:>8.1f} {s['mb_read'] / s['seconds']:>7.1f} {s['seconds'] / read_s:>9.2f}")
            print(f"{'':<12} (demo data generated in {gen:.1f} s)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
