"""One block's sums for the pairwise correlations, in whole arrays (the batched engine's side of
`sketches._Correlation`, which merges them as the streaming engine's own).

Per pair: the number of rows where both columns are present, and over those rows each one's
deviations from its block mean, their squares, and the products. A block no longer than the
streaming engine's (`exact`) is summed as it sums (left to right), so that files of one block get
its figures to the last bit; a longer one with numpy's pairwise sums.
"""

from __future__ import annotations

import numpy as np

from csv_profiler_app.sketches import _Correlation


class Aligned:
    """One numeric column of one block for the correlations: deviations from the block mean,
    0.0 at missing cells, the mask of present cells (None: all present), and as the reference's
    `_Part` the count, the sum of the deviations and of their squares."""

    __slots__ = ("centred", "index", "m2", "mask", "mean", "n", "total")

    def __init__(
        self, index: int, centred: np.ndarray, mask: np.ndarray | None, n: int, mean: float, m2: float, exact: bool
    ) -> None:
        self.index, self.centred, self.mask, self.n, self.mean, self.m2 = index, centred, mask, n, mean, m2
        self.total = block_sum(centred, exact)


def block_sum(values: np.ndarray, exact: bool) -> float:
    """numpy's pairwise sum; or, for a block no longer than a streaming block (`exact`), Python's
    left-to-right sum, which a cumulative sum reproduces to the last bit."""
    if not len(values):
        return 0.0
    return float(np.cumsum(values)[-1]) if exact else float(np.sum(values))


_PAIRWISE_UP_TO = 6  # numeric columns; beyond, the k*k pairs' sums come from one matrix product


def correlate(correlation: _Correlation, parts: list[Aligned], exact: bool) -> None:
    """Every pair's sums for one block, merged as the reference merges its own
    (`_Correlation.merge_sums`); with `exact`, summed as the reference sums them."""
    if not exact and len(parts) > _PAIRWISE_UP_TO:
        _correlate_matrix(correlation, parts)
        return
    squares = [p.centred * p.centred for p in parts]
    for i, a in enumerate(parts):
        for j in range(i + 1, len(parts)):
            if exact:
                _correlate_exactly(correlation, a, parts[j])
            else:
                _correlate_pair(correlation, a, parts[j], squares[i], squares[j])


def _correlate_pair(correlation: _Correlation, a: Aligned, b: Aligned, sq_a: np.ndarray, sq_b: np.ndarray) -> None:
    """One pair's sums over the rows where both are present: each one's deviations and their
    squares, and the products (the zeros at missing cells drop those rows). Elementwise products
    and numpy's pairwise sums: np.dot or a matrix product would be BLAS, whose threads stall on
    a busy machine."""
    ma, mb = a.mask, b.mask
    if ma is None and mb is None:
        n = a.n
    elif ma is None or mb is None:
        n = b.n if ma is None else a.n
    else:
        n = int(np.count_nonzero(ma & mb))
    if n == 0:
        return
    sx, sxx = (a.total, a.m2) if mb is None else (float(np.sum(a.centred[mb])), float(np.sum(sq_a[mb])))
    sy, syy = (b.total, b.m2) if ma is None else (float(np.sum(b.centred[ma])), float(np.sum(sq_b[ma])))
    sxy = float(np.sum(a.centred * b.centred))
    correlation.merge_sums((a.index, b.index), n, a.mean, b.mean, (sx, sxx, sy, syy, sxy))


def _correlate_matrix(correlation: _Correlation, parts: list[Aligned]) -> None:
    """`_correlate_pair` for many columns at once: one product of [deviations; their squares;
    masks] by [masks; deviations] holds every pair's sums (left block row r: 0 deviations,
    1 squares, 2 masks; right block column c: 0 masks, 1 deviations). For a few columns the pairwise
    sums are cheaper, and spare BLAS's threads."""
    k, rows = len(parts), len(parts[0].centred)
    left = np.empty((3 * k, rows))
    for i, part in enumerate(parts):
        left[i] = part.centred
        np.multiply(part.centred, part.centred, out=left[k + i])
        left[2 * k + i] = 1.0 if part.mask is None else part.mask
    product = left @ np.concatenate((left[2 * k :], left[:k])).T
    sums, squares, counts, products = product[:k, :k], product[k : 2 * k, :k], product[2 * k :, :k], product[:k, k:]
    for i, a in enumerate(parts):
        for j in range(i + 1, k):
            n = round(float(counts[i, j]))
            if n:
                block = (
                    float(sums[i, j]),
                    float(squares[i, j]),
                    float(sums[j, i]),
                    float(squares[j, i]),
                    float(products[i, j]),
                )
                correlation.merge_sums((a.index, parts[j].index), n, a.mean, parts[j].mean, block)


def _correlate_exactly(correlation: _Correlation, a: Aligned, b: Aligned) -> None:
    """The reference's `_Correlation._update_pair`, with numpy's cumulative sums for its sums."""
    ma, mb = a.mask, b.mask
    sq_a, sq_b = a.centred * a.centred, b.centred * b.centred
    if ma is None and mb is None:
        n = a.n
        sx, sxx, sy, syy = a.total, a.m2, b.total, b.m2
    elif mb is None:
        assert ma is not None
        n = a.n
        sx, sxx = a.total, a.m2
        sy, syy = block_sum(b.centred * ma, True), block_sum(sq_b * ma, True)
    elif ma is None:
        n = b.n
        sx, sxx = block_sum(a.centred * mb, True), block_sum(sq_a * mb, True)
        sy, syy = b.total, b.m2
    else:
        n = round(block_sum(ma.astype(np.float64) * mb, True))
        if n == 0:
            return
        sx, sxx = block_sum(a.centred * mb, True), block_sum(sq_a * mb, True)
        sy, syy = block_sum(b.centred * ma, True), block_sum(sq_b * ma, True)
    sxy = block_sum(a.centred * b.centred, True)
    correlation.merge_sums((a.index, b.index), n, a.mean, b.mean, (sx, sxx, sy, syy, sxy))
