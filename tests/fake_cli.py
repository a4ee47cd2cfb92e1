"""`newsdesk` with the fake encoder in place of the model, for fast end-to-end CLI tests.

    python -m tests.fake_cli ingest FOLDER --index DIR

Everything but the encoder is the real command: argument parsing, config, ingest,
error reporting and exit status.
"""
from __future__ import annotations

import sys

import index.embed
import qa.config
import qa.retrieve.retriever
from tests.fakes import HashingEncoder
from ui.cli import main


def _fake_encoder(*args, **kwargs) -> HashingEncoder:
    return HashingEncoder()


if __name__ == "__main__":
    index.embed.Encoder = qa.retrieve.retriever.Encoder = _fake_encoder
    qa.config.Config.encoder = lambda self, cls=None: HashingEncoder()  # Retriever.open, eval
    sys.exit(main())
