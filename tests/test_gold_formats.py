"""Gold file formats: JSONL and SQuAD v2.0 JSON, and every way a file can be malformed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from colnato_qa.errors import ColnatoError, GoldFormatError
from colnato_qa.evaluation.gold import (
    GoldItem, check_evidence, filter_split, load_gold, parse_gold, sentence_around,
)

FIXTURES = Path(__file__).parent / "fixtures" / "eval"
CORPUS_TEXT = (FIXTURES / "mini_corpus.md").read_text(encoding="utf-8")


def test_jsonl_fixture_loads():
    items = load_gold(FIXTURES / "mini_gold.jsonl")
    assert [it.id for it in items] == ["m1", "m2", "m3", "m4", "m5", "m6"]
    m1 = items[0]
    assert isinstance(m1, GoldItem)
    assert m1.answers == ("1872", "in 1872") and m1.answerable
    assert m1.evidence.startswith("The lighthouse of Port Alder")
    assert (m1.type, m1.split, m1.history) == ("direct", "dev", ())
    assert m1.extra == {"difficulty": "easy"}               # unknown fields kept
    assert m1.source.endswith("mini_gold.jsonl:1")
    assert items[3].history == ("When was the lighthouse built?",)
    assert not items[4].answerable and items[4].evidence is None
    # grouping values for --by
    assert m1.field_value("difficulty") == "easy"
    assert items[3].field_value("difficulty") == "(none)"
    assert items[4].field_value("answerable") == "no"
    assert m1.field_value("type") == "direct"
    check_evidence(items, [CORPUS_TEXT])                     # every evidence is in the corpus


def test_squad_fixture_loads():
    items = load_gold(FIXTURES / "mini_squad.json")
    assert [it.id for it in items] == ["s1", "s2", "s3", "s4"]
    s1, s2, s3, s4 = items
    assert s1.answers == ("Mara Quill", "the engineer Mara Quill")
    assert s1.evidence == "The lighthouse of Port Alder was built in 1872 by the engineer Mara Quill."
    assert s2.evidence == "It stands 31 metres tall on the “north cape” of the bay."
    assert s3.answers == () and not s3.answerable and s3.evidence is None    # is_impossible
    assert s4.evidence == "Since 1994 it has been run automatically, and the last keeper, Tomas Brek, retired that year."
    assert s1.extra["title"] == "The Lighthouse of Port Alder"
    assert s1.field_value("title") == "The Lighthouse of Port Alder"
    check_evidence(items, [CORPUS_TEXT])


def test_format_is_told_by_content_not_name(tmp_path):
    p = tmp_path / "gold.txt"
    p.write_text((FIXTURES / "mini_squad.json").read_text(encoding="utf-8"), encoding="utf-8")
    assert len(load_gold(p)) == 4
    one_line = tmp_path / "one.json"
    one_line.write_text('{"id": "x", "question": "Q?", "answers": []}\n', encoding="utf-8")
    assert load_gold(one_line)[0].id == "x"


def test_blank_lines_and_bom_are_fine():
    items = parse_gold('\ufeff{"id": "a", "question": "Q?", "answers": ["x"]}\n\n   \n'
                       '{"id": 7, "question": "R?", "answers": []}\n', "g.jsonl")
    assert [it.id for it in items] == ["a", "7"]


LINE_OK = '{"id": "ok", "question": "Fine?", "answers": ["yes"]}'


@pytest.mark.parametrize("content, fragment", [
    ("", "empty"),
    ("\n\n", "empty"),
    (LINE_OK + "\n{not json}\n", "g.jsonl:2: malformed JSON"),
    ('{"id": "a", "question": "Q?", "answers": ["x"]\n', "g.jsonl:1: malformed JSON"),
    ('["a", "b"]\n', "g.jsonl: [0]: expected a JSON object, got string"),       # a JSON list of records
    ('["a", "b"]\n["c"]\n', "g.jsonl:1: expected a JSON object, got list"),    # JSONL lines that are lists
    ('"just a string"\n', "not a gold file in a format colnato-qa reads"),
    ('{"question": "Q?", "answers": []}\n', "g.jsonl:1: missing required field(s) 'id'"),
    (LINE_OK + '\n{"id": "b", "answers": []}\n', "g.jsonl:2: missing required field(s) 'question'"),
    ('{"id": "b", "question": "Q?"}\n', "missing required field(s) 'answers'"),
    ('{"id": "b"}\n', "'question', 'answers'"),
    ('{"id": null, "question": "Q?", "answers": []}\n', "field 'id' must be a non-empty string, got null"),
    ('{"id": true, "question": "Q?", "answers": []}\n', "field 'id' must be a non-empty string, got boolean"),
    ('{"id": "", "question": "Q?", "answers": []}\n', "field 'id' must be a non-empty string"),
    ('{"id": "b", "question": 3, "answers": []}\n', "field 'question' must be a non-empty string, got number"),
    ('{"id": "b", "question": "  ", "answers": []}\n', "field 'question' must be a non-empty string, got an empty string"),
    ('{"id": "b", "question": "Q?", "answers": "1872"}\n', "field 'answers' must be a list of strings"),
    ('{"id": "b", "question": "Q?", "answers": [1872]}\n', "a list holding number"),
    ('{"id": "b", "question": "Q?", "answers": [""]}\n', "use [] for an unanswerable question"),
    ('{"id": "b", "question": "Q?", "answers": ["x"], "evidence": 5}\n', "field 'evidence' must be a non-empty string"),
    ('{"id": "b", "question": "Q?", "answers": [], "evidence": "x"}\n', "unanswerable question (answers []) cannot have 'evidence'"),
    ('{"id": "b", "question": "Q?", "answers": ["x"], "history": "earlier?"}\n', "field 'history' must be a list"),
    ('{"id": "b", "question": "Q?", "answers": ["x"], "history": [1]}\n', "field 'history' must be a list"),
    ('{"id": "b", "question": "Q?", "answers": ["x"], "type": 3}\n', "field 'type' must be a non-empty string"),
    ('{"id": "b", "question": "Q?", "answers": ["x"], "split": ""}\n', "field 'split' must be a non-empty string"),
    (LINE_OK + "\n" + LINE_OK + "\n", "g.jsonl:2: duplicate id 'ok' (first used on line 1)"),
    (LINE_OK + "\n" + "[" * 100_000 + "\n", "g.jsonl:2: malformed JSON (nested too deeply)"),
    ('{"id": "b", "question": "Q?", "answers": ' + "[" * 100_000 + "\n", "g.jsonl:1: malformed JSON"),
    ("\x00\x01 binary junk\n", "not a gold file in a format colnato-qa reads"),
    ('{"id": ' + "9" * 5000 + ', "question": "Q?", "answers": []}\n', "g.jsonl:1: malformed JSON"),
])
def test_malformed_jsonl(tmp_path, content, fragment):
    p = tmp_path / "g.jsonl"
    p.write_text(content, encoding="utf-8")
    with pytest.raises(GoldFormatError) as exc:
        load_gold(p)
    assert fragment in str(exc.value)
    assert str(p.name) in str(exc.value)          # the message names the file
    assert isinstance(exc.value, ColnatoError)


def _squad(qas, context="The tower was built in 1872.", title="T"):
    return json.dumps({"version": "v2.0", "data": [{"title": title, "paragraphs": [{"context": context, "qas": qas}]}]})


@pytest.mark.parametrize("content, fragment", [
    ('{"data": {"x": 1}}', "field 'data' must be a list"),
    ('{"data": [{"title": "T"}]}', "data[0].paragraphs must be a list"),
    ('{"data": [{"paragraphs": [{"qas": []}]}]}', "data[0].paragraphs[0].context must be a string"),
    ('{"data": [{"paragraphs": [{"context": "c"}]}]}', "data[0].paragraphs[0].qas must be a list"),
    ('{"data": []}', "no gold questions"),
    (_squad([{"question": "Q?", "answers": []}]), "qas[0]: missing required field(s) 'id'"),
    (_squad([{"id": "a", "answers": []}]), "qas[0]: missing required field(s) 'question'"),
    (_squad([{"id": "a", "question": "Q?", "answers": [], "is_impossible": False}]), "needs at least one answer"),
    (_squad([{"id": "a", "question": "Q?", "answers": [{"text": 5}]}]), "answers[0] must be an object with a non-empty 'text'"),
    (_squad([{"id": "a", "question": "Q?", "answers": [{"text": "1999", "answer_start": 0}]}]), "does not occur in the paragraph"),
    (_squad([{"id": "a", "question": "Q?", "is_impossible": "no"}]), "'is_impossible' must be true or false"),
    (_squad([{"id": "a", "question": "Q?"}]), "missing required field 'answers'"),
    (_squad([{"id": "a", "question": "Q?", "answers": [], "is_impossible": True},
             {"id": "a", "question": "R?", "answers": [], "is_impossible": True}]), "qas[1]: duplicate id 'a'"),
])
def test_malformed_squad(tmp_path, content, fragment):
    p = tmp_path / "squad.json"
    p.write_text(content, encoding="utf-8")
    with pytest.raises(GoldFormatError) as exc:
        load_gold(p)
    assert fragment in str(exc.value)
    assert "squad.json" in str(exc.value)


def test_squad_wrong_answer_start_falls_back_to_search():
    items = parse_gold(_squad([{"id": "a", "question": "Q?", "answers": [{"text": "1872", "answer_start": 3}]}]))
    assert items[0].evidence == "The tower was built in 1872."


def test_sentence_around():
    ctx = "First one. Second “quoted.” Third! Fourth"
    assert sentence_around(ctx, ctx.index("Second"), ctx.index("Second") + 6) == "Second “quoted.”"
    assert sentence_around(ctx, 0, 5) == "First one."
    assert sentence_around(ctx, ctx.index("Fourth"), len(ctx)) == "Fourth"


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(GoldFormatError, match="not found"):
        load_gold(tmp_path / "nope.jsonl")
    with pytest.raises(GoldFormatError, match="is a directory"):
        load_gold(tmp_path)
    bad = tmp_path / "latin1.jsonl"
    bad.write_bytes(b'{"id": "a", "question": "caf\xe9?", "answers": []}\n')
    with pytest.raises(GoldFormatError, match="not UTF-8"):
        load_gold(bad)


def test_evidence_check_names_file_and_line(tmp_path):
    p = tmp_path / "g.jsonl"
    p.write_text(LINE_OK + '\n{"id": "b", "question": "Q?", "answers": ["x"], "evidence": "not in the text"}\n',
                 encoding="utf-8")
    items = load_gold(p)            # loading is pure: no corpus needed
    with pytest.raises(GoldFormatError, match=r"g\.jsonl:2: evidence of 'b' does not occur in the corpus"):
        check_evidence(items, [CORPUS_TEXT])


def test_evidence_check_folds_quotes_and_whitespace():
    item = GoldItem(id="q", question="Q?", answers=("x",), evidence='on the  "north cape"\nof the bay')
    check_evidence([item], [CORPUS_TEXT])


def test_filter_split():
    items = load_gold(FIXTURES / "mini_gold.jsonl")
    assert [it.id for it in filter_split(items, "dev")] == ["m1", "m3", "m5"]
    assert len(filter_split(items, None)) == 6
    with pytest.raises(GoldFormatError, match="splits present: \\['dev', 'test'\\]"):
        filter_split(items, "train")


# -- an evaluator's own formats: CSV, TSV, SQuAD, Hugging Face datasets records -------------------------
PARAS = [p for p in CORPUS_TEXT.split("\n\n") if p.startswith(("The lighthouse of", "The light was", "Today"))]
# (id, question, answers, paragraph index, type): one small gold set, written in every format below
EVALUATOR_SET = [
    ("e1", "When was the lighthouse built?", ["1872", "in 1872"], 0, "direct"),
    ("e2", "Who was the last keeper?", ["Tomas Brek"], 1, "direct"),
    ("e3", "What is the museum about?", ["shipwrecks, storms, and signal codes"], 2, "list"),
    ("e4", "How many visitors does the museum get?", [], 2, "unanswerable"),
    ("e5", "Who won the World Cup?", [], 0, "unanswerable"),
]


def _evidence(answers, para):
    if not answers:
        return ""
    start = PARAS[para].index(answers[0])
    return sentence_around(PARAS[para], start, start + len(answers[0]))


def write_four_formats(directory: Path) -> dict[str, Path]:
    """The evaluator's set as CSV, TSV, SQuAD v2.0 JSON and datasets JSONL (names that do not tell the format)."""
    import csv

    paths = {}
    for name, delimiter in (("csv", ","), ("tsv", "\t")):
        paths[name] = directory / f"evaluator_{name}.txt"
        with paths[name].open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, delimiter=delimiter)
            w.writerow(["id", "question", "answers", "answers", "evidence", "type", "split"])
            for qid, q, answers, para, kind in EVALUATOR_SET:
                w.writerow([qid, q, *(answers + ["", ""])[:2], _evidence(answers, para), kind, "test"])
    squad = {"version": "v2.0", "data": [{"title": "The Lighthouse of Port Alder", "paragraphs": [
        {"context": text, "qas": [
            {"id": qid, "question": q, "type": kind, "split": "test", "is_impossible": not answers,
             "answers": [{"text": a, "answer_start": text.index(a)} for a in answers]}
            for qid, q, answers, para, kind in EVALUATOR_SET if para == i]}
        for i, text in enumerate(PARAS)]}]}
    paths["squad"] = directory / "evaluator_squad.data"
    paths["squad"].write_text(json.dumps(squad, ensure_ascii=False), encoding="utf-8")
    paths["datasets"] = directory / "evaluator_datasets.json"
    paths["datasets"].write_text("".join(json.dumps({
        "id": qid, "title": "The Lighthouse of Port Alder", "context": PARAS[para], "question": q,
        "answers": {"text": answers, "answer_start": [PARAS[para].index(a) for a in answers]},
        "type": kind, "split": "test"}, ensure_ascii=False) + "\n" for qid, q, answers, para, kind in EVALUATOR_SET),
        encoding="utf-8")
    return paths


def _essence(items):
    return sorted((it.id, it.question, it.answers, it.evidence, it.type, it.split) for it in items)


def test_csv_tsv_squad_and_datasets_files_hold_the_same_questions(tmp_path):
    loaded = {name: load_gold(path) for name, path in write_four_formats(tmp_path).items()}
    expected = sorted((qid, q, tuple(answers), _evidence(answers, para) or None, kind, "test")
                      for qid, q, answers, para, kind in EVALUATOR_SET)
    for name, items in loaded.items():
        assert _essence(items) == expected, name
        check_evidence(items, [CORPUS_TEXT])


def test_csv_columns(tmp_path):
    p = tmp_path / "g.csv"
    p.write_text("Question,Answer_1,answer_2,Type,history,difficulty\n"
                 'When was it electrified?,1931,in 1931,followup,When was the lighthouse built? | Who built it?,easy\n'
                 '"Who won the World Cup, and when?",,,unanswerable,,\n'
                 "\n", encoding="utf-8")
    a, b = load_gold(p)
    assert (a.id, a.answers, a.type, a.history) == ("1", ("1931", "in 1931"), "followup",
                                                    ("When was the lighthouse built?", "Who built it?"))
    assert a.extra == {"difficulty": "easy"} and a.source.endswith("g.csv:2")
    assert (b.id, b.question, b.answers, b.answerable) == ("2", "Who won the World Cup, and when?", (), False)


@pytest.mark.parametrize("content, fragment", [
    ("question,notes\nWhen?,x\n", "g.csv:1: the header has no 'answer' or 'answers' column"),
    ("id,question,answer\na,When?,1872\na,Why?,\n", "g.csv:3: duplicate id 'a'"),
    ("id,question,answer\na,,1872\n", "g.csv:2: field 'question' must be a non-empty string"),
    ("id,question,answer\na,When?,1872,extra\n", "g.csv:2: 4 cells but the header has 3 columns"),
    ("title;body\nx;y\n", "not a gold file in a format colnato-qa reads"),
    ("id,question,answer\n", "no gold questions found"),
])
def test_malformed_csv(tmp_path, content, fragment):
    p = tmp_path / "g.csv"
    p.write_text(content, encoding="utf-8")
    with pytest.raises(GoldFormatError) as exc:
        load_gold(p)
    assert fragment in str(exc.value) and "\n" not in str(exc.value)


def test_unknown_format_is_one_line_naming_the_formats(tmp_path):
    p = tmp_path / "notes.txt"
    p.write_text("Some notes about the article.\nNot questions.\n", encoding="utf-8")
    with pytest.raises(GoldFormatError) as exc:
        load_gold(p)
    message = str(exc.value)
    assert "\n" not in message
    for fmt in ("JSONL", "Hugging Face datasets", "SQuAD v1.1/v2.0", "CSV/TSV"):
        assert fmt in message


def test_datasets_records_as_a_json_list_and_their_errors(tmp_path):
    p = tmp_path / "g.json"
    p.write_text(json.dumps([{"id": "d1", "question": "When was the light electrified?", "context": PARAS[1],
                              "answers": {"text": ["1931"], "answer_start": [28]}},
                             {"id": "d2", "question": "Who won the World Cup?", "context": PARAS[0],
                              "answers": {"text": [], "answer_start": []}}]), encoding="utf-8")
    d1, d2 = load_gold(p)
    assert d1.answers == ("1931",) and d1.evidence == "The light was electrified in 1931."
    assert d2.answers == () and d2.evidence is None and "context" not in d2.extra
    p.write_text(json.dumps({"id": "d", "question": "Q?", "answers": {"text": "1931"}}) + "\n", encoding="utf-8")
    with pytest.raises(GoldFormatError, match="field 'answers.text' must be a list"):
        load_gold(p)


def test_squad_v1_has_no_is_impossible(tmp_path):
    p = tmp_path / "v1.json"
    p.write_text(json.dumps({"version": "1.1", "data": [{"title": "T", "paragraphs": [{"context": PARAS[1], "qas": [
        {"id": "v", "question": "When was the light electrified?", "answers": [{"text": "1931", "answer_start": 28}]}]}]}]}),
        encoding="utf-8")
    (item,) = load_gold(p)
    assert item.answerable and item.evidence == "The light was electrified in 1931."


def test_unknown_jsonl_keys_stay_in_extra():
    (item,) = parse_gold('{"id": "n1", "question": "Is NATO in Bogotá?", "answers": [], "verdict": "no", '
                         '"language": "en", "contradicted_by": "p3"}\n')
    assert item.extra == {"verdict": "no", "language": "en", "contradicted_by": "p3"}


def test_read_gold_sets_is_the_one_reader(tmp_path):
    from colnato_qa.evaluation.gold import read_gold_sets

    (dev,), (everything,) = read_gold_sets([f"{FIXTURES / 'mini_gold.jsonl'}:dev"]), read_gold_sets([FIXTURES / "mini_gold.jsonl"])
    assert dev.split == "dev" and [it.id for it in dev.items] == ["m1", "m3", "m5"]
    assert everything.split == "all" and len(everything.items) == 6
    with pytest.raises(GoldFormatError, match="does not exist"):
        read_gold_sets([str(tmp_path / "none.csv")])
    import colnato_qa.cli.common as common
    import colnato_qa.cli.eval_commands as eval_commands

    assert not hasattr(common, "read_gold_specs") and not hasattr(eval_commands, "_load_items")
