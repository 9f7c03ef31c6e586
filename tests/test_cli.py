"""The six commands share one style: options from their dataclasses (help from the field comments), choices from
the modules' constants, --dry_run printing the resolved configuration, exit code 2 for a usage error."""
import importlib
import json

import pytest

COMMANDS = {  # command: (module, options that make a complete call, a field comment shown in --help)
    "pgd_demo_data": ("demo_data", ["--domain", "astronomy", "--out", "o"], "a quarter of the scenes at half size"),
    "pgd_preprocess": ("preprocess", ["--domain", "astronomy", "--data_root", "r", "--out", "o"], "seed of the scene split and of thinning"),
    "pgd_train": ("training", ["--data", "t", "--out", "o"], "fixed σ values of the validation loss"),
    "pgd_restore": ("restore", ["--checkpoint", "c", "--input", "i.fits", "--out", "o"], "binomial thinning"),
    "pgd_evaluate": ("evaluate", ["--domain", "astronomy", "--checkpoint", "c"], "classical: peak photon counts"),
    "pgd_report": ("reports", ["--domain", "astronomy"], "reports folder"),
}


def _main(command):
    return importlib.import_module(f"pgd_nb.{COMMANDS[command][0]}").main


@pytest.mark.parametrize("command", COMMANDS)
def test_help_comes_from_the_config_fields(command, capsys):
    with pytest.raises(SystemExit) as e:
        _main(command)(["--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert e.value.code == 0 and f"usage: {command}" in out and COMMANDS[command][2] in out and "--dry_run" in out


@pytest.mark.parametrize("command", COMMANDS)
def test_dry_run_prints_the_resolved_configuration(command, capsys):
    assert _main(command)([*COMMANDS[command][1], "--dry_run"]) == 0
    assert isinstance(json.loads(capsys.readouterr().out), dict)


@pytest.mark.parametrize("command,bad,expected", [
    ("pgd_restore", ["--method", "langevin"], "'langevin' is not one of daps, gibbs, dps"),
    ("pgd_restore", ["--likelihood", "poisson"], "'poisson' is not one of pg, gauss, l2"),
    ("pgd_restore", ["--samples", "two"], "--samples"),
    ("pgd_train", ["--domains", "photography,radiology"], "'radiology' is not one of"),
    ("pgd_evaluate", ["--protocol", "leave_one_out"], "'leave_one_out' is not one of split, classical, cross"),
    ("pgd_report", ["--preset", "huge"], "'huge' is not one of"),
    ("pgd_preprocess", ["--domain", "radiology"], "'radiology' is not one of"),
])
def test_bad_options_are_usage_errors(command, bad, expected, capsys):
    args = COMMANDS[command][1]
    names = {b for b in bad if b.startswith("--")}
    args = [a for i, a in enumerate(args) if a not in names and (i == 0 or args[i - 1] not in names)]
    with pytest.raises(SystemExit) as e:
        _main(command)([*args, *bad])
    assert e.value.code == 2 and expected in capsys.readouterr().err


def test_config_errors_exit_2_and_failed_work_exits_1(tmp_path, capsys):
    import numpy as np
    from pgd_nb.io import write_fits
    from pgd_nb.restore import main
    write_fits(tmp_path / "field.fits", np.full((32, 32), 50, np.float32), {"EXPTIME": 60.0, "CCDGAIN": 1.0, "READNSEA": 3.5},
               sci_header={"BUNIT": "ELECTRONS"})
    common = ["--checkpoint", str(tmp_path), "--out", str(tmp_path / "o")]
    assert main([*common, "--input", str(tmp_path / "field.fits")]) == 2  # no exposure ratio, no reference: the options do not fit the data
    assert main([*common, "--input", str(tmp_path / "missing.fits")]) == 1  # a file that cannot be read: failed work
    err = capsys.readouterr().err
    assert "exposure ratio of field.fits is unknown" in err and "missing.fits" in err and "Traceback" not in err


def test_options_reach_the_sampler(capsys):
    from pgd_nb.restore import main
    assert main([*COMMANDS["pgd_restore"][1], "--options", "bridge=false,proposals=2", "--steps", "none", "--dry_run"]) == 0
    cfg = json.loads(capsys.readouterr().out)
    assert cfg["options"] == {"bridge": False, "proposals": 2} and cfg["steps"] is None and cfg["lam_threshold"] == float("inf")


def test_an_unregistered_camera_opens_but_is_not_calibrated(tmp_path, capsys):
    import numpy as np
    from pgd_nb.calibration import BAYER_RGGB
    from pgd_nb.io import read_raw, write_dng
    from pgd_nb.restore import main
    mosaic = np.random.default_rng(0).integers(600, 4000, (64, 96)).astype(np.uint16)
    path = write_dng(tmp_path / "nikon.dng", mosaic, BAYER_RGGB, black_level=600, iso=800, exposure_s=0.5, sensor="Nikon D850")
    frame = read_raw(path)
    assert frame.sensor is None and not frame.calibrated and frame.camera == "Nikon D850"
    assert (frame.data == mosaic).all() and (frame.iso, frame.exposure_s) == (800, 0.5) and float(frame.black_level.max()) == 600
    assert main(["--checkpoint", str(tmp_path), "--input", str(path), "--out", str(tmp_path / "o"), "--exposure_ratio", "10"]) == 1
    err = capsys.readouterr().err
    assert "camera 'Nikon D850' has no registered sensor" in err and "sensor=" in err and "estimate_gain_read_noise" in err
