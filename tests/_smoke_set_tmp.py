from typing import Any
from vermilion.types.set import Set
def test_smoke(r: Any) -> None:
    s = Set({1, "a", (1, 2), frozenset({3})}, key="s")
    print(r.smembers("s"))
    assert s.copy() == {1, "a", (1, 2), frozenset({3})}
    t = Set({1, 2}, key="t")
    assert s | t == {1, 2, "a", (1, 2), frozenset({3})}
    assert s & t == {1}
    assert s - {1} == {"a", (1, 2), frozenset({3})}
    assert s ^ t == {2, "a", (1, 2), frozenset({3})}
    assert {1} <= s and s >= {1} and not s <= t and {1} < s
    assert frozenset({1}) | t == frozenset({1, 2})
    s &= t
    assert s == {1}
    s |= [5] if False else {5}
    assert s.copy() == {1, 5}
    s ^= t
    assert s == {2, 5}
    s -= t
    assert s == {5}
    print(repr(s), list(s), bool(s), len(s), 5 in s)
