"""The restore benchmark runs on CPU (its GPU path as far as a CPU allows) and prints measured figures."""
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NUM = r"(\d+\.\d+|\d+)"


def run(*args):
    r = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_restore.py"), *args], capture_output=True,
                       text=True, cwd=ROOT, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    return r.stdout


def test_bench_restore_cpu():
    out = run("--device", "cpu", "--tile", "32", "--settings", "fp32,fp32-cl", "--methods", "pinned",
              "--likelihood", "table,sums", "--repeat", "1",
              "--train", "--reference", "--train_preset", "tiny", "--train_tile", "32", "--train_batch", "2",
              "--train_steps", "1", "--train_compile", "off", "--frame", "64", "--frame_tile", "32")
    frame = re.findall(rf"^64x64\s+1\s+(default|mean only)\s+(\d+)\s+(\d+)\s+{NUM}\s+{NUM}$", out, re.M)
    assert [(m, int(k), int(e)) for m, k, e, _, _ in frame] == [("default", 8, 160), ("mean only", 2, 8)], out
    assert all(float(sec) > 0 and float(per_mp) > 0 for *_, sec, per_mp in frame), out
    forward = re.findall(rf"^(fp32\S*)\s+1\s+{NUM}\s+{NUM}\s+\(forward\)", out, re.M)
    assert [f[0] for f in forward] == ["fp32", "fp32-cl"], out
    assert all(float(ms) > 0 and float(mb) > 0 for _, ms, mb in forward), out
    rows = re.findall(rf"^\s+{NUM}\s+(pinned (?:table|sums))\s+(\d+)\s+{NUM}\s+{NUM}\s+{NUM}\s+{NUM}$", out, re.M)
    assert sorted(r[1] for r in rows) == ["pinned sums", "pinned sums", "pinned table", "pinned table"], out
    for mb, _, evals, sec, lik_ms, lik_share, ratio in rows:
        assert int(evals) == 20 and float(sec) > 0 and float(lik_ms) > 0 and float(ratio) > 0.5, out
    train = re.findall(rf"^(pgd_nb tiny|diffusers UNet2DModel 32)\s+{NUM}\s+(True|False)\s+.*?{NUM}\s+{NUM}$", out, re.M)
    assert ("pgd_nb tiny", "False") in [(t[0], t[2]) for t in train], out
    try:
        import diffusers  # noqa: F401
        assert any(t[0].startswith("diffusers") for t in train), out
    except ImportError:
        assert "diffusers is not installed" in out


def test_restore_memory_prints_its_peak():
    "benchmarks/restore_memory.py on a small frame: the peak resident set before and after, and the samples not kept."
    r = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "restore_memory.py"), "--height", "256", "--width", "384",
                        "--samples", "2"], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    m = re.search(rf"samples kept: False: peak RSS {NUM} MiB before restore_planes, {NUM} MiB after", r.stdout)
    assert m and 0 < float(m[1]) <= float(m[2]), r.stdout


def test_mean_curve_prints_the_shipped_mean_against_k(tmp_path):
    """benchmarks/mean_curve.py on the analytic priors at K = 1, 2: one table per case with the evaluations per pixel of
    each mode, and the shipped (Rao-Blackwellised) mean ahead of the average of the same draws on the mixture."""
    r = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "mean_curve.py"), "--ks", "1,2", "--out", str(tmp_path)],
                       capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    rows = re.findall(rf"^\s+(\d+)\s+(\d+)\s+{NUM}\s+{NUM}\s+(\d+)\s+{NUM}\s+{NUM}$", r.stdout, re.M)
    assert len(rows) == 8, r.stdout  # 4 cases × 2 values of K
    assert [(k, e, mo) for k, e, _, _, mo, _, _ in rows[:2]] == [("1", "20", "4"), ("2", "40", "8")], r.stdout
    exact = [float(v) for v in re.findall(rf"exact posterior mean: {NUM} dB", r.stdout)]
    assert len(exact) == 2, r.stdout
    for case, ex in zip((rows[0:2], rows[2:4]), exact):
        shipped, average = float(case[1][2]), float(case[1][3])
        assert shipped > average and shipped <= ex + 0.05, r.stdout  # the posterior mean is the best there is
    assert (tmp_path / "mean_curve.json").is_file()
