"""The onnx encoder against the torch one, its export's record in the index, and serving without torch.

The backends must agree: question and passage vectors within cosine 0.9999, and the same answer
and first citation on every question of the project's gold sets (corpus/gold/*.jsonl).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from colnato_qa.encoders import onnx_export
from colnato_qa.engine import QAEngine
from colnato_qa.errors import ColnatoError, ConfigError
from colnato_qa.evaluation.gold import load_gold
from colnato_qa.indexing import sentence_windows
from colnato_qa.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]
CORPUS_DIR = ROOT / "corpus"
GOLD_FILES = sorted((ROOT / "corpus" / "gold").glob("*.jsonl"))
MIN_COSINE = 0.9999


def gold_items():
    return [item for path in GOLD_FILES for item in load_gold(path)]


def index_texts(engine) -> list[str]:
    """Every text the index holds a vector of: passages, sentences, sentence windows."""
    texts = []
    for row in range(len(engine._state.data.searchable)):
        p = engine._state.passage(row)
        sents = p.sentence_texts()
        texts += [p.index_text, *sents, *sentence_windows(sents, p.context)]
    return texts


@pytest.fixture(scope="module")
def torch_engine(tmp_path_factory, torch_embedder):
    """The engine with the torch encoder, on an index the torch encoder built."""
    settings = load_settings().replace(encoder="torch")
    return QAEngine.load(CORPUS_DIR, tmp_path_factory.mktemp("torch-index"), settings, embedder=torch_embedder)


@pytest.fixture(scope="module")
def gold_answers(engine, torch_engine):
    """(gold item, onnx engine's answer, torch engine's answer) for every gold question (batched)."""
    items = gold_items()
    asked = [(item.question, list(item.history) or None) for item in items]
    return list(zip(items, engine.ask_many(asked), torch_engine.ask_many(asked)))


# -- the two backends agree ----------------------------------------------------------------------
def test_gold_questions_and_index_vectors_match_torch(engine, embedder, torch_embedder, gold_answers):
    questions = [text for item, a, _ in gold_answers for text in (item.question, (a.trace.read.text if a.trace and a.trace.read else item.question))]
    for texts in (questions, index_texts(engine)):
        cos = np.sum(embedder.encode(texts) * torch_embedder.encode(texts), axis=1)
        worst = int(np.argmin(cos))
        assert cos[worst] >= MIN_COSINE, (texts[worst], float(cos[worst]))


def test_same_answer_and_first_citation_on_every_gold_question(engine, torch_engine, gold_answers):
    assert engine.embedder.backend == "onnx" and torch_engine.embedder.backend == "torch"
    assert len(gold_answers) == sum(len(load_gold(path)) for path in GOLD_FILES) > 100
    for item, a, b in gold_answers:
        assert (a.answer, a.abstained) == (b.answer, b.abstained), item.source
        if a.citations or b.citations:
            first_a, first_b = a.citations[0], b.citations[0]
            assert first_a.passage.passage_id == first_b.passage.passage_id, item.source
            assert first_a.answer_span == first_b.answer_span, item.source
        assert abs(a.confidence - b.confidence) < 1e-3, item.source


@pytest.mark.parametrize("text", ["partnerhsip", "Colombia's", "NATO-led operations", "Ünïcödé", "",
                                  "a " * 300])
def test_tokenizer_pieces_and_counts_match_torch(embedder, torch_embedder, text):
    assert embedder.tokenize(text) == torch_embedder.tokenize(text)
    assert embedder.count_tokens(text) == torch_embedder.count_tokens(text)
    assert embedder.max_tokens == torch_embedder.max_tokens
    assert embedder.dimension == torch_embedder.dimension


def test_static_word_vectors_match_torch(embedder, torch_embedder):
    words = ["troops", "soldiers", "partnership", "colombia", "unasur", "cybersecurity"]
    a, b = embedder.static_word_vectors(words), torch_embedder.static_word_vectors(words)
    assert a.shape == b.shape == (len(words), embedder.dimension)
    assert np.allclose(a, b, atol=1e-6)


# -- serving imports no torch --------------------------------------------------------------------
NO_TORCH_SCRIPT = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    import colnato_qa
    from colnato_qa import QAEngine
    from colnato_qa.settings import Settings
    engine = QAEngine.load(Path(sys.argv[1]), Path(sys.argv[2]), Settings(encoder="onnx"))
    direct = engine.ask("When was the ITPP signed?")
    from fastapi.testclient import TestClient
    from colnato_qa.web.server import create_app
    client = TestClient(create_app(engine, allowed_origins="", feedback_path=sys.argv[3]), base_url="http://localhost")
    r = client.post("/api/ask", json={"question": "Who wrote the article?"})
    heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "sentence_transformers", "transformers", "onnx", "spacy", "thinc"))
    print(json.dumps({"status": r.status_code, "answer": r.json().get("answer"), "direct": direct.answer,
                      "modules": heavy}))
""")


def test_serving_an_answer_imports_no_torch(tmp_path, seed_export, embedder):
    """Building may use torch (the export) and spaCy (the annotations); loading and serving may not."""
    index_dir = tmp_path / "index"
    seed_export(index_dir)
    QAEngine.build(CORPUS_DIR, index_dir, embedder=embedder)
    done = subprocess.run([sys.executable, "-c", NO_TORCH_SCRIPT, str(CORPUS_DIR), str(index_dir), str(tmp_path / "f.jsonl")],
                          cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"})
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["status"] == 200 and out["answer"] and out["direct"]
    assert out["modules"] == []
    assert "exporting" not in done.stderr  # the seeded export was used, not made again


# -- the export and its record in the index ------------------------------------------------------
def test_manifest_records_the_export_settings_and_file_hashes(engine, embedder):
    record = engine.manifest["encoder"]
    assert record["backend"] == "onnx"
    assert record["export"] == onnx_export.export_settings(embedder.model_name, embedder.model_location)
    assert record["files"] == {name: onnx_export.sha256_file(embedder.export_dir / name) for name in onnx_export.FILES}


def test_index_built_by_another_export_is_rebuilt(tmp_path, embedder, caplog):
    index_dir = tmp_path / "index"
    QAEngine.build(CORPUS_DIR, index_dir, embedder=embedder)
    path = index_dir / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["encoder"]["files"]["model.onnx.data"] = "0" * 64
    path.write_text(json.dumps(manifest), encoding="utf-8")

    with caplog.at_level("WARNING", logger="colnato_qa"):
        engine = QAEngine.load(CORPUS_DIR, index_dir, embedder=embedder)
    assert any("encoder" in r.getMessage() and "rebuilding" in r.getMessage() for r in caplog.records)
    assert engine.manifest["encoder"] == embedder.manifest_record()
    counts = engine.manifest["counts"]  # the other export's vectors are not reused
    assert counts["embedded_now"] >= counts["searchable_passages"] + counts["sentences"]


@pytest.mark.parametrize("name", onnx_export.FILES)
def test_damaged_export_file_is_detected(tmp_path, embedder, name):
    copy = tmp_path / "export"
    shutil.copytree(embedder.export_dir, copy)
    settings = onnx_export.export_settings(embedder.model_name, embedder.model_location)
    assert onnx_export.verified_meta(copy, settings) is not None
    assert onnx_export.verified_meta(copy, settings) is not None   # from the recorded stamps this time
    data = bytearray((copy / name).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (copy / name).write_bytes(bytes(data))
    assert onnx_export.verified_meta(copy, settings) is None


def test_an_export_checked_once_is_not_hashed_again(tmp_path, embedder, monkeypatch):
    copy = tmp_path / "export"
    shutil.copytree(embedder.export_dir, copy)
    (copy / onnx_export.CHECKED).unlink(missing_ok=True)
    settings = onnx_export.export_settings(embedder.model_name, embedder.model_location)
    hashed = []
    real = onnx_export.sha256_file
    monkeypatch.setattr(onnx_export, "sha256_file", lambda path: hashed.append(path.name) or real(path))
    assert onnx_export.verified_meta(copy, settings) is not None
    assert sorted(hashed) == sorted(onnx_export.FILES)
    hashed.clear()
    assert onnx_export.verified_meta(copy, settings) is not None
    assert hashed == []
    replaced = copy / "tokenizer.json"     # a file put in place by another copy: new inode, hashed again
    shutil.copyfile(embedder.export_dir / "tokenizer.json", tmp_path / "tokenizer.json")
    os.replace(tmp_path / "tokenizer.json", replaced)
    assert onnx_export.verified_meta(copy, settings) is not None
    assert hashed == list(onnx_export.FILES)


def test_export_settings_name_the_directory(embedder):
    settings = onnx_export.export_settings(embedder.model_name, embedder.model_location)
    names = {onnx_export.export_dir_name({**settings, key: "changed"}) for key in settings}
    assert len(names) == len(settings) and onnx_export.export_dir_name(settings) not in names


class CopyingExporter:
    """Stands in for the torch export step (seconds of torch) by copying the session's export; counts calls."""

    def __init__(self, embedder):
        self.source = embedder.export_dir
        self.calls = 0

    def __call__(self, model_location, settings, out_dir):
        self.calls += 1
        for name in (*onnx_export.FILES, onnx_export.META):
            shutil.copyfile(self.source / name, out_dir / name)
        meta = json.loads((out_dir / onnx_export.META).read_text(encoding="utf-8"))
        meta["settings"] = settings
        (out_dir / onnx_export.META).write_text(json.dumps(meta), encoding="utf-8")
        return meta


def test_missing_damaged_or_stale_export_is_made_again(tmp_path, embedder, monkeypatch):
    exporter = CopyingExporter(embedder)
    monkeypatch.setattr(onnx_export, "write_export", exporter)
    root = tmp_path / "encoders"
    first, _ = onnx_export.ensure_export(embedder.model_name, embedder.model_location, root)
    again, _ = onnx_export.ensure_export(embedder.model_name, embedder.model_location, root)
    assert (first, exporter.calls) == (again, 1)  # intact: used as it is

    (first / "word_embeddings.npy").write_bytes(b"truncated")
    remade, _ = onnx_export.ensure_export(embedder.model_name, embedder.model_location, root)
    assert remade == first and exporter.calls == 2
    assert onnx_export.verified_meta(remade, onnx_export.export_settings(embedder.model_name, embedder.model_location))

    monkeypatch.setattr(onnx_export, "RECIPE", onnx_export.RECIPE + 1)
    newer, meta = onnx_export.ensure_export(embedder.model_name, embedder.model_location, root)
    assert newer != first and exporter.calls == 3 and meta["settings"]["recipe"] == onnx_export.RECIPE
    assert sorted(p.name for p in root.iterdir() if p.is_dir()) == [newer.name]  # the stale one is gone


def test_unwritable_export_root_exports_for_this_process_only(tmp_path, embedder, monkeypatch, caplog):
    exporter = CopyingExporter(embedder)
    monkeypatch.setattr(onnx_export, "write_export", exporter)
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("", encoding="utf-8")
    with caplog.at_level("WARNING", logger="colnato_qa"):
        where, meta = onnx_export.ensure_export(embedder.model_name, embedder.model_location, blocker / "encoders")
    assert exporter.calls == 1 and where.is_dir() and not str(where).startswith(str(blocker))
    assert any("for this process only" in r.getMessage() for r in caplog.records)
    shutil.rmtree(where)


# -- settings and models the export cannot reproduce ---------------------------------------------
def test_unknown_encoder_setting_names_the_valid_ones():
    with pytest.raises(ConfigError) as err:
        Settings(encoder="tensorflow")
    assert "'onnx'" in str(err.value) and "'torch'" in str(err.value)
    assert Settings().encoder == "onnx"


def _model_with_pooling(where, pooling: dict):
    (where / "1_Pooling").mkdir(parents=True)
    (where / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]))
    (where / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    (where / "tokenizer.json").write_text("{}")
    return where


@pytest.mark.parametrize("pooling", [{"pooling_mode_cls_token": True}, {"pooling_mode": "cls"}])
def test_model_with_other_pooling_is_refused_with_the_fix(tmp_path, pooling):
    model = _model_with_pooling(tmp_path / "cls-model", pooling)
    with pytest.raises(ColnatoError, match='"encoder": "torch"'):
        onnx_export.model_layout(str(model))
    with pytest.raises(ColnatoError, match='"encoder": "torch"'):
        onnx_export.model_layout(str(tmp_path / "no-such-model"))


@pytest.mark.parametrize("pooling", [{"pooling_mode_mean_tokens": True, "pooling_mode_cls_token": False},
                                     {"pooling_mode": "mean", "include_prompt": True}])   # sentence-transformers 5+
def test_mean_pooling_is_read_in_either_format(tmp_path, pooling):
    layout = onnx_export.model_layout(str(_model_with_pooling(tmp_path / "mean-model", pooling)))
    assert layout["transformer_dir"] == str(tmp_path / "mean-model")
