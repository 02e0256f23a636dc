"""The chat page: a Gradio Blocks app over one shared ``QAEngine``.

Layout: a header saying what the bot knows; the chat (answers quoted from the article with
numbered citations that open the whole paragraph, the answer marked); the question box with
Ask / Retry / Clear and example questions; and the whole article with numbered paragraphs
(``#para-5``) that citations jump to. Columns stack at phone width.

Security by design (docs/security.md): the conversation lives on the server, in ``gr.State``;
the Chatbot is an output only; the one client-supplied value any event takes is the question
box's string (the example buttons take nothing: each knows its question). No event has a named
API: the page calls them through the queue, and ``/api/ask`` is the programmatic door. The
logic lives in ``ChatController`` (plain Python, testable without a browser); ``build_chat_ui``
only wires it to components.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import gradio as gr

from ..errors import InvalidHistoryError, InvalidQuestionError
from ..request import AskRequest
from . import limits, render
from .feedback import FeedbackLog, FeedbackRecord, liked_value

log = logging.getLogger(__name__)



def page_title(documents: Sequence[Any]) -> str:
    """"Ask the article: <its title>" (the part before a subtitle's colon), from the corpus metadata."""
    if len(documents) != 1:
        return "Ask the articles"
    return "Ask the article: " + documents[0].title.split(":")[0].strip()


EXAMPLE_QUESTIONS = [
    "When was it announced that Colombia would become a NATO global partner?",
    "What agreement did Colombia sign in 2013?",
    "Who was Juan Manuel Santos?",
    "Who wrote the article?",
]
PLACEHOLDER = "Ask a question about the article, e.g. “When did Colombia become a NATO global partner?”"
UNEXPECTED_ERROR = "Sorry, something went wrong while answering. The error has been logged; please try again."
# Refused questions are kept (and shown) cut to this many characters.
QUESTION_DISPLAY_CHARS = 400

Message = dict[str, Any]
Turn = dict[str, Any]


def display_question(question: str) -> str:
    q = question.strip()
    return q if len(q) <= QUESTION_DISPLAY_CHARS else q[:QUESTION_DISPLAY_CHARS].rstrip() + "…"


def chat_messages(turns: Sequence[Turn]) -> list[Message]:
    """What the Chatbot shows for ``turns``: the question, then the reply, for each turn."""
    messages: list[Message] = []
    for turn in turns:
        messages.append({"role": "user", "content": render.render_question(display_question(turn["question"]))})
        messages.append({"role": "assistant", "content": turn["reply"]})
    return messages


class ChatController:
    """What the chat page does, independent of Gradio's components.

    ``turns`` (one dict per question asked, in order, at most ``max_turns``) is the session's
    conversation, kept on the server; the chat shows each turn as two messages, the user's
    question then the bot's reply. Every method returns a new list and never changes its input.
    """

    def __init__(self, engine: Any, feedback: FeedbackLog, max_turns: int = limits.CHAT_MAX_TURNS) -> None:
        if max_turns < 1:
            raise ValueError(f"max_turns must be at least 1, got {max_turns}")
        self.engine = engine
        self.feedback = feedback
        self.max_turns = max_turns
        self.max_chars = int(engine.settings.max_question_chars)
        self.max_history_turns = int(engine.settings.max_history_turns)
        self.doc_indexes = {doc.doc_id: i for i, doc in enumerate(engine.documents)}

    # -- asking ------------------------------------------------------------------------------
    def answer_turn(self, question: str, turns: Sequence[Turn]) -> Turn:
        """The turn record (reply HTML included) for ``question`` asked after ``turns``."""
        try:  # the engine's own rule (AskRequest), checked before any work: over-long questions stop here
            question = AskRequest.parse(question, max_question_chars=self.max_chars).question
        except InvalidQuestionError as exc:
            return {"question": display_question(question), "ok": False, "retryable": False,
                    "reply": render.render_error(str(exc))}
        history = [t["question"] for t in turns if t.get("ok")]
        history = history[max(0, len(history) - self.max_history_turns):]  # the most recent ones
        try:
            answer = self.engine.ask(question, history=history or None).to_dict()
        except (InvalidQuestionError, InvalidHistoryError) as exc:
            return {"question": question, "ok": False, "retryable": False, "reply": render.render_error(str(exc))}
        except Exception:  # a bug must not reach the user as a traceback: log it, say sorry
            log.exception("answering %r failed", question[:200])
            return {"question": question, "ok": False, "retryable": True, "reply": render.render_error(UNEXPECTED_ERROR)}
        top = answer["citations"][0] if answer["citations"] else {}
        return {
            "question": question,
            "ok": True,
            "retryable": True,
            "answer": answer["answer"],
            "abstained": answer["abstained"],
            "confidence": answer["confidence"],
            "interpreted_as": answer["interpreted_as"],
            "passage_id": top.get("passage_id"),
            "reply": render.render_answer(answer, self.doc_indexes),
        }

    def respond(self, question: Any, turns: Sequence[Turn] | None):
        """Ask ``question``: returns (chat messages, turns, new text of the question box)."""
        turns = list(turns or [])
        if not isinstance(question, str) or not question.strip():
            return chat_messages(turns), turns, ""
        turns = (turns + [self.answer_turn(question, turns)])[-self.max_turns:]
        return chat_messages(turns), turns, ""

    def retry(self, turns: Sequence[Turn] | None):
        """Ask the last question again (its old reply is replaced); a refused question stays as it is."""
        turns = list(turns or [])
        if not turns or not turns[-1].get("retryable"):
            return chat_messages(turns), turns, ""
        return self.respond(turns[-1]["question"], turns[:-1])

    @staticmethod
    def clear():
        return [], [], ""

    # -- feedback ----------------------------------------------------------------------------
    def record_feedback(self, turns: Sequence[Turn] | None, message_index: Any, liked: Any) -> FeedbackRecord | None:
        """Append a feedback record for the reply at ``message_index`` of the chat; only
        answered turns are recorded (a refused question is never written to the log)."""
        turns = list(turns or [])
        if isinstance(message_index, (list, tuple)):
            message_index = message_index[0] if message_index else None
        if not isinstance(message_index, int) or isinstance(message_index, bool):
            return None
        turn_index = message_index // 2
        if not 0 <= turn_index < len(turns):
            log.warning("feedback for message %s ignored: the session has %d turns", message_index, len(turns))
            return None
        turn = turns[turn_index]
        if not turn.get("ok"):
            return None
        record = FeedbackRecord(
            timestamp=FeedbackRecord.now(),
            question=turn["question"],
            answer=turn.get("answer"),
            liked=liked_value(liked),
            abstained=bool(turn.get("abstained")),
            interpreted_as=turn.get("interpreted_as"),
            confidence=turn.get("confidence"),
            passage_id=turn.get("passage_id"),
        )
        self.feedback.append(record)
        return record


def _documents(engine: Any):
    documents = engine.documents
    if not documents:
        raise ValueError("The engine holds no documents; the chat page needs the article.")
    return documents


def _like_payload(event: gr.EventData) -> tuple[Any, Any]:
    """(index, liked) of a like event, whatever the client sent (missing keys are None)."""
    data = getattr(event, "_data", None)
    if not isinstance(data, dict):
        return None, None
    return data.get("index"), data.get("liked")


def build_chat_ui(engine: Any, feedback: FeedbackLog) -> gr.Blocks:
    """The Gradio Blocks of the chat page, queue configured (mount it with gr.mount_gradio_app)."""
    controller = ChatController(engine, feedback)
    documents = _documents(engine)

    def respond(question: str, turns: list[Turn]):
        return controller.respond(question, turns)

    def ask_example(question: str):
        def ask(turns: list[Turn]):
            return controller.respond(question, turns)
        return ask

    def retry(turns: list[Turn]):
        return controller.retry(turns)

    def clear():
        return controller.clear()

    def like(turns: list[Turn], event: gr.EventData) -> None:
        index, liked = _like_payload(event)
        controller.record_feedback(turns, index, liked)

    title = page_title(documents)
    with gr.Blocks(title=title, fill_width=False) as blocks:
        turns = gr.State([])
        gr.HTML(render.render_header(documents, title), elem_id="colnato-header", js_on_load=None)
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=320):
                chatbot = gr.Chatbot(
                    label="Chat",
                    show_label=False,
                    elem_id="colnato-chat",
                    height=520,
                    layout="panel",
                    placeholder=PLACEHOLDER,
                    sanitize_html=True,
                    render_markdown=False,
                    latex_delimiters=[],
                    feedback_options=("Like", "Dislike"),
                    buttons=[],          # "copy" would copy the reply's HTML source
                    group_consecutive_messages=False,
                    allow_tags=False,
                )
                with gr.Row(equal_height=True):
                    question = gr.Textbox(
                        placeholder="Ask about the article…",
                        show_label=False,
                        elem_id="colnato-question",
                        lines=1,
                        max_lines=4,
                        max_length=int(engine.settings.max_question_chars),
                        scale=5,
                        min_width=160,
                        autofocus=False,
                    )
                    ask = gr.Button("Ask", variant="primary", scale=1, min_width=72, elem_id="colnato-ask")
                with gr.Row(elem_id="colnato-controls"):
                    retry_button = gr.Button("Retry", size="sm", elem_id="colnato-retry")
                    clear_button = gr.Button("Clear", size="sm", elem_id="colnato-clear")
                gr.Markdown("Example questions (click one to ask it)", elem_id="colnato-examples-label")
                with gr.Row(elem_id="colnato-examples"):
                    example_buttons = [(gr.Button(q, size="sm", variant="secondary"), q) for q in EXAMPLE_QUESTIONS]
            with gr.Column(scale=2, min_width=300):
                for i, doc in enumerate(documents):
                    gr.HTML(render.render_article(doc, i), label="The article",
                            elem_id="colnato-article" if i == 0 else f"colnato-article-{i + 1}", js_on_load=None)

        # Every event: queued, no named API, and no client-supplied value but the question box's text.
        private = {"api_visibility": "private", "queue": True}
        shown = [chatbot, turns, question]
        question.submit(respond, [question, turns], shown, **private)
        ask.click(respond, [question, turns], shown, **private)
        for button, example in example_buttons:
            button.click(ask_example(example), [turns], shown, **private)
        retry_button.click(retry, [turns], shown, **private)
        chatbot.retry(retry, [turns], shown, **private)
        clear_button.click(clear, None, shown, **private)
        chatbot.clear(clear, None, shown, **private)
        chatbot.like(like, [turns], None, **private)

    blocks.state_session_capacity = limits.CHAT_MAX_SESSIONS
    blocks.queue(
        api_open=False,
        max_size=limits.CHAT_QUEUE_MAX_SIZE,
        default_concurrency_limit=limits.CHAT_CONCURRENCY_LIMIT,
    )
    return blocks
