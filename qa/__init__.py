"""Question answering over an index of news articles.

    from qa import Retriever
    retriever = Retriever.open("data/index")
    for hit in retriever.search("What did China Daily say about Sora?", k=3):
        print(hit.citation, hit.text)
"""
import index  # noqa: F401  (sets the Hugging Face libraries offline before anything loads them)
from index.store import Filters
from qa.config import Config, load_config
from qa.retriever import Hit, Retriever

__all__ = ["Config", "Filters", "Hit", "Retriever", "load_config"]
