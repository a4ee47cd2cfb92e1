"""While a reasoning model thinks, its answer stream says so once (an empty `Thinking` piece) before any answer
text, so the chat can show "The model is thinking…"; a model that does not think never says it (stub server)."""
from __future__ import annotations

import pytest

from qa.answer import Thinking
from tests.llm_stub import Reply
from tests.test_generative_servers import ANSWER, THOUGHT, ask_stub
from ui.stream import paced


@pytest.mark.parametrize("step", [
    Reply(["<think>", THOUGHT, "</think>\n\n"] + ANSWER),
    Reply(ANSWER, reasoning=[THOUGHT[:40], THOUGHT[40:]]),
    Reply(ANSWER, reasoning=[THOUGHT], reasoning_field="reasoning"),
], ids=["think-tags", "reasoning_content", "reasoning"])
def test_a_thinking_model_says_so_once_before_its_answer(fake_encoder, step):
    pieces, answer, _ = ask_stub(step, fake_encoder)
    marks = [i for i, p in enumerate(pieces) if isinstance(p, Thinking)]
    assert len(marks) == 1 and not "".join(pieces[: marks[0]])  # said once, before any answer text
    assert "".join(pieces) == "".join(ANSWER) and answer.answerer == "generative"  # it adds nothing to the text


def test_a_model_that_does_not_think_never_says_it(fake_encoder):
    pieces, _, _ = ask_stub(Reply(ANSWER), fake_encoder)
    assert not any(isinstance(p, Thinking) for p in pieces)


def test_the_chat_pacing_passes_the_mark_through():
    out = list(paced(["Hello there.", Thinking(), "More words here."], step_s=0, sleep=lambda s: None))
    assert any(isinstance(p, Thinking) for p in out) and "".join(out) == "Hello there.More words here."
