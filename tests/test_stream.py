"""Pacing answer text into the chat (ui.stream): text unchanged, sent in runs of words, no wait for slow pieces."""
from __future__ import annotations

from ui.stream import paced

SENTENCE = "Baidu: Known as China’s “Google,” Baidu has focused heavily on autonomous driving. [1]"


class Clock:
    """A fake clock that only `sleep` (and a test) moves on."""

    def __init__(self) -> None:
        self.now, self.slept = 0.0, []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_pieces_are_cut_into_words_and_join_to_the_same_text():
    clock = Clock()
    final = object()
    out = list(paced([SENTENCE, " Second one. [2]", final], clock=lambda: clock.now, sleep=clock.sleep))
    assert out[-1] is final and "".join(out[:-1]) == SENTENCE + " Second one. [2]"
    assert len(out) > 4 and all(isinstance(p, str) and p.strip() for p in out[:-1])
    assert clock.slept and max(clock.slept) <= 0.03 + 1e-9


def test_a_piece_slower_than_the_pace_is_never_held_back():
    clock = Clock()

    def slow():
        for token in ["Tencent", " leveraged", " its", " users."]:
            clock.now += 0.5  # a model producing tokens slowly
            yield token

    out = list(paced(slow(), clock=lambda: clock.now, sleep=clock.sleep))
    assert out == ["Tencent", " leveraged", " its", " users."] and clock.slept == []


def test_a_long_sentence_goes_in_bigger_steps_not_slower():
    clock = Clock()
    long = " ".join(f"word{i}" for i in range(200)) + "."
    out = list(paced([long], clock=lambda: clock.now, sleep=clock.sleep))
    assert "".join(out) == long and sum(clock.slept) <= 0.25 + 1e-9
