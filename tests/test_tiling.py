"""stitch(extract(x)) == x for any frame size and grid (hypothesis), and the transforms' exact inverses."""
import numpy as np
from hypothesis import given, settings, strategies as st

from pgd_nb.tiling import TileGrid
from pgd_nb.transforms import apply_dihedral, crop_to, invert_dihedral, pad_to


@settings(max_examples=60, deadline=None)
@given(h=st.integers(1, 300), w=st.integers(1, 300), tile=st.sampled_from([8, 16, 32, 64]), c=st.integers(1, 3),
       overlap_frac=st.floats(0, 0.49), extra_rows=st.integers(0, 2), seed=st.integers(0, 2**31))
def test_stitch_of_extract_is_identity(h, w, tile, c, overlap_frac, extra_rows, seed):
    grid = TileGrid(h, w, tile=tile, min_overlap=int(overlap_frac * tile))
    if extra_rows:  # a denser grid than needed must work too
        grid = TileGrid(h, w, tile=tile, rows=grid.rows + extra_rows, cols=grid.cols, min_overlap=grid.min_overlap)
    x = np.random.default_rng(seed).normal(size=(c, h, w)).astype(np.float32) * 1000
    tiles = grid.extract(x)
    assert tiles.shape == (grid.rows * grid.cols, c, tile, tile)
    ys = np.zeros(max(h, tile), int)
    for y in grid.ys: ys[y:y + tile] += 1
    assert ys.min() >= 1  # full coverage
    np.testing.assert_allclose(grid.stitch(tiles), x, rtol=2e-6, atol=1e-3)


@settings(max_examples=40, deadline=None)
@given(h=st.integers(1, 40), w=st.integers(1, 40), th=st.integers(1, 90), tw=st.integers(1, 90), k=st.integers(0, 7))
def test_pad_crop_and_dihedral_round_trip(h, w, th, tw, k):
    x = np.random.default_rng(h * 100 + w).normal(size=(2, h, w))
    y, info = pad_to(x, th, tw)
    assert y.shape[-2:] == (max(h, th), max(w, tw))
    np.testing.assert_array_equal(crop_to(y, info), x)
    np.testing.assert_array_equal(invert_dihedral(apply_dihedral(x, k), k), x)
