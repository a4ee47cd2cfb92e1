"""Files to an index, incrementally: plan what changed, run the pure work, write crash-safe batches.

    pipeline.py     `ingest`: what changed, who owns each id, the upload rule, --sync and --rebuild
    writer.py       batches embedded and committed, handed to the engines (index.engines)
    parallel.py     where parsing, chunking and embedding run: serial or a local process pool
    ray_ingest.py   the same on Ray Data (the only module that imports ray)
    uploads.py      files a user uploads: placed under INDEX/uploads/, ingested under the upload rule

`from index.ingest import ingest` is the entry point the CLI, the web app, bench and the
test helpers share, with the index's settings (`index.settings.IndexSettings`) whole.
"""
from index.ingest.pipeline import IngestReport, IngestRun, ingest

__all__ = ["IngestReport", "IngestRun", "ingest"]
