"""The package as a user meets it: imports, documented names and signatures, settings."""
import configparser
import inspect
import subprocess
import sys

import pytest


def test_imports_in_a_fresh_interpreter():
    out = subprocess.run([sys.executable, "-c", "import pgd_nb.noise, pgd_nb.calibration, pgd_nb.errors; print(pgd_nb.__version__)"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().count(".") == 2


@pytest.mark.parametrize("module, name, params", [
    ("noise", "sample_poisson_gaussian", ["lam_e", "read_noise_e", "generator"]),
    ("noise", "pg_log_likelihood", ["y_e", "lam_e", "sigma_e"]),
    ("noise", "pg_score", ["y_e", "lam_e", "sigma_e"]),
    ("noise", "gat", ["y_e", "sigma_e", "gain"]),
    ("noise", "gat_inverse_exact", ["d", "sigma_e", "gain"]),
    ("noise", "estimate_noise_params", ["image", "n_sets", "mask"]),
    ("calibration", "estimate_gain_read_noise", ["flat_pairs", "dark_frames", "white_level", "quantized"]),
    ("calibration", "adu_to_electrons", ["adu", "gain_e_per_adu", "black_level"]),
    ("calibration", "electrons_to_adu", ["e", "gain_e_per_adu", "black_level"]),
    ("calibration", "electrons_to_scaled", ["e", "scale", "offset", "softening"]),
    ("calibration", "scaled_to_electrons", ["u", "scale", "offset", "softening"]),
    ("calibration", "scaled_to_model", ["u"]),
    ("calibration", "model_to_scaled", ["m"]),
])
def test_documented_signatures(module, name, params):
    mod = __import__(f"pgd_nb.{module}", fromlist=[name])
    assert list(inspect.signature(getattr(mod, name)).parameters) == params


def test_errors_are_one_family():
    from pgd_nb import errors
    for name in ("FileFormatError", "CalibrationError", "LayoutError", "CheckpointError", "ConfigError"):
        assert issubclass(getattr(errors, name), errors.PGDError)


def test_registry_values_from_physics_notes():
    from pgd_nb.calibration import SENSORS, DOMAINS
    assert set(SENSORS) >= {"sony_a7s2", "fuji_xt2", "biosr_scmos", "hst_acs_wfc"}
    assert SENSORS["fuji_xt2"].black_level == 1024 and SENSORS["sony_a7s2"].black_level == 512
    assert {d: (v.channels, v.tile_grid) for d, v in DOMAINS.items()} == {
        "photography": (3, (6, 9)), "microscopy": (1, (4, 4)), "astronomy": (1, (9, 9))}
    assert (SENSORS["hst_acs_wfc"].scale, SENSORS["hst_acs_wfc"].offset) == (170, 5.0)


def test_settings_keep_tags_and_flags(root):
    cfg = configparser.ConfigParser(delimiters=["="])
    cfg.read(root / "settings.ini")
    d = cfg["DEFAULT"]
    assert d["lib_name"] == "pgd_nb"
    assert "tags" in d["allowed_cell_metadata_keys"].split()
    assert set(d["tst_flags"].split()) >= {"slow", "gpu"}
