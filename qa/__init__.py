"""Question answering over an index of news articles.

    from qa import Retriever
    retriever = Retriever.open("data/index")
    for hit in retriever.search("What did China Daily say about Sora?", k=3):
        print(hit.citation, hit.text)

    answer = ask("What did China Daily say about Sora?", retriever=retriever)
    print(answer.text)  # quoted sentences, each with [n] -> answer.citations[n - 1]

    result = check_claim("Sora was developed by Google.", retriever.search("Who developed Sora?", k=5))
    print(result.verdict, result.reason)  # contradicted: the passage says OpenAI, not Google
"""
import index  # noqa: F401  (sets the Hugging Face libraries offline before anything loads them)
from index.document import Filters
from qa.answer import Answer, Answerer, Citation, ask
from qa.check import ClaimCheck, check_claim
from qa.config import Config, load_config
from qa.retrieve import Hit, Retriever

__all__ = ["Answer", "Answerer", "Citation", "ClaimCheck", "Config", "Filters", "Hit", "Retriever", "ask",
           "check_claim", "load_config"]
