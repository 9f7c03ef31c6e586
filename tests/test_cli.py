"""The seven commands share one style: options from their dataclasses (help from the field comments), choices from
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
    "pgd_calibrate": ("calibrate", ["--flats", "f", "--darks", "d", "--out", "cam.json"], "two or more per light level"),
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
    if command == "pgd_restore":  # its dry run resolves the settings from the files (test_restore.py): it reads them
        assert _main(command)([*COMMANDS[command][1], "--dry_run"]) == 1
        assert "i.fits: no such file" in capsys.readouterr().err
        return
    assert _main(command)([*COMMANDS[command][1], "--dry_run"]) == 0
    assert isinstance(json.loads(capsys.readouterr().out), dict)


@pytest.mark.parametrize("command,bad,expected", [
    ("pgd_restore", ["--method", "langevin"], "'langevin' is not one of pinned, daps"),
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
    "--options are parsed into the configuration and checked against the chosen sampler's own before any work."
    from pgd_nb.cli import configs_from_args, option_parser
    from pgd_nb.restore import RestoreConfig, RestoreJob, main
    ap = option_parser("pgd_restore", "", RestoreJob, RestoreConfig)
    args = ap.parse_args([*COMMANDS["pgd_restore"][1], "--method", "daps", "--options", "bridge=false,proposals=2",
                          "--steps", "none"])
    _, cfg = configs_from_args(args, RestoreJob, RestoreConfig)
    assert cfg.options == {"bridge": False, "proposals": 2} and cfg.steps is None and cfg.lam_threshold == float("inf")
    assert main([*COMMANDS["pgd_restore"][1], "--options", "bridge=false", "--dry_run"]) == 2  # pinned has no bridge
    err = capsys.readouterr().err
    assert "the pinned sampler has no option bridge" in err and "its options are" in err


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
    assert "camera 'Nikon D850' has no registered sensor" in err and "sensor=" in err and "pgd_calibrate --flats" in err


def test_a_sensor_file_reaches_preprocess_and_restore(tmp_path, capsys):
    "A sensor file (pgd_calibrate's) makes an unregistered camera's frames usable by pgd_preprocess and restoration."
    import numpy as np
    from pgd_nb.calibration import BAYER_RGGB, Sensor, write_sensor_file
    from pgd_nb.io import write_dng
    from pgd_nb.preprocess import main
    rng = np.random.default_rng(1)
    root = tmp_path / "data"
    for sub, t in (("noisy", 0.1), ("clean", 10.0)):
        (root / sub).mkdir(parents=True)
        for k in range(3):
            mosaic = (600 + rng.poisson(40 * t, (128, 192))).clip(0, 16383).astype(np.uint16)
            write_dng(root / sub / f"scene{k}.dng", mosaic, BAYER_RGGB, black_level=600, exposure_s=t, sensor="Test Cam X1")
    sensor = write_sensor_file(Sensor("test_cam_x1", "photography", 2.5, 3.2, 600.0, 16383, 80000, cfa=BAYER_RGGB),
                               tmp_path / "test_cam_x1.json")
    args = ["--domain", "photography", "--data_root", str(root), "--out", str(tmp_path / "tiles"), "--tile", "64", "--quiet"]
    assert main(args) == 1 and "has no registered sensor" in capsys.readouterr().err  # refused before any tile, named
    assert main([*args[:5], str(tmp_path / "tiles2"), *args[6:], "--sensor", str(sensor)]) == 0
    meta = __import__("json").loads((tmp_path / "tiles2" / "photography" / "metadata.json").read_text())
    assert meta and all(t["gain_e_per_adu"] == 2.5 and t["sensor"] == "test_cam_x1" for t in meta["tiles"])
    from pgd_nb.restore import load_observation
    obs = load_observation(root / "noisy" / "scene0.dng", sensor=sensor)
    assert obs.raw.sensor.name == "test_cam_x1" and obs.frames[0].shape == (3, 64, 96)
    assert abs(obs.read_noise_e - (3.2 ** 2 + 2.5 ** 2 / 12) ** 0.5) < 1e-9  # read noise and the ADC's quantization


@pytest.mark.parametrize("command", COMMANDS)
def test_help_lines_are_whole(command, capsys):
    "Every option's help ends where its text ends: no comment cut at a line break of its field (parentheses balance)."
    import re
    with pytest.raises(SystemExit):
        _main(command)(["--help"])
    out = capsys.readouterr().out
    for block in re.split(r"\n  (?=--)", out.split("options:", 1)[1])[1:]:
        text = " ".join(block.split())
        assert text.count("(") == text.count(")"), f"{command}: {text}"


def test_user_errors_name_the_file_and_the_fix(tmp_path, capsys):
    "An output path that is a file, an input that is a folder, a ratio or thinning out of range: one line each, the file named."
    import numpy as np
    from pgd_nb.io import write_fits
    from pgd_nb.restore import main
    field = write_fits(tmp_path / "field.fits", np.full((32, 32), 50, np.float32),
                       {"EXPTIME": 60.0, "CCDGAIN": 1.0, "READNSEA": 3.5}, sci_header={"BUNIT": "ELECTRONS"})
    (tmp_path / "taken").write_text("a file")
    common = ["--checkpoint", str(tmp_path)]
    cases = [(["--input", str(field), "--out", str(tmp_path / "taken"), "--exposure_ratio", "10"],
              "taken: is a file where a folder is needed"),
             (["--input", str(tmp_path), "--out", str(tmp_path / "o"), "--exposure_ratio", "10"],
              f"{tmp_path}: is a folder, not a file"),
             (["--input", str(field), "--out", str(tmp_path / "o"), "--exposure_ratio", "0"],
              "field.fits: --exposure_ratio must be a finite number > 0"),
             (["--input", str(field), "--out", str(tmp_path / "o"), "--thin", "1.5"], "field.fits: --thin must be in (0, 1)")]
    for args, expected in cases:
        code = main([*common, *args])
        err = capsys.readouterr().err
        assert code in (1, 2) and expected in err and "Fix:" in err and "Traceback" not in err, err
        assert len(err.strip().splitlines()) == 1, err
    assert (tmp_path / "taken").read_text() == "a file"  # nothing lost


def test_calibration_is_never_guessed_silently(tmp_path):
    """A TIFF with no sensor, gain or read noise in its metadata is refused, naming the keys and pgd_calibrate (it used
    to get the microscopy camera's gain without a word); with the keys, or --sensor, it restores. A registered sensor
    given for another camera's file is reported with both names."""
    import numpy as np
    import tifffile
    from pgd_nb.calibration import BAYER_RGGB
    from pgd_nb.errors import CalibrationError
    from pgd_nb.io import read_raw, write_dng, write_tiff
    from pgd_nb.restore import load_observation
    frame = np.random.default_rng(0).poisson(300, (64, 64)).astype(np.uint16) + 100
    tifffile.imwrite(tmp_path / "plain.tif", frame)  # no metadata at all
    with pytest.raises(CalibrationError) as e:
        load_observation(tmp_path / "plain.tif")
    msg = str(e.value)
    assert "plain.tif" in msg and "names no sensor" in msg and "gain_e_per_adu" in msg and "pgd_calibrate" in msg
    assert "--sensor" in msg and "docs/usage.md" in msg
    write_tiff(tmp_path / "keys.tif", frame, {"gain_e_per_adu": 0.5, "read_noise_e": 2.0, "black_level": 100})
    obs = load_observation(tmp_path / "keys.tif")
    assert obs.raw.gain_e_per_adu == 0.5 and obs.raw.assumed == ""
    assert load_observation(tmp_path / "plain.tif", sensor="biosr_scmos").raw.sensor.name == "biosr_scmos"
    kodak = write_dng(tmp_path / "kodak.dng", frame, BAYER_RGGB, black_level=100, iso=100, exposure_s=0.1,
                      sensor="Kodak DCS Pro 14n")
    said = read_raw(kodak, sensor="sony_a7s2").mismatch
    assert "Kodak DCS Pro 14n" in said and "sony_a7s2" in said
    assert read_raw(kodak, sensor="sony_a7s2").gain_e_per_adu > 0  # a warning, not a refusal: the user chose it
    from pgd_nb.calibration import Sensor, write_sensor_file  # a sensor file records the camera pgd_calibrate measured
    own = write_sensor_file(Sensor("x1", "photography", 2.5, 3.2, 100.0, 16383, 80000, cfa=BAYER_RGGB),
                            tmp_path / "x1.json", camera="Test Cam X1")
    x1 = write_dng(tmp_path / "x1.dng", frame, BAYER_RGGB, black_level=100, iso=100, exposure_s=0.1, sensor="Test Cam X1")
    assert read_raw(x1, sensor=str(own)).mismatch == ""
    said = read_raw(kodak, sensor=str(own)).mismatch
    assert "Kodak DCS Pro 14n" in said and "x1.json" in said and "Test Cam X1" in said
