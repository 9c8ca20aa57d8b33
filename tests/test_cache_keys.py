"""The two cache keys tell apart every difference that matters, whatever part of them is hashed.

A call's key is hashed on a sample of each range's cells (``excel.calls._CallKey``) and an
analytics key keeps its arrays' bytes whole (``cache.content_key``); equality compares
everything, so a difference anywhere, or in a cell's type only, is another call.
"""
from __future__ import annotations

import numpy as np
import pytest

from xlwings_udfs import excel
from xlwings_udfs.cache import SampledBytes, content_key


@pytest.fixture(autouse=True)
def _fresh_cache():
    excel.cache.clear()
    yield
    excel.cache.clear()


calls: list[tuple] = []


@excel.excel_function
def _cells_seen(cells):
    calls.append(1)
    return [[repr(r[0])] for r in cells]


def _column(n: int = 3000) -> list:
    return [[100.0 + 0.25 * i] for i in range(n)]


@pytest.mark.parametrize("row", [1, 1234, 2998])
@pytest.mark.parametrize("new", [7.0, True, 7, None, "7"])
def test_a_call_differing_in_one_cell_or_its_type_is_another_call(row, new):
    calls.clear()
    base = _column()
    before = _cells_seen(base)
    changed = [r[:] for r in base]
    changed[row] = [new]
    after = _cells_seen(changed)
    assert len(calls) == 2 and after[row] == [repr(new)] and after[:row] == before[:row]


def test_a_call_with_the_same_cells_in_new_objects_is_answered_from_the_cache():
    calls.clear()
    first = _cells_seen(_column())
    again = _cells_seen([[float(r[0])] for r in _column()])
    assert again == first and len(calls) == 1


def test_a_column_of_floats_is_keyed_by_their_bits():
    """-0.0 equals 0.0 in Python but is another cell; the same NaN in new objects is the same."""
    calls.clear()
    base = _column()
    zero, minus_zero = [r[:] for r in base], [r[:] for r in base]
    zero[5], minus_zero[5] = [0.0], [-0.0]
    assert _cells_seen(zero)[5] == ["0.0"] and _cells_seen(minus_zero)[5] == ["-0.0"]
    nan = [r[:] for r in base]
    nan[5] = [float("nan")]
    again = [r[:] for r in base]
    again[5] = [float("nan")]
    assert _cells_seen(nan) == _cells_seen(again)
    assert len(calls) == 3


def test_one_and_true_are_different_cells():
    calls.clear()
    assert _cells_seen([[1.0]] * 100)[0] == ["1.0"]
    assert _cells_seen([[True]] * 100)[0] == ["True"]
    assert _cells_seen([[1]] * 100)[0] == ["1"]
    assert len(calls) == 3


@pytest.mark.parametrize("one", [1.0, 1, np.float64(1.0)])
@pytest.mark.parametrize("true", [True, np.True_])
def test_true_and_one_swapping_places_is_another_call(one, true):
    """The same values and the same set of types, TRUE and 1 in each other's cells."""
    calls.clear()
    base = _column()
    first, second = [r[:] for r in base], [r[:] for r in base]
    first[3], first[7] = [true], [one]
    second[3], second[7] = [one], [true]
    a, b = _cells_seen(first), _cells_seen(second)
    assert len(calls) == 2 and (a[3], a[7]) == ([repr(true)], [repr(one)]) and (b[3], b[7]) == ([repr(one)], [repr(true)])


def test_true_and_one_swapping_places_in_a_grid_is_another_call():
    calls.clear()
    grid = [[100.0 + i, 200.0 + i] for i in range(50)]
    first, second = [r[:] for r in grid], [r[:] for r in grid]
    first[2][1], first[9][0] = True, 1.0
    second[2][1], second[9][0] = 1.0, True
    _cells_seen(first), _cells_seen(second)
    assert len(calls) == 2


def test_the_analytics_error_names_the_row_of_the_boolean_after_a_swap():
    """Two fund columns differing only in where TRUE and 1 sit: each error names its own row."""
    from xlwings_udfs import functions as F

    rng = np.random.default_rng(0)
    index = 100.0 * np.exp(np.cumsum(rng.normal(0, 0.01, 300)))
    fund = [[float(v)] for v in index * 0.999]
    first, second = [r[:] for r in fund], [r[:] for r in fund]
    first[3], first[7] = [True], [1.0]
    second[3], second[7] = [1.0], [True]
    idx = [[float(v)] for v in index]
    assert "row 4" in str(F.ETF_HOLDING_COST(first, idx))
    assert "row 8" in str(F.ETF_HOLDING_COST(second, idx))


def test_content_keys_compare_bytes():
    a = np.linspace(0.0, 1.0, 5000)
    assert content_key(a) == content_key(a.copy())
    b = a.copy()
    b[4321] = np.nextafter(b[4321], 2.0)
    assert content_key(a) != content_key(b)
    assert content_key(np.array([0.0])) != content_key(np.array([-0.0]))
    assert content_key(np.array([np.nan])) == content_key(np.array([np.nan]))
    assert content_key(float("nan")) == content_key(float("nan"))
    big = np.zeros(300_000)  # above a megabyte: keyed by a digest
    big2 = big.copy()
    big2[-1] = 1.0
    assert content_key(big) == content_key(big.copy()) != content_key(big2)


def test_sampled_bytes_are_equal_and_hash_alike_exactly_when_their_bytes_are_equal():
    data = np.linspace(0.0, 1.0, 2520).tobytes()
    same = SampledBytes(bytearray(data))
    assert SampledBytes(data) == same and hash(SampledBytes(data)) == hash(same)
    for i in (0, 1, 7, 4321, len(data) - 1):  # a byte the sample may miss still tells them apart
        other = bytearray(data)
        other[i] ^= 1
        assert SampledBytes(data) != SampledBytes(other)
    assert hash(SampledBytes(b"short")) == hash(b"short")
