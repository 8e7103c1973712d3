"""Optimal one-to-one matching of objects by IoU.

Among pairs with IoU at or above the threshold, the matching maximises the number of matched
pairs and, among matchings of that size, the sum of their IoU. A pair whose two objects have no
other candidate is matched outright (every optimal matching contains it; above IoU 0.5 all pairs
are like that); only the remaining, ambiguous pairs go to the Hungarian algorithm
(``scipy.optimize.linear_sum_assignment``) on their small dense sub-matrix.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment


def match_pairs(a: np.ndarray, b: np.ndarray, iou: np.ndarray, threshold: float) -> np.ndarray:
    """Indices into the candidate pairs ``(a[i], b[i], iou[i])`` that form the matching."""
    candidates = np.flatnonzero((iou >= threshold) & (iou > 0))
    if candidates.size == 0:
        return candidates
    a_values, a_index = np.unique(a[candidates], return_inverse=True)
    b_values, b_index = np.unique(b[candidates], return_inverse=True)
    a_degree = np.bincount(a_index, minlength=a_values.size)
    b_degree = np.bincount(b_index, minlength=b_values.size)
    alone = (a_degree[a_index] == 1) & (b_degree[b_index] == 1)
    chosen = [candidates[alone]]
    rest = ~alone
    if rest.any():
        rows, row_index = np.unique(a_index[rest], return_inverse=True)
        cols, col_index = np.unique(b_index[rest], return_inverse=True)
        weight = 1.0 / (2.0 * (min(rows.size, cols.size) + 1))
        cost = np.zeros((rows.size, cols.size))
        cost[row_index, col_index] = -(1.0 + weight * iou[candidates[rest]])
        picked_rows, picked_cols = linear_sum_assignment(cost)
        lookup = np.full((rows.size, cols.size), -1, dtype=np.int64)
        lookup[row_index, col_index] = candidates[rest]
        picked = lookup[picked_rows, picked_cols]
        chosen.append(picked[picked >= 0])
    return np.sort(np.concatenate(chosen))
