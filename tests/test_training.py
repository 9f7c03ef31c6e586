"""Training through the CLI: SIGKILL at any moment never corrupts a checkpoint and resuming reproduces the losses; DDP on 2 gloo processes."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def tiles(tmp_path_factory):
    from pgd_nb.demo_data import make_demo_dataset
    from pgd_nb.layouts import find_layout
    from pgd_nb.preprocess import preprocess
    root = tmp_path_factory.mktemp("train")
    for d in ("microscopy", "astronomy"):
        make_demo_dataset(d, root / "raw" / d, seed=0, small=True, progress=False)
        preprocess(find_layout(root / "raw" / d, d), root / "tiles", tile=64, progress=False)
    return root / "tiles"


def _stats(run: Path):
    return [json.loads(l) for l in (run / "stats.jsonl").read_text().splitlines()]


def test_cli_help_and_dry_run(tiles, tmp_path):
    r = subprocess.run([BIN / "pgd_train", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "--resume" in r.stdout and "--preset" in r.stdout and "tiny" in r.stdout
    r = subprocess.run([BIN / "pgd_train", "--data", tiles, "--out", tmp_path, "--domains", "microscopy,astronomy", "--dry_run"], capture_output=True, text=True)
    cfg = json.loads(r.stdout)
    assert cfg["domains"] == ["microscopy", "astronomy"] and cfg["preset"] == "tiny" and not any(tmp_path.iterdir())
    r = subprocess.run([BIN / "pgd_train", "--data", tiles, "--out", tmp_path, "--domains", "radiology"], capture_output=True, text=True)
    assert r.returncode == 2 and "radiology" in r.stderr and "Traceback" not in r.stderr


def _wait_for(proc, ready, what:str, timeout:float=600.0):
    "Poll until `ready()` is true; fail if the process ends first or the (generous) timeout passes."
    deadline = time.monotonic() + timeout
    while not ready():
        if proc.poll() is not None: raise AssertionError(f"pgd_train ended (exit {proc.returncode}) before {what}")
        if time.monotonic() > deadline:
            proc.kill(); proc.wait()
            raise AssertionError(f"no {what} after {timeout:.0f} s")
        time.sleep(0.0005)


def _kill(proc):
    proc.send_signal(signal.SIGKILL); proc.wait()
    assert proc.returncode == -signal.SIGKILL  # killed, not finished


def _checkpoint_steps(run: Path):
    return sorted(int(p.stem.split("-")[1]) for p in run.glob("checkpoint-*.pt"))


def _last_stats_step(run: Path):
    lines = (run / "stats.jsonl").read_text().splitlines() if (run / "stats.jsonl").exists() else []
    try: return json.loads(lines[-1])["step"] if lines else 0
    except json.JSONDecodeError: return 0  # a line being written


def test_sigkill_and_resume_reproduce_the_uninterrupted_run(tiles, tmp_path):
    """SIGKILL at three events (right after a checkpoint, in the middle of an atomic write, after a stats line newer than
    the newest checkpoint), each time resuming the same run; the finished run equals an uninterrupted one."""
    args = ["--kimg", "0.16", "--batch", "4", "--crop", "32", "--tick_kimg", "0.02", "--checkpoint_every_ticks", "2",
            "--val_tiles", "8", "--quiet"]  # 40 steps, a tick every 5, a checkpoint every 10
    cmd = [BIN / "pgd_train", "--data", tiles, "--domains", "microscopy,astronomy", *args]
    subprocess.run(cmd + ["--out", tmp_path / "whole"], check=True, capture_output=True)
    whole = next((tmp_path / "whole").iterdir())
    runs = lambda: list((tmp_path / "cut").iterdir()) if (tmp_path / "cut").exists() else []
    start = lambda: subprocess.Popen(cmd + ["--out", tmp_path / "cut", "--resume", "auto"], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
    # 1. right after the first checkpoint
    proc = start()
    _wait_for(proc, lambda: any((r / "checkpoint-0000010.pt").exists() for r in runs()), "first checkpoint")
    _kill(proc)
    (run,) = runs()
    assert _checkpoint_steps(run)[0] == 10
    # 2. in the middle of an atomic write (best.pt or a checkpoint): its temporary file is left, the target intact
    caught = []
    for _ in range(4):  # a write takes milliseconds: retry where the rename won the race
        proc = start()
        _wait_for(proc, lambda: any(run.glob(".*.part")), "temporary file of a write")
        _kill(proc)
        caught = sorted(p.name for p in run.glob(".*.part"))
        if caught: break
    assert caught, "no kill landed inside a write"
    for cp in run.glob("*.pt"):  # every checkpoint on disk is complete
        assert "ema" in torch.load(cp, map_location="cpu", weights_only=True)
    # 3. after a tick's stats line that is newer than the newest checkpoint (resume must drop it and redo the tick)
    proc = start()
    _wait_for(proc, lambda: _last_stats_step(run) > _checkpoint_steps(run)[-1], "stats line past the newest checkpoint")
    _kill(proc)
    ahead = _last_stats_step(run) - _checkpoint_steps(run)[-1]
    assert ahead > 0 and _checkpoint_steps(run)[-1] < 40, (ahead, _checkpoint_steps(run))  # killed mid-run
    bare = [BIN / "pgd_train", "--data", tiles, "--out", tmp_path / "cut", "--resume", "auto", "--quiet"]  # the run's own options are used
    r = subprocess.run(bare, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert runs() == [run]  # resumed in place, no new run folder
    assert _checkpoint_steps(run) == [20, 30, 40]  # newest 3 kept
    assert not list(run.glob(".*.part"))  # the killed write's temporary file was swept
    a, b = _stats(whole), _stats(run)
    assert [s["step"] for s in a] == [s["step"] for s in b] == list(range(5, 45, 5))
    assert [s["loss"] for s in a] == [s["loss"] for s in b]
    assert [s["val_loss"] for s in a] == [s["val_loss"] for s in b]
    print(f"killed after checkpoint 10, inside the write of {caught}, {ahead} steps past a checkpoint; {len(a)} ticks identical")


def test_ddp_with_two_gloo_processes(tiles, tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    r = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "29517",
                        str(BIN / "pgd_train"), "--data", str(tiles), "--out", str(tmp_path), "--domains", "microscopy,astronomy",
                        "--kimg", "0.16", "--batch", "8", "--crop", "32", "--tick_kimg", "0.04", "--val_tiles", "8", "--device", "cpu", "--quiet"],
                       capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    runs = list(tmp_path.iterdir())
    assert len(runs) == 1  # only rank 0 made a run folder
    stats = _stats(runs[0])
    assert [s["step"] for s in stats] == [5, 10, 15, 20] and all(s["val_loss"] is not None for s in stats)
    log = (runs[0] / "log.txt").read_text()
    assert "2 process(es)" in log and log.count("start:") == 1  # logging on rank 0 only
    assert torch.load(runs[0] / "checkpoint-0000020.pt", weights_only=True)["step"] == 20
