"""With the real bundled model: plain questions about each seed article return it in the top 3."""
from __future__ import annotations

import pytest

from index.document import untagged
from index.ingest import ingest
from index.storage.layout import IndexDir
from qa.retrieve.retriever import Retriever
from index.settings import IndexSettings

pytestmark = pytest.mark.model

CHINA_US = "https://global.chinadaily.com.cn/a/202402/21/WS65d5382ba31082fc043b8335.html"
SORA = "https://global.chinadaily.com.cn/a/202403/06/WS65e7c8b1a31082fc043baeb6.html"
RETAIL = "https://www.esmmagazine.com/features/ai-and-computer-vision-to-be-major-trends-in-the-retail-sector-in-2024-259826"
AERIAL = ("https://www.forbes.com/sites/forbesbusinessdevelopmentcouncil/2024/03/07/"
          "ai-integration-in-aerial-imagery-spells-big-changes-for-key-industries/")
PAGE = "004_f8e56c66953da029.txt"


@pytest.fixture(scope="module")
def retriever(tmp_path_factory, real_encoder):
    from tests.conftest import SEEDS

    idx = tmp_path_factory.mktemp("seed-index")
    report = ingest([SEEDS], idx, real_encoder, IndexSettings())
    assert report.added == 5 and not report.errors
    r = Retriever(IndexDir.open(idx, real_encoder.model_id), real_encoder)
    yield r
    r.close()


@pytest.mark.parametrize("question,doc_id", [
    ("Which sectors could generative AI transform, according to China Daily?", CHINA_US),
    ("How should China and the US cooperate on artificial intelligence?", CHINA_US),
    ("What opportunities does Sora create for China's computing power and data centers?", SORA),
    ("What is OpenAI's text-to-video model?", SORA),
    ("How is computer vision used in retail stores?", RETAIL),
    ("How does AI change aerial imagery for insurers and local governments?", AERIAL),
    ("What are the ethical concerns about facial recognition surveillance in China?", PAGE),
    ("Which Chinese tech giants lead AI development, like Baidu and Tencent?", PAGE),
])
def test_seed_question_finds_its_article(retriever, question, doc_id):
    hits = retriever.search(question, k=3)
    assert doc_id in [untagged(h.doc_id) for h in hits], [(h.doc_id, round(h.score, 3)) for h in hits]


def test_hits_carry_citations_that_point_into_the_stored_text(retriever):
    for hit in retriever.search("Sora text-to-video", k=5):
        doc = retriever.index.store.document(hit.doc_id)
        assert doc.text[hit.start : hit.end] == hit.text
        assert hit.title in hit.citation
        assert "secured" not in hit.text and "==" not in hit.text
