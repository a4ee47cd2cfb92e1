"""Retrieved passages to cited answers.

`records` holds what an answer is (`Answer`, `Citation`, `Quote`, the `Answerer`
interface, `verify`); `extractive` the built-in answerer; `conversation` turns a
follow-up into a standalone question; `factory` picks the answerer; `ask` ties
them to a `Retriever`; `calibrate` measures the abstain threshold.
"""
from qa.answer.ask import ask, ask_stream
from qa.answer.records import ABSTAIN_TEXT, Answer, Answerer, Citation, History, Quote, Thinking, verify

__all__ = ["ABSTAIN_TEXT", "Answer", "Answerer", "Citation", "History", "Quote", "Thinking", "ask", "ask_stream", "verify"]
