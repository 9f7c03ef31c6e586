"""Property tests of the physics core on random inputs (hypothesis), against closed forms and identities."""
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

from pgd_nb.calibration import (adu_to_electrons, electrons_to_adu, electrons_to_scaled, model_to_scaled,
                                scaled_to_electrons, scaled_to_model)
from pgd_nb.noise import (gat, gat_inverse_exact, gaussian_log_likelihood, pg_log_likelihood, pg_posterior_mean_k,
                          pg_score)

lams = st.floats(1e-3, 3e3)
sigmas = st.floats(0.3, 20.0)


def _y_grid(lam, sigma):
    """Points over the whole mass of p(y | λ): spacing σ/3, at which the trapezoid rule integrates each Gaussian of the
    Poisson comb to within exp(−2π²·9) (its error for a Gaussian of std σ with spacing h is ~exp(−2π²σ²/h²))."""
    lo, hi = -10 * sigma - 1, lam + 12 * math.sqrt(lam + sigma ** 2) + 40
    return np.linspace(lo, hi, int((hi - lo) / (sigma / 3)) + 2)


@settings(max_examples=40, deadline=None)
@given(gain=st.floats(0.01, 50), black=st.floats(0, 2048), scale=st.floats(1, 1e5), offset=st.floats(0, 10),
       shape=st.sampled_from([(1, 7, 5), (3, 4, 6)]), seed=st.integers(0, 2**32 - 1))
def test_units_chain_round_trip(gain, black, scale, offset, shape, seed):
    adu = np.random.default_rng(seed).uniform(0, 65535, shape)
    e = adu_to_electrons(adu, gain, black)
    m = scaled_to_model(electrons_to_scaled(e, scale, offset))
    back = electrons_to_adu(scaled_to_electrons(model_to_scaled(m), scale, offset), gain, black)
    np.testing.assert_allclose(back, adu, rtol=1e-12, atol=1e-9)


@settings(max_examples=25, deadline=None)
@given(lam=lams, sigma=sigmas)
def test_likelihood_is_a_density_with_the_right_moments(lam, sigma):
    y = _y_grid(lam, sigma)
    p = np.exp(pg_log_likelihood(y, lam, sigma))
    assert abs(np.trapezoid(p, y) - 1) < 1e-6
    assert abs(np.trapezoid(p * y, y) - lam) < 1e-5 * (1 + lam)
    assert abs(np.trapezoid(p * (y - lam) ** 2, y) / (lam + sigma ** 2) - 1) < 1e-5


@settings(max_examples=40, deadline=None)
@given(lam=lams, sigma=sigmas, z=st.floats(-4, 8))
def test_score_is_the_derivative_of_the_log_likelihood(lam, sigma, z):
    y = lam + z * math.sqrt(lam + sigma ** 2)
    h = 1e-5 * lam
    fd = (pg_log_likelihood(y, lam + h, sigma) - pg_log_likelihood(y, lam - h, sigma)) / (2 * h)
    score = pg_score(y, lam, sigma)
    assert abs(fd - score) <= 1e-5 * abs(score) + 1e-6 / math.sqrt(lam + sigma ** 2)


@settings(max_examples=15, deadline=None)
@given(lam=lams, sigma=sigmas)
def test_posterior_count_and_score_identities(lam, sigma):
    "Averaged over y ~ p(y|λ): E[E[k|y]] = λ (tower rule) and E[score] = 0."
    sd = math.sqrt(lam + sigma ** 2)
    y = _y_grid(lam, sigma)
    p = np.exp(pg_log_likelihood(y, lam, sigma))
    ek = pg_posterior_mean_k(y, lam, sigma)
    assert np.all(ek >= 0)
    assert abs(np.trapezoid(p * ek, y) / lam - 1) < 1e-5
    assert abs(np.trapezoid(p * pg_score(y, lam, sigma), y)) < 1e-5 / sd


def test_large_counts_approach_the_gaussian():
    y = np.array([1e5 - 300, 1e5, 1e5 + 500])
    exact = pg_log_likelihood(y, 1e5, 5.0)
    np.testing.assert_allclose(exact, gaussian_log_likelihood(y, 1e5, 5.0), atol=2e-3)


def test_torch_numpy_and_dtypes_agree():
    rng = np.random.default_rng(0)
    lam = rng.uniform(0.01, 500, 1000)
    y = lam + rng.normal(0, 1, 1000) * np.sqrt(lam + 4)
    ref = pg_log_likelihood(y, lam, 2.0)
    t64 = pg_log_likelihood(torch.from_numpy(y), torch.from_numpy(lam), 2.0)
    t32 = pg_log_likelihood(torch.from_numpy(y).float(), torch.from_numpy(lam).float(), torch.tensor(2.0))
    assert t64.dtype == torch.float64 and t32.dtype == torch.float32
    np.testing.assert_allclose(t64.numpy(), ref, rtol=1e-14)
    np.testing.assert_allclose(t32.numpy(), pg_log_likelihood(y.astype(np.float32), lam.astype(np.float32), np.float32(2.0)), rtol=1e-6)


def test_broadcasting_and_shapes():
    y = np.zeros((3, 4, 5))
    lam = np.full((1, 4, 5), 2.0)
    sig = np.array([1.0, 2.0, 3.0])[:, None, None]
    assert pg_log_likelihood(y, lam, sig).shape == (3, 4, 5)
    assert pg_score(torch.zeros(2, 3), torch.ones(3), 1.5).shape == (2, 3)


def test_a_three_times_wider_window_changes_nothing(monkeypatch):
    import pgd_nb.noise as noise
    rng = np.random.default_rng(3)
    lam = np.concatenate([10 ** rng.uniform(-3, 5, 3000), [1e-3, 1.0, 1e5]])
    sig = np.concatenate([10 ** rng.uniform(np.log10(0.3), np.log10(20), 3000), [20.0, 20.0, 0.3]])
    y = lam + rng.normal(0, 3, lam.size) * np.sqrt(lam + sig ** 2) + rng.choice([0, 0, 50], lam.size) * sig
    base = [noise.pg_log_likelihood(y, lam, sig), noise.pg_posterior_mean_k(y, lam, sig)]
    monkeypatch.setattr(noise, "_WINDOW_SIGMAS", 36.0)
    monkeypatch.setattr(noise, "_WINDOW_PAD", 36)
    wide = [noise.pg_log_likelihood(y, lam, sig), noise.pg_posterior_mean_k(y, lam, sig)]
    np.testing.assert_allclose(wide[0], base[0], rtol=1e-13, atol=1e-12)
    np.testing.assert_allclose(wide[1], base[1], rtol=1e-12, atol=1e-12)


def test_chunked_sums_match_single_pass(monkeypatch):
    import pgd_nb.noise as noise
    rng = np.random.default_rng(1)
    lam = rng.uniform(0.1, 2000, 5000)
    y = lam + rng.normal(0, 1, 5000) * np.sqrt(lam + 400)
    whole = noise.pg_log_likelihood(y, lam, 20.0)
    monkeypatch.setattr(noise, "_CHUNK_ELEMENTS", 4096)
    np.testing.assert_array_equal(noise.pg_log_likelihood(y, lam, 20.0), whole)


@settings(max_examples=20, deadline=None)
@given(sigma=st.floats(0.0, 15.0), d=st.lists(st.floats(0, 300), min_size=2, max_size=20))
def test_gat_inverse_is_monotone_and_inverts_the_mean_at_high_counts(sigma, d):
    d = np.sort(np.array(d))
    inv = gat_inverse_exact(d, sigma)
    assert np.all(np.diff(inv) >= -1e-9) and np.all(inv >= 0)
    lam = 5000.0
    assert abs(gat_inverse_exact(np.array([float(gat(np.array(lam), sigma)) - 1 / (4 * math.sqrt(lam))]), sigma)[0] / lam - 1) < 1e-3


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_matches_cpu():
    rng = np.random.default_rng(2)
    lam = rng.uniform(0.01, 1e4, 4096)
    y = lam + rng.normal(0, 1, 4096) * np.sqrt(lam + 9)
    for dtype in (torch.float32, torch.float64):
        cpu = pg_score(torch.tensor(y, dtype=dtype), torch.tensor(lam, dtype=dtype), 3.0)
        gpu = pg_score(torch.tensor(y, dtype=dtype, device="cuda"), torch.tensor(lam, dtype=dtype, device="cuda"), 3.0)
        assert gpu.device.type == "cuda"
        np.testing.assert_allclose(gpu.cpu().numpy(), cpu.numpy(), rtol=1e-5 if dtype == torch.float32 else 1e-10)
