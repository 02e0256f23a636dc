"""The index on disk: round trip, stable ids, rebuild on change or damage."""

from __future__ import annotations

import json
import logging

from colnato_qa.engine import QAEngine

from .conftest import CORPUS_DIR


def _gen_dir(index_dir):
    m = json.loads((index_dir / "manifest.json").read_text())
    return index_dir / m["generation"], m


def test_round_trip(index_copy, engine, embedder):
    loaded = QAEngine.load(CORPUS_DIR, index_copy, embedder=embedder)
    assert loaded.manifest["generation"] == engine.manifest["generation"]
    assert [p.to_dict() for p in loaded.passages] == [p.to_dict() for p in engine.passages]
    q = "What agreement did Colombia sign in 2013?"
    assert loaded.ask(q).to_dict() == engine.ask(q).to_dict()


def test_manifest_fields(engine):
    m = engine.manifest
    for key in ("format_version", "model", "dimension", "corpus_hash", "chunker_version", "counts", "built_at",
                "files", "index_type"):
        assert key in m
    assert m["model"] == "colnato-MiniLM-L6-qa" and m["dimension"] == 384 and m["index_type"] == "flat"
    assert m["counts"]["passages"] == len(engine.passages)


def test_ids_stable_across_rebuilds(tmp_path, engine, embedder):
    rebuilt = QAEngine.build(CORPUS_DIR, tmp_path / "idx", embedder=embedder, force=True)
    assert [p.passage_id for p in rebuilt.passages] == [p.passage_id for p in engine.passages]


def test_changed_corpus_byte_triggers_rebuild(corpus_copy, tmp_path, embedder, caplog):
    idx = tmp_path / "idx"
    first = QAEngine.build(corpus_copy, idx, embedder=embedder)
    doc = next(corpus_copy.glob("*.md"))
    doc.write_text(doc.read_text(encoding="utf-8").replace("perplexing", "puzzling"), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="colnato_qa"):
        second = QAEngine.load(corpus_copy, idx, embedder=embedder)
    assert second.manifest["corpus_hash"] != first.manifest["corpus_hash"]
    assert any("corpus_hash" in r.getMessage() and "rebuilding" in r.getMessage() for r in caplog.records)
    # only the changed paragraph, its sentence and the two sentence windows that hold it
    assert 0 < second.manifest["counts"]["embedded_now"] <= 6 < second.manifest["counts"]["reused_vectors"]
    assert any("puzzling" in p.text for p in second.passages)


def test_corrupted_faiss_file_is_rebuilt(index_copy, embedder, caplog):
    gen, _ = _gen_dir(index_copy)
    f = gen / "passages.faiss"
    data = bytearray(f.read_bytes())
    data[len(data) // 2] ^= 0xFF
    f.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING, logger="colnato_qa"):
        e = QAEngine.load(CORPUS_DIR, index_copy, embedder=embedder)
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "passages.faiss is truncated or corrupted" in warnings[0]
    assert "2021" in e.ask("When was the ITPP signed?").answer
    # and the rebuilt index is good on the next load: no warning
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="colnato_qa"):
        QAEngine.load(CORPUS_DIR, index_copy, embedder=embedder)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_truncated_manifest_is_rebuilt(index_copy, embedder, caplog):
    m = index_copy / "manifest.json"
    m.write_text(m.read_text()[:40])
    with caplog.at_level(logging.WARNING, logger="colnato_qa"):
        e = QAEngine.load(CORPUS_DIR, index_copy, embedder=embedder)
    assert any("manifest unreadable" in r.getMessage() for r in caplog.records)
    assert e.manifest["counts"]["passages"] > 0
