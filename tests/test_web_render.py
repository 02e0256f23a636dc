"""The chat page's pure HTML builders (escaping, highlighting, numbering, abstention), the chat
logic behind the page (over the real engine) and the feedback log."""

from __future__ import annotations

import html
import json
import re
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from colnato_qa.chunking import Chunker
from colnato_qa.corpus import load_corpus, parse_document
from colnato_qa.web import render
from colnato_qa.components.small_talk import KINDS, REPLIES, SmallTalk
from colnato_qa.web.chat_ui import (
    EXAMPLE_QUESTIONS,
    FEEDBACK_REASONS,
    QUESTION_DISPLAY_CHARS,
    ChatController,
    chat_messages,
)
from colnato_qa.web.feedback import FeedbackLog, FeedbackRecord, liked_value
from tests.web_fixtures import (  # noqa: F401  (web_engine is a fixture)
    ANSWERABLE,
    FOLLOW_UP_FIRST,
    FOLLOW_UP_SECOND,
    OFF_TOPIC,
    REPO_ROOT,
    XSS_PAYLOAD,
    web_engine,
)

TAG = re.compile(r"<[^>]*>")
OUR_TAGS = {"div", "p", "details", "summary", "blockquote", "mark", "sup", "a", "span", "br", "h1", "h2", "h3",
            "section", "article", "header", "cite", "ul", "li", "button"}


def citation(text: str, paragraph: int = 3, start: int | None = None, end: int | None = None, pid: str = "d:1") -> dict:
    return {"passage_id": pid, "doc_id": "d", "title": "T", "paragraph": paragraph, "text": text, "score": 0.5,
            "answer_start": start, "answer_end": end}


def answer_dict(question: str = "Q?", answer: str | None = "B.", citations: list[dict] | None = None,
                abstained: bool = False, interpreted_as: str | None = None, confidence: float = 0.8) -> dict:
    return {"question": question, "answer": answer, "abstained": abstained, "confidence": confidence,
            "citations": citations or [], "interpreted_as": interpreted_as}


def tags_in(markup: str) -> set[str]:
    return {m.group(1).lower() for m in re.finditer(r"</?([a-zA-Z][\w-]*)", markup)}


def visible_text(markup: str) -> str:
    return html.unescape(TAG.sub("", markup.replace("<br>", "\n")))


# -- escaping ------------------------------------------------------------------------------------
def test_question_payload_is_escaped():
    out = render.render_question(XSS_PAYLOAD)
    assert "<img" not in out and "<script" not in out
    assert out == "&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;alert(2)&lt;/script&gt;"
    assert visible_text(out) == XSS_PAYLOAD


def test_payload_everywhere_in_an_answer_is_escaped():
    text = f"Before {XSS_PAYLOAD} after."
    ans = answer_dict(question=XSS_PAYLOAD, answer=XSS_PAYLOAD, interpreted_as=f"{XSS_PAYLOAD} (following up)",
                      citations=[citation(text, start=7, end=7 + len(XSS_PAYLOAD))])
    out = render.render_answer(ans)
    assert tags_in(out) <= OUR_TAGS
    assert "<img" not in out and "<script" not in out
    assert out.count("&lt;script&gt;") == 4   # answer, reading, summary snippet, marked paragraph


def test_error_reply_is_escaped():
    out = render.render_error("bad <b>thing</b>")
    assert "<b>" not in out and "&lt;b&gt;" in out


def test_article_metadata_and_text_are_escaped():
    doc = parse_document("---\ntitle: A <script>x</script> title\nauthor: Eve <img src=x>\n---\n\n"
                         "# A <script>x</script> title\n\nFirst <b>para</b>.\n\nSecond & last.\n")
    out = render.render_article(doc)
    assert tags_in(out) <= OUR_TAGS
    assert "&lt;script&gt;" in out and "&lt;b&gt;para&lt;/b&gt;" in out and "Second &amp; last." in out
    header = render.render_header([doc], "Heading <i>")
    assert tags_in(header) <= OUR_TAGS and "Heading &lt;i&gt;" in header and "Eve &lt;img src=x&gt;" in header


@given(st.text(max_size=200))
def test_any_text_is_inert_and_round_trips(text):
    out = render.text_html(text)
    assert "\n" not in out
    assert tags_in(out) <= {"br"}
    assert visible_text(out) == text.replace("\r\n", "\n")


# -- highlighting ----------------------------------------------------------------------------------
def test_highlight_marks_exactly_the_span():
    assert render.highlighted_html("abc def ghi", 4, 7) == 'abc <mark class="colnato-mark">def</mark> ghi'


def test_highlight_escapes_inside_and_outside_the_mark():
    out = render.highlighted_html("a<b c>d", 2, 5)
    assert out == 'a&lt;<mark class="colnato-mark">b c</mark>&gt;d'


@pytest.mark.parametrize("start, end", [(None, None), (3, 3), (5, 2), (-1, 3), (0, 99), (True, 3), ("1", "3")])
def test_invalid_span_highlights_nothing(start, end):
    out = render.highlighted_html("some text", start, end)
    assert "<mark" not in out and out == "some text"


@given(st.text(min_size=1, max_size=120), st.data())
def test_highlight_keeps_the_text_and_marks_the_span(text, data):
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    out = render.highlighted_html(text, start, end)
    assert visible_text(out) == text.replace("\r\n", "\n")
    marked = re.search(r'<mark class="colnato-mark">(.*)</mark>', out, re.DOTALL).group(1)
    assert visible_text(marked) == text[start:end].replace("\r\n", "\n")


def test_newlines_become_breaks_and_output_is_one_line():
    ans = answer_dict(citations=[citation("Lead-in:\n\nItem one.", start=10, end=19)])
    out = render.render_answer(ans)
    assert "\n" not in out and "Lead-in:<br><br>" in out


# -- sources, related passages, links, abstention ---------------------------------------------------------
def hrefs(markup: str, css_class: str) -> list[str]:
    return re.findall(rf'<a class="{css_class}" href="([^"]*)"', markup)


def test_sources_are_numbered_and_other_passages_are_related():
    cites = [citation("Alpha beta.", 4, 0, 5, "d:1"), citation("Gamma.", 7, pid="d:2"),
             citation("Delta.", 9, pid="d:3")]
    out = render.render_answer(answer_dict(answer="Alpha", citations=cites))
    assert out.count('<details class="colnato-cite">') == 1, "only the passage holding the answer is a source"
    assert '<span class="colnato-cite-n">[1]</span>' in out and "[2]" not in out
    assert out.count("<mark") == 1 and '<mark class="colnato-mark">Alpha</mark>' in out
    related = out[out.index('<details class="colnato-related">'):]
    assert render.RELATED_LABEL in related and "(2)" in related
    assert "Paragraph 7" in related and "Paragraph 9" in related and "colnato-cite-n" not in related
    assert hrefs(out, "colnato-ref") == ["#para-4"], "without an article index, [1] goes to the paragraph"
    assert set(hrefs(related, "colnato-jump")) == {"#para-7", "#para-9"}


def test_every_citation_holding_the_answer_is_a_source_with_a_link():
    cites = [citation("Alpha beta.", 4, 0, 5), citation("Alpha again.", 6, 0, 5)]
    out = render.render_answer(answer_dict(answer="Alpha", citations=cites))
    refs = re.search(r'<sup class="colnato-refs">(.*?)</sup>', out).group(1)
    assert visible_text(refs) == "[1][2]" and hrefs(refs, "colnato-ref") == ["#para-4", "#para-6"]
    assert "colnato-related" not in out


def test_links_go_to_the_quote_in_the_document():
    """With the article index, [1] names the quote's character range in its document."""
    cites = [citation("Lead. Alpha beta.", 4, 6, 11, "d:1")]
    article = render.ArticleIndex({"d": 0}, {"d:1": 100})
    out = render.render_answer(answer_dict(answer="Alpha", citations=cites), article)
    assert hrefs(out, "colnato-ref") == ["#para-4:106-111"]
    assert hrefs(out, "colnato-jump") == ["#para-4:106-111"]
    second = render.ArticleIndex({"d": 1}, {"d:1": 100})
    assert hrefs(render.render_answer(answer_dict(answer="Alpha", citations=cites), second),
                 "colnato-ref") == ["#doc2-para-4:106-111"]


def test_at_most_three_citations_are_shown():
    cites = [citation(f"Text {i}.", i, 0, 4, pid=f"d:{i}") for i in range(1, 6)]
    out = render.render_answer(answer_dict(answer="Text", citations=cites))
    assert out.count('<details class="colnato-cite">') + out.count("<li>") == render.MAX_CITATIONS_SHOWN


def test_title_and_byline_citation_links_to_the_top():
    out = render.render_answer(answer_dict(answer="Ferdinand Miracle",
                                           citations=[citation("by Ferdinand Miracle", 0, 3, 20)]))
    assert "Title and byline" in out and 'href="#article-top"' in out


def test_abstention_says_so_and_lists_related_passages_unmarked():
    cites = [citation("Related one.", 2), citation("Related two.", 5, pid="d:2")]
    out = render.render_answer(answer_dict(answer=None, abstained=True, citations=cites, confidence=0.1))
    assert render.ABSTAIN_TEXT in html.unescape(out)
    assert render.ABSTAIN_RELATED_LABEL in out and out.count("<li>") == 2
    assert "<mark" not in out and "colnato-refs" not in out and "colnato-cite" not in out
    assert render.UNCERTAIN_TEXT not in html.unescape(out)


def test_abstention_without_passages():
    out = render.render_answer(answer_dict(answer=None, abstained=True, citations=[]))
    assert render.ABSTAIN_TEXT in html.unescape(out) and "colnato-related" not in out


@pytest.mark.parametrize("question, interpreted, shown", [
    ("When was it signed?", "When was the agreement signed?", True),
    ("When was it signed?", "when was it  signed?", False),
    ("When was it signed?", None, False),
])
def test_reading_is_shown_only_when_it_differs(question, interpreted, shown):
    out = render.render_answer(answer_dict(question=question, interpreted_as=interpreted,
                                           citations=[citation("B.", 1, 0, 2)]))
    assert ("Read as:" in out) is shown


@given(st.floats(0, 1))
def test_confidence_is_words_never_a_number(confidence):
    out = render.render_answer(answer_dict(confidence=confidence, citations=[citation("B.", 1, 0, 2)]))
    assert "%" not in out and "Confidence" not in out
    assert (render.UNCERTAIN_TEXT in html.unescape(out)) is (confidence < render.UNCERTAIN_BELOW)


def test_small_talk_pending_and_error_replies_take_no_thumbs():
    for out in (render.render_small_talk("Hello!", ["Q1?", "Q2?"]), render.render_pending(),
                render.render_error("No.")):
        assert render.NO_RATING in out and tags_in(out) <= OUR_TAGS
    assert render.NO_RATING not in render.render_answer(answer_dict(citations=[citation("B.", 1, 0, 2)]))


def test_suggestions_are_links_that_ask_their_own_text():
    out = render.render_small_talk("Hi <b>", ["Who <i>?", "When?"])
    assert hrefs(out, "colnato-suggest") == [render.ASK_HREF, render.ASK_HREF]
    assert "Who &lt;i&gt;?" in out and "Hi &lt;b&gt;" in out
    assert hrefs(render.render_welcome(EXAMPLE_QUESTIONS), "colnato-suggest") == [render.ASK_HREF] * len(EXAMPLE_QUESTIONS)


# -- header and article -------------------------------------------------------------------------------
def test_article_paragraph_anchors_match_citation_numbers():
    documents = load_corpus(REPO_ROOT / "corpus")
    out = render.render_article(documents[0])
    ids = set(re.findall(r'<section class="colnato-para" id="(para-\d+)"', out))
    numbers = {p.paragraph for p in Chunker().run(documents) if p.kind == "paragraph"}
    numbers |= {p.paragraph_end for p in Chunker().run(documents) if p.paragraph_end}
    assert {f"para-{n}" for n in numbers} == ids
    assert 'id="article-top"' in out


def test_article_wraps_each_passage_sentence_with_its_document_range(web_engine):  # noqa: F811
    doc = web_engine.documents[0]
    out = render.render_article(doc, 0, render.passage_sentences(web_engine.passages, doc.doc_id))
    found = re.findall(r'<span class="colnato-sent" id="s-(\d+)-(\d+)">(.*?)</span>', out)
    assert len(found) >= len(web_engine.passages)
    for start, end, shown in found:
        assert html.unescape(shown.replace("<br>", "\n")) == doc.text[int(start):int(end)]
    # every answer span of an answered question falls on wrapped sentences
    answer = web_engine.ask(FOLLOW_UP_FIRST).to_dict()
    href = render.ArticleIndex.of(web_engine.documents, web_engine.passages).quote_href(answer["citations"][0])
    a, b = map(int, href.split(":")[1].split("-"))
    assert any(int(s) <= a < int(e) for s, e, _ in found) and doc.text[a:b] == answer["answer"]


def test_sentences_html_keeps_all_text_and_skips_overlaps():
    text = "One. Two. Three."
    out = render.sentences_html(text, 0, len(text), [(0, 4), (2, 8), (5, 9)])
    assert visible_text(out) == text
    assert re.findall(r'id="(s-\d+-\d+)"', out) == ["s-0-4", "s-5-9"]


def test_header_names_the_article_author_and_publisher():
    documents = load_corpus(REPO_ROOT / "corpus")
    out = render.render_header(documents, "Ask")
    text = visible_text(out)
    assert "one article" in text and documents[0].title in text
    assert "Ferdinand Miracle" in text and "The Innovation Times" in text
    assert "quoted" in text


def test_snippet_cuts_at_a_word():
    assert render.snippet("short") == "short"
    long = "word " * 40
    cut = render.snippet(long, 20)
    assert cut.endswith("…") and len(cut) <= 21 and "  " not in cut


# -- chat logic over the real engine ---------------------------------------------------------------------
@pytest.fixture
def feedback_log(tmp_path):
    return FeedbackLog(tmp_path / "feedback" / "feedback.jsonl")


@pytest.fixture
def controller(web_engine, feedback_log):  # noqa: F811
    return ChatController(web_engine, feedback_log)


def test_respond_adds_the_question_and_a_cited_answer(controller):
    messages, turns, box = controller.respond(ANSWERABLE, [])
    assert box == ""
    assert [m["role"] for m in messages] == ["user", "assistant"]
    assert "2017" in messages[1]["content"] and "<mark" in messages[1]["content"]
    assert turns[0]["ok"] and "2017" in turns[0]["answer"]


def test_follow_up_uses_the_earlier_questions(controller):
    _, turns, _ = controller.respond(FOLLOW_UP_FIRST, [])
    messages, turns, _ = controller.respond(FOLLOW_UP_SECOND, turns)
    assert len(messages) == 4
    assert "Read as:" in messages[3]["content"]
    assert turns[1]["interpreted_as"]


def test_the_chat_is_rendered_from_the_server_side_turns_only(controller):
    # The events take no chat value from the client: the messages come from the session's turns.
    _, turns, _ = controller.respond(FOLLOW_UP_FIRST, [])
    messages, turns, _ = controller.respond(ANSWERABLE, turns)
    assert chat_messages(turns) == messages
    assert [m["content"] for m in messages[1::2]] == [t["reply"] for t in turns]


def test_invalid_question_becomes_the_bots_reply(controller):
    messages, turns, _ = controller.respond("x" * 1200, [])
    assert "limit is 1000" in messages[1]["content"] and "colnato-error" in messages[1]["content"]
    assert turns[0]["ok"] is False
    # an invalid question is not used as history for the next one
    messages, turns, _ = controller.respond(ANSWERABLE, turns)
    assert turns[1]["ok"] and turns[1]["interpreted_as"] in (None, ANSWERABLE)


def test_oversized_question_is_refused_before_the_engine_and_kept_short(web_engine, feedback_log):  # noqa: F811
    class CountingEngine:
        documents, settings, passages = web_engine.documents, web_engine.settings, web_engine.passages
        calls = 0

        def ask(self, *args, **kwargs):
            CountingEngine.calls += 1
            return web_engine.ask(*args, **kwargs)

    controller = ChatController(CountingEngine(), feedback_log)
    messages, turns, box = controller.respond("why? " * 2_000_000, [])   # 10 MB
    assert CountingEngine.calls == 0
    assert box == "why? " * 2_000_000, "the refused text stays in the question box"
    assert "limit is 1000" in messages[1]["content"]
    assert len(turns[0]["question"]) <= QUESTION_DISPLAY_CHARS + 1
    assert controller.record_feedback(turns, 1, True) is None and feedback_log.read() == []


def test_a_session_keeps_at_most_max_turns(web_engine, feedback_log):  # noqa: F811
    controller = ChatController(web_engine, feedback_log, max_turns=3)
    turns: list = []
    for i in range(5):
        messages, turns, _ = controller.respond(f"{ANSWERABLE} ({i})", turns)
    assert len(turns) == 3 and len(messages) == 6
    assert turns[-1]["question"].endswith("(4)")


def test_blank_question_changes_nothing(controller):
    assert controller.respond("   ", []) == ([], [], "")


def test_payload_question_is_shown_as_text(controller):
    messages, _, _ = controller.respond(XSS_PAYLOAD, [])
    assert "<img" not in messages[0]["content"] and "<script" not in messages[0]["content"]
    assert tags_in(messages[1]["content"]) <= OUR_TAGS


def test_off_topic_reply_says_the_article_doesnt_say(controller):
    messages, turns, _ = controller.respond(OFF_TOPIC, [])
    assert render.ABSTAIN_TEXT in html.unescape(messages[1]["content"])
    assert turns[0]["abstained"] is True


def test_retry_is_offered_only_after_a_failure_and_asks_again(web_engine, feedback_log):  # noqa: F811
    class FlakyEngine:
        documents, settings, passages = web_engine.documents, web_engine.settings, web_engine.passages
        fail = True

        def ask(self, *args, **kwargs):
            if FlakyEngine.fail:
                raise RuntimeError("a bug")
            return web_engine.ask(*args, **kwargs)

    controller = ChatController(FlakyEngine(), feedback_log)
    _, turns, _ = controller.respond(ANSWERABLE, [])
    assert not turns[0]["ok"] and controller.can_retry(turns)
    assert "Retry" in messages_text(chat_messages(turns))
    FlakyEngine.fail = False
    started, accepted = controller.retry(turns)
    assert accepted and len(started) == 1 and started[0]["pending"]
    done = controller.finish(started)
    assert done[0]["ok"] and "2017" in done[0]["answer"]
    assert not controller.can_retry(done), "an answer is not retried: the engine would give it again"
    assert controller.retry(done) == (done, False)
    assert controller.retry([]) == ([], False)


def messages_text(messages) -> str:
    return " ".join(visible_text(m["content"]) for m in messages)


def test_start_shows_the_question_pending_then_finish_answers_it(controller):
    started, accepted = controller.start(ANSWERABLE, [])
    assert accepted and started[-1]["pending"] and "colnato-pending" in chat_messages(started)[-1]["content"]
    assert chat_messages(started)[0]["content"] == render.render_question(ANSWERABLE)
    done = controller.finish(started)
    assert not done[-1].get("pending") and done[-1]["ok"]
    # a pending turn left by an interrupted answer is dropped by the next question
    again, accepted = controller.start(FOLLOW_UP_FIRST, started)
    assert accepted and [t["question"] for t in again] == [FOLLOW_UP_FIRST]
    assert controller.start("  ", done) == (done, False)


@pytest.mark.parametrize("text", ["hi", "Hello there!", "thanks a lot", "bye", "who are you?", "ok"])
def test_small_talk_gets_a_short_reply_without_the_engine(web_engine, feedback_log, text):  # noqa: F811
    class NoEngine:
        documents, settings, passages = web_engine.documents, web_engine.settings, web_engine.passages

        def ask(self, *args, **kwargs):
            raise AssertionError("small talk must not reach the engine")

    messages, turns, _ = ChatController(NoEngine(), feedback_log).respond(text, [])
    reply = messages[1]["content"]
    assert "colnato-smalltalk" in reply and render.ABSTAIN_TEXT not in html.unescape(reply)
    assert reply.count('class="colnato-suggest"') >= 2
    assert turns[0]["ok"] is False, "small talk is neither history nor rated"


@pytest.mark.parametrize("text", [ANSWERABLE, FOLLOW_UP_SECOND, "hi, who signed it?", "Who wrote the article?",
                                  "hello world war two", "thanks to whom did it happen?", "What is the ITPP?"])
def test_questions_are_not_small_talk(text):
    assert SmallTalk().run(text) is None


def test_small_talk_kinds_and_typos():
    talk = SmallTalk()
    assert talk.run("Good morning, bot!") == "greeting"
    assert talk.run("thnaks") == "thanks"
    assert talk.run("hey, what can you do?") == "about"
    assert talk.run("") is None and talk.run("hi " * 20) is None
    assert set(REPLIES) == set(KINDS)
    with pytest.raises(ValueError, match="max_words"):
        SmallTalk(max_words=0)


def test_a_thumbs_down_reason_is_logged_with_the_answer(controller, feedback_log):
    _, turns, _ = controller.respond(ANSWERABLE, [])
    controller.record_feedback(turns, 1, False)
    controller.record_reason(turns, [1], FEEDBACK_REASONS[0])
    assert controller.record_reason(turns, 7, FEEDBACK_REASONS[1]) is None
    records = feedback_log.read()
    assert [(r["liked"], r["reason"]) for r in records] == [(False, None), (False, FEEDBACK_REASONS[0])]
    assert records[1]["question"] == ANSWERABLE and "2017" in records[1]["answer"]
    with pytest.raises(ValueError, match="valid:"):
        controller.record_reason(turns, 1, "made up")


def test_clear_empties_the_conversation(controller):
    assert controller.clear() == ([], [], "[]")


def test_like_and_dislike_are_recorded(controller, feedback_log):
    _, turns, _ = controller.respond(ANSWERABLE, [])
    _, turns, _ = controller.respond(OFF_TOPIC, turns)
    _, turns, _ = controller.respond("why\x00?", turns)      # refused: never logged
    controller.record_feedback(turns, 1, True)
    controller.record_feedback(turns, 3, False)
    controller.record_feedback(turns, 3, "")        # vote withdrawn
    controller.record_feedback(turns, 5, True)      # the refused question: ignored
    controller.record_feedback(turns, 99, True)     # unknown message: ignored
    records = feedback_log.read()
    assert [r["liked"] for r in records] == [True, False, None]
    assert records[0]["question"] == ANSWERABLE and "2017" in records[0]["answer"]
    assert records[1]["abstained"] is True and records[1]["answer"] is None
    assert all(r["timestamp"] for r in records)


# -- feedback log --------------------------------------------------------------------------------------
@pytest.mark.parametrize("raw, value", [(True, True), (False, False), ("Like", True), ("Dislike", False),
                                        ("", None), (None, None)])
def test_liked_value(raw, value):
    assert liked_value(raw) is value


def test_feedback_log_appends_whole_lines_under_concurrency(feedback_log):
    def write(worker: int) -> None:
        for i in range(50):
            feedback_log.append(FeedbackRecord(timestamp=FeedbackRecord.now(), question=f"q{worker}-{i} " + "é" * 300,
                                               answer="a", liked=bool(i % 2), abstained=False))

    threads = [threading.Thread(target=write, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = feedback_log.path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 400
    assert len({json.loads(line)["question"] for line in lines}) == 400


def test_feedback_path_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("COLNATO_QA_FEEDBACK", str(tmp_path / "x.jsonl"))
    assert FeedbackLog().path == tmp_path / "x.jsonl"
    monkeypatch.delenv("COLNATO_QA_FEEDBACK")
    default = FeedbackLog().path
    assert default.is_absolute() and not default.is_relative_to(REPO_ROOT), "the default is outside the checkout"


def test_the_short_answer_is_bold_in_the_answer_and_inside_the_marked_quote():
    text = "Intro. It was signed in <2013> by both. Outro."
    start, end = text.index("It"), text.index(" Outro")
    short = {"text": "<2013>", "start": text.index("<2013>"), "end": text.index("<2013>") + 6}
    a = answer_dict(answer=text[start:end], citations=[citation(text, start=start, end=end)])
    a["short_answer"] = short
    html = render.render_answer(a)
    strong = re.findall(r"<strong>(.*?)</strong>", html)
    assert strong and all(s == "&lt;2013&gt;" for s in strong)
    assert len(strong) == 2, "once in the answer line, once in the source's quote"
    for mark in re.findall(r'<mark class="colnato-mark">(.*?)</mark>', html):
        assert "<strong>&lt;2013&gt;</strong>" in mark


@pytest.mark.parametrize("short", [None, {"text": "x", "start": 0, "end": 1}, {"text": "y", "start": 5, "end": 999}])
def test_a_short_answer_outside_the_quote_is_not_shown(short):
    text = "Intro. It was signed in 2013 by both. Outro."
    start, end = text.index("It"), text.index(" Outro")
    a = answer_dict(answer=text[start:end], citations=[citation(text, start=start, end=end)])
    a["short_answer"] = short
    assert "<strong>" not in render.render_answer(a)


# -- the answer fields of issue 17: verdict, confident short answer, the engine's own reply ----------
def _answered(**extra) -> dict:
    text = "Intro. It was signed in 2013 by both. Outro."
    start, end = text.index("It"), text.index(" Outro")
    a = answer_dict(answer=text[start:end], citations=[citation(text, start=start, end=end)])
    a.update(extra)
    return a


@pytest.mark.parametrize("verdict, lead", [("yes", "Yes"), ("no", "No")])
def test_a_verdict_leads_the_answer_in_bold_before_the_quote(verdict, lead):
    html = render.render_answer(_answered(verdict=verdict))
    answer = re.search(r'<p class="colnato-answer">(.*?)</p>', html).group(1)
    assert answer.startswith(f'<strong class="colnato-verdict">{lead}</strong>. It was signed in 2013')


@pytest.mark.parametrize("verdict", [None, "maybe", "<b>yes</b>"])
def test_no_verdict_no_lead(verdict):
    html = render.render_answer(_answered(verdict=verdict))
    assert "colnato-verdict" not in html


def test_an_abstention_shows_no_verdict():
    html = render.render_answer(answer_dict(answer=None, abstained=True) | {"verdict": "yes"})
    assert "colnato-verdict" not in html and render.ABSTAIN_TEXT in visible_text(html)


def test_only_what_short_answer_holds_is_bold():
    text = "Intro. It was signed in 2013 by both. Outro."
    short = {"text": "2013", "start": text.index("2013"), "end": text.index("2013") + 4, "confidence": 0.9}
    assert re.findall(r"<strong>(.*?)</strong>", render.render_answer(_answered(short_answer=short))) == ["2013", "2013"]
    # not confident: the engine leaves short_answer null, and nothing is bold
    assert "<strong>" not in render.render_answer(_answered(short_answer=None))


def test_the_engines_reply_is_shown_instead_of_a_quote_with_its_suggestions():
    a = answer_dict(question="¿Cuándo se firmó el acuerdo?", answer="It was signed in 2013.",
                    citations=[citation("It was signed in 2013.", start=0, end=22)])
    a.update(reply="Solo respondo preguntas en inglés. <b>Pruebe</b>:", language="es", reason="other_language",
             suggestions=["When was the agreement signed?", "<img src=x>"], abstained=True)
    html = render.render_answer(a)
    assert 'lang="es"' in html and "Solo respondo preguntas en inglés." in html
    assert "It was signed in 2013" not in html and "<mark" not in html, "never an English quote"
    assert "colnato-ref" not in html and render.ABSTAIN_TEXT not in visible_text(html)
    links = re.findall(r'<a class="colnato-suggest" href="#ask">(.*?)</a>', html)
    assert links == ["When was the agreement signed?", "&lt;img src=x&gt;"]
    assert "<b>" not in html and "<img" not in html


def test_a_reply_with_an_odd_language_code_is_marked_english():
    html = render.render_answer(answer_dict(answer=None, abstained=True) | {"reply": "Hm?", "language": 'x" onload="'})
    assert 'lang="en"' in html and "onload" not in html


def test_the_header_says_the_page_reads_english():
    doc = parse_document("T: sub\nby A\n\nP one.\n")
    assert "answer questions in English" in render.render_header([doc], "Ask")


def test_an_answer_has_a_copy_link_and_the_next_questions():
    html = render.render_answer(_answered(), next_questions=["Who signed it?", "Why?"])
    assert '<a class="colnato-copy" href="#copy" role="button">' in html
    nxt = re.search(r'<div class="colnato-next">(.*?)</div>', html).group(1)
    assert re.findall(r'<a class="colnato-suggest" href="#ask">(.*?)</a>', nxt) == ["Who signed it?", "Why?"]
    assert "colnato-copy" not in render.render_answer(answer_dict(answer=None, abstained=True))


def test_paragraph_numbers_are_out_of_the_tab_order(web_engine):  # noqa: F811
    doc = web_engine.documents[0]
    html = render.render_article(doc, 0, render.passage_sentences(web_engine.passages, doc.doc_id))
    numbers = re.findall(r'<a class="colnato-para-n"[^>]*>', html)
    assert numbers and all('tabindex="-1"' in n for n in numbers)


# -- next questions ------------------------------------------------------------------------------------
def test_next_questions_come_from_the_cited_paragraph_then_its_neighbours():
    from colnato_qa.components.next_questions import BankQuestion, NextQuestions

    bank = [BankQuestion("A5?", "d", 5), BankQuestion("B4?", "d", 4), BankQuestion("C9?", "d", 9),
            BankQuestion("D5?", "d", 5), BankQuestion("E6?", "d", 6), BankQuestion("F5?", "x", 5)]
    nq = NextQuestions(bank)
    assert nq.run(5, "d") == ["A5?", "D5?", "B4?"]
    assert nq.run(5, "d", asked=["a5"]) == ["D5?", "B4?", "E6?"]
    assert nq.run(9, "d") == [], "one question is not worth a list"
    assert nq.run(None) == []


def test_the_question_bank_holds_only_train_and_dev_questions_the_article_answers():
    from colnato_qa.components.next_questions import read_bank

    bank = read_bank()
    assert len(bank) >= 40
    test_ids = set()
    for path in (REPO_ROOT / "corpus/gold/natural/test.jsonl", REPO_ROOT / "corpus/gold/colnato_gold.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            if item.get("split") == "test" or path.name == "test.jsonl":
                test_ids.add(item["question"].casefold().rstrip("? "))
    assert all(q.source.split(":")[0] in ("colnato_gold/dev", "natural/train") for q in bank)
    assert not {q.question.casefold().rstrip("? ") for q in bank} & test_ids
    assert len({q.paragraph for q in bank}) >= 15, "most paragraphs have questions"


def test_an_answer_offers_next_questions_about_its_paragraph(controller):
    _, turns, _ = controller.respond(FOLLOW_UP_FIRST, [])
    links = re.findall(r'<div class="colnato-next">.*?</div>', turns[0]["reply"])
    assert links and 2 <= links[0].count("class=\"colnato-suggest\"") <= 3
    assert FOLLOW_UP_FIRST not in links[0]
    _, off, _ = controller.respond(OFF_TOPIC, [])
    assert "colnato-next" not in off[0]["reply"]


# -- the conversation kept in the browser -----------------------------------------------------------------
def test_the_conversation_is_an_ask_request_history(controller):
    _, turns, _ = controller.respond(FOLLOW_UP_FIRST, [])
    _, turns, _ = controller.respond("hello", turns)           # small talk is not history
    kept = controller.conversation(turns)
    assert json.loads(kept) == [{"role": "user", "content": FOLLOW_UP_FIRST}]
    assert controller.read_conversation(kept) == [FOLLOW_UP_FIRST]


def test_a_new_replica_answers_a_follow_up_from_the_browsers_conversation(web_engine, feedback_log):  # noqa: F811
    first = ChatController(web_engine, feedback_log)
    _, turns, _ = first.respond(FOLLOW_UP_FIRST, [])
    kept = first.conversation(turns)
    other = ChatController(web_engine, feedback_log)            # another process: no turns of this session
    restored, problem = other.sync([], kept)
    assert problem is None and [t["question"] for t in restored] == [FOLLOW_UP_FIRST]
    assert restored[0]["reply"] == turns[0]["reply"], "the reply is rebuilt as it was"
    started, accepted = other.start(FOLLOW_UP_SECOND, restored)
    done = other.finish(started)
    assert accepted and done[-1]["interpreted_as"] not in (None, FOLLOW_UP_SECOND), "read as a follow-up"
    assert "2013" in done[-1]["answer"]


@pytest.mark.parametrize("kept, words", [
    ("not json", "not valid JSON"),
    ('{"question": "x"}', "history must be a list"),
    ('[{"role": "system", "content": "x"}]', "role"),
    ('[{"role": "user", "content": "x", "extra": 1}]', "exactly the keys"),
    ("[" + ",".join(['"q"'] * 101) + "]", "the limit is 100"),
])
def test_a_bad_conversation_is_refused_with_the_ask_request_message(controller, kept, words):
    turns, problem = controller.sync([], kept)
    assert turns == [] and problem and words in problem


def test_the_conversation_is_cut_to_its_byte_budget(web_engine, feedback_log):  # noqa: F811
    small = ChatController(web_engine, feedback_log, max_conversation_bytes=200)
    turns = [{"question": f"Question number {i} about the article?", "ok": True} for i in range(20)]
    kept = json.loads(small.conversation(turns))
    assert 0 < len(kept) < 20 and kept[-1]["content"] == "Question number 19 about the article?"
    assert len(small.conversation(turns).encode("utf-8")) <= 200


# -- the answer described once (colnato_qa/answer_model.py) -------------------------------------------------
@pytest.mark.parametrize("question", [ANSWERABLE, FOLLOW_UP_FIRST, OFF_TOPIC, "Is Colombia a member of NATO?"])
def test_every_engine_answer_is_an_answer_model_exactly(web_engine, question):  # noqa: F811
    from colnato_qa.answer_model import AnswerModel

    AnswerModel.model_validate(web_engine.ask(question).to_dict())      # extra fields forbidden, none missing


def test_the_renderer_reads_only_fields_of_the_answer_model():
    import inspect

    from colnato_qa.answer_model import AnswerModel, CitationModel, ShortAnswerModel

    source = inspect.getsource(render)
    read = set(re.findall(r'(?:answer|a|c|citation|first|short)\.get\("(\w+)"', source))
    read |= set(re.findall(r'answer\["(\w+)"\]', source))
    known = set(AnswerModel.model_fields) | set(CitationModel.model_fields) | set(ShortAnswerModel.model_fields)
    assert read and read <= known, read - known


def test_no_conversation_from_the_browser_keeps_the_sessions_turns(controller):
    _, turns, _ = controller.respond(FOLLOW_UP_FIRST, [])
    assert controller.sync(turns, None) == (turns, None)
    assert controller.sync(turns, "[]") == ([], None), "an empty conversation (New conversation) is empty"


def test_the_pages_css_and_script_name_every_shared_id_and_no_python_object():
    from colnato_qa.web import ids, styles

    css, head = styles.css(), styles.head()
    assert " object at 0x" not in css + head and "<built-in" not in css + head
    assert json.loads(re.search(r"var IDS = (\{.*?\});", head).group(1)) == ids.IDS
    for name in ("chat", "question", "controls", "clear", "reasons", "article"):
        assert f"#{ids.IDS[name]}" in css, name
    script = (REPO_ROOT / "src/colnato_qa/web/templates/chat.js").read_text(encoding="utf-8")
    assert "colnato-question" not in script and "colnato-chat" not in script, "the script reads the ids from IDS"
