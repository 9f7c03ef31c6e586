"""Photon transfer curve: do the reported uncertainties match the scatter of repeated experiments?"""
import numpy as np

from pgd_nb.calibration import estimate_gain_read_noise

GAIN, READ, BIAS = 2.2, 6.5, 500


def _frame(rng, electrons, prnu, shape=(64, 64)):
    e = rng.poisson(electrons * prnu) + rng.normal(0, READ, shape)
    return np.clip(np.round(e / GAIN + BIAS), 0, 65535).astype(np.uint16)


def test_uncertainties_are_calibrated_by_monte_carlo():
    rng = np.random.default_rng(123)
    prnu = 1 + 0.01 * rng.standard_normal((64, 64))
    levels = np.geomspace(200, 40000, 6)
    z_gain, z_read = [], []
    for _ in range(200):
        pairs = [(_frame(rng, L, prnu), _frame(rng, L, prnu)) for L in levels]
        darks = [_frame(rng, 0, 1.0) for _ in range(3)]
        r = estimate_gain_read_noise(pairs, darks)
        z_gain.append((r.gain_e_per_adu - GAIN) / r.gain_err)
        z_read.append((r.read_noise_e - READ) / r.read_noise_err)
    z_gain, z_read = np.array(z_gain), np.array(z_read)
    print(f"gain z: mean {z_gain.mean():+.2f} std {z_gain.std():.2f};  read noise z: mean {z_read.mean():+.2f} std {z_read.std():.2f}")
    # 200 trials: the std of z is known to about ±5 %, its mean to about ±0.07
    assert 0.8 < z_gain.std() < 1.25 and 0.8 < z_read.std() < 1.25
    assert abs(z_gain.mean()) < 0.3 and abs(z_read.mean()) < 0.3
