"""Helpers for your own retrieval tests: `from qa.testing import assert_retrieves, assert_recall, build_retriever`.

The stable public name of `qa.evaluate.testing` (see there).
"""
from qa.evaluate.testing import assert_recall, assert_retrieves, build_retriever

__all__ = ["assert_recall", "assert_retrieves", "build_retriever"]
