from kezek.domain.disclosure import SMALL_COUNT, Bar, bars, suppress_small


def test_small_counts_are_suppressed_but_zero_and_large_counts_are_shown():
    assert suppress_small(0) == 0
    assert [suppress_small(n) for n in range(1, SMALL_COUNT)] == [None] * (SMALL_COUNT - 1)
    assert suppress_small(SMALL_COUNT) == SMALL_COUNT
    assert suppress_small(3, threshold=3) == 3


def test_bars_scale_to_the_largest_published_value():
    assert bars([("a", 50), ("b", 25), ("c", None), ("d", 0)]) == [
        Bar("a", 50, 100.0), Bar("b", 25, 50.0), Bar("c", None, 0.0), Bar("d", 0, 0.0),
    ]


def test_bars_of_nothing_published_have_no_width():
    assert bars([("a", None), ("b", 0)]) == [Bar("a", None, 0.0), Bar("b", 0, 0.0)]
    assert bars([]) == []
