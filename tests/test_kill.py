"""Kill tests: SIGKILL at several points of pgd_preprocess, pgd_train, pgd_restore and pgd_report, then the same
command again → the results of an uninterrupted run, nothing stale, no temporary file left behind.

Each command runs as a subprocess on the small astronomy demo data; the kill point is a file the command has
written (a unit's record, a stats line, a checkpoint) or, for the restoration, a moment inside its sampling loop."""
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

BIN = Path(sys.executable).parent
TRAIN = ["--domains", "astronomy", "--kimg", "0.064", "--batch", "8", "--crop", "32", "--tick_kimg", "0.016",
         "--val_tiles", "4", "--checkpoint_every_ticks", "1", "--device", "cpu", "--quiet"]
RESTORE = ["--method", "pinned", "--samples", "2", "--steps", "4", "--quiet", "--device", "cpu"]


def _run(*args, check=True) -> subprocess.CompletedProcess:
    r = subprocess.run([str(a) for a in args], capture_output=True, text=True)
    if check: assert r.returncode == 0, r.stderr
    return r


def _kill_when(args, ready, timeout: float = 300) -> bool:
    "Start the command, SIGKILL it once ready() holds; False if it finished first (the kill point was missed)."
    p = subprocess.Popen([str(a) for a in args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.time()
    while not ready():
        if p.poll() is not None: return False
        if time.time() - t0 > timeout:
            p.kill()
            pytest.fail(f"no kill point within {timeout} s: {args}")
        time.sleep(0.02)
    p.send_signal(signal.SIGKILL)
    p.wait()
    return True


def _temps(folder: Path) -> list:
    return sorted(p.name for p in folder.rglob(".*.part"))


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    from pgd_nb.demo_data import make_demo_dataset
    root = tmp_path_factory.mktemp("kill")
    make_demo_dataset("astronomy", root / "raw" / "astronomy", seed=0, small=True, progress=False)
    _run(BIN / "pgd_preprocess", "--domain", "astronomy", "--data_root", root / "raw" / "astronomy", "--out",
         root / "tiles", "--tile", "64", "--quiet")
    return root


def test_preprocess_killed_then_rerun_gives_the_same_tiles(data, tmp_path):
    ref = (data / "tiles" / "astronomy" / "metadata.json").read_bytes()
    cmd = [BIN / "pgd_preprocess", "--domain", "astronomy", "--data_root", data / "raw" / "astronomy", "--out",
           tmp_path, "--tile", "64", "--quiet"]
    parts = lambda: [p for p in (tmp_path / "astronomy" / ".parts").glob("*.json")
                     if p.name not in ("settings.json", "dataset.json")] if (tmp_path / "astronomy").is_dir() else []
    matrix = {}
    for point, ready in (("after its settings", lambda: (tmp_path / "astronomy" / ".parts" / "settings.json").exists()),
                         ("after the first unit", lambda: len(parts()) >= 1),
                         ("after three units", lambda: len(parts()) >= 3)):
        matrix[point] = _kill_when(cmd, ready)
    assert any(matrix.values()), matrix
    _run(*cmd)
    assert (tmp_path / "astronomy" / "metadata.json").read_bytes() == ref
    assert _temps(tmp_path) == []
    print("preprocess kill points (killed / finished first):", matrix)


def test_train_killed_then_resumed_gives_the_same_run(data, tmp_path):
    tiles = data / "tiles"
    _run(BIN / "pgd_train", "--data", tiles, "--out", tmp_path / "ref", *TRAIN)
    ref_run = next((tmp_path / "ref").glob("0*"))
    ref_stats = [json.loads(l) for l in (ref_run / "stats.jsonl").read_text().splitlines()]
    out = tmp_path / "killed"
    stats = lambda: [l for l in (out / "00000-astronomy-tiny-b8" / "stats.jsonl").read_text().splitlines()] \
        if (out / "00000-astronomy-tiny-b8" / "stats.jsonl").exists() else []
    matrix = {}
    for point, n in (("after the first tick", 1), ("after three ticks", 3)):
        matrix[point] = _kill_when([BIN / "pgd_train", "--data", tiles, "--out", out, *TRAIN, "--resume", "auto"],
                                   lambda: len(stats()) >= n)
    run = out / "00000-astronomy-tiny-b8"
    with open(run / "stats.jsonl", "a") as f: f.write('{"step": 999, "kim')  # and a kill during an append
    _run(BIN / "pgd_train", "--data", tiles, "--out", out, *TRAIN, "--resume", "auto")
    got = [json.loads(l) for l in (run / "stats.jsonl").read_text().splitlines()]
    assert [s["loss"] for s in got] == [s["loss"] for s in ref_stats]
    assert [s["val_loss"] for s in got] == [s["val_loss"] for s in ref_stats]
    assert _temps(out) == [] and len(list(out.iterdir())) == 1  # resumed in place, no second run
    print("train kill points:", matrix)


def test_restore_killed_then_rerun_gives_the_same_frame(data, tmp_path):
    """Killed (SIGKILL) or interrupted (Ctrl-C) inside a frame, after some of its batches: the rerun continues from the
    finished batches and gives the frame of an uninterrupted run, bit for bit; Ctrl-C prints one line, exit 130."""
    from pgd_nb.layouts import find_layout
    run = next(iter(sorted((data / "runs").glob("0*"))), None) if (data / "runs").is_dir() else None
    if run is None:
        _run(BIN / "pgd_train", "--data", data / "tiles", "--out", data / "runs", *TRAIN)
        run = next((data / "runs").glob("0*"))
    pair = find_layout(data / "raw" / "astronomy", "astronomy").pairs[0]
    args = ["--checkpoint", run, "--input", pair.clean, "--thin", pair.fraction, "--out"]
    batches = ["--batch", "2"]  # several batches in the frame, so that a kill falls between two of them
    _run(BIN / "pgd_restore", *args, tmp_path / "ref", *RESTORE, *batches)
    ref = {p.name: np.load(p) for p in (tmp_path / "ref").glob("*.npy")}
    assert not list((tmp_path / "ref").glob(".*.partial")), "a finished frame leaves no partial batches"
    stem = f"{Path(pair.clean).stem}_thin{float(pair.fraction):g}"
    matrix = {}
    for how, sig in (("SIGKILL", signal.SIGKILL), ("Ctrl-C", signal.SIGINT)):
        out = tmp_path / how
        second = out / f".{stem}.partial" / "batch000001.npz"
        p = subprocess.Popen([str(a) for a in (BIN / "pgd_restore", *args, out, *RESTORE, *batches)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             # a shell's background job ignores SIGINT, and the child would inherit that: as a terminal
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        t0 = time.time()
        while not second.exists() and p.poll() is None and time.time() - t0 < 300: time.sleep(0.02)
        p.send_signal(sig)
        _, err = p.communicate()
        matrix[how] = (p.returncode, len(list(second.parent.glob("batch*.npz"))))
        assert matrix[how][1] >= 2, f"{how}: no kill point between batches ({matrix[how]})"
        if how == "Ctrl-C":
            assert p.returncode == 130 and "Traceback" not in err, err
            assert err.strip().splitlines()[-1] == ("pgd_restore: interrupted; the finished batches are kept: "
                                                     "the same command continues from them"), err
        (out / ".x_mean_e.999999-deadbeef.npy.part").write_bytes(b"a temp of a killed write")
        r = subprocess.run([str(a) for a in (BIN / "pgd_restore", *args, out, *RESTORE[:-3], "--device", "cpu",
                                             *batches)], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        assert "restore: continuing after" in r.stderr, r.stderr[-2000:]
        got = {p.name: np.load(p) for p in out.glob("*.npy")}
        assert sorted(got) == sorted(ref) and all(np.array_equal(got[k], ref[k]) for k in ref), how
        assert _temps(out) == [] and not second.parent.exists()
    print("restore kill points (exit code, finished batches at the kill):", matrix)


def test_report_killed_shows_interrupted(tmp_path):
    "pgd_report killed during its data step: params.json says running, the index says interrupted."
    script = ("import time, sys\nimport pgd_nb.reports as r\n"
              "r.demo_tiles = lambda *a, **k: time.sleep(600)\n"
              f"r.run_report('astronomy', 'smoke', reports={str(tmp_path)!r})\n")
    params = tmp_path / "astronomy" / "00000-smoke" / "params.json"
    assert _kill_when([sys.executable, "-c", script], params.exists)
    from pgd_nb.reports import build_index
    assert json.loads(params.read_text())["status"] == "running"
    assert "<td class='interrupted'>interrupted</td>" in build_index(tmp_path).read_text()
