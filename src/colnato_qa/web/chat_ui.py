"""The chat page: a Gradio Blocks app over one shared ``QAEngine``.

Layout: a header saying what the bot knows; the chat (answers quoted from the article with
numbered citations that open the whole paragraph, the answer marked); the question box with
Ask / Retry / Clear and example questions; and the whole article with numbered paragraphs
(``#para-5``) that citations jump to. Columns stack at phone width.

State: the conversation is kept per browser session in ``gr.State`` (Gradio's session state);
the server holds nothing else per user. The logic lives in ``ChatController`` (plain Python,
testable without a browser); ``build_chat_ui`` only wires it to components.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import gradio as gr

from ..errors import InvalidHistoryError, InvalidQuestionError
from . import limits, render
from .feedback import FeedbackLog, FeedbackRecord, liked_value

log = logging.getLogger(__name__)



def page_title(documents: Sequence[Any]) -> str:
    """"Ask the article: <its title>" (the part before a subtitle's colon), from the corpus metadata."""
    if len(documents) != 1:
        return "Ask the articles"
    return "Ask the article: " + documents[0].title.split(":")[0].strip()


CHAT_API_NAME = "chat"
EXAMPLE_QUESTIONS = [
    "When was it announced that Colombia would become a NATO global partner?",
    "What agreement did Colombia sign in 2013?",
    "Who was Juan Manuel Santos?",
    "Who wrote the article?",
]
PLACEHOLDER = "Ask a question about the article, e.g. “When did Colombia become a NATO global partner?”"
UNEXPECTED_ERROR = "Sorry, something went wrong while answering. The error has been logged; please try again."
# Questions longer than this are shown shortened in the chat (the engine still gets all of it).
QUESTION_DISPLAY_CHARS = 400

Message = dict[str, Any]
Turn = dict[str, Any]


def display_question(question: str) -> str:
    q = question.strip()
    return q if len(q) <= QUESTION_DISPLAY_CHARS else q[:QUESTION_DISPLAY_CHARS].rstrip() + "…"


class ChatController:
    """What the chat page does, independent of Gradio's components.

    ``turns`` (one dict per question asked, in order) is the session's conversation; the chat
    shows each turn as two messages, the user's question then the bot's reply.
    """

    def __init__(self, engine: Any, feedback: FeedbackLog) -> None:
        self.engine = engine
        self.feedback = feedback
        self.doc_indexes = {doc.doc_id: i for i, doc in enumerate(engine.documents)}

    # -- asking ------------------------------------------------------------------------------
    def answer_turn(self, question: str, turns: Sequence[Turn]) -> tuple[str, Turn]:
        """(reply HTML, turn record) for ``question`` asked after ``turns``."""
        history = [t["question"] for t in turns if t.get("ok")]
        history = history[max(0, len(history) - self.engine.settings.max_history_turns):]  # the most recent ones
        try:
            answer = self.engine.ask(question, history=history or None).to_dict()
        except (InvalidQuestionError, InvalidHistoryError) as exc:
            return render.render_error(str(exc)), {"question": question, "ok": False, "error": str(exc)}
        except Exception:  # a bug must not reach the user as a traceback: log it, say sorry
            log.exception("answering %r failed", question[:200])
            return render.render_error(UNEXPECTED_ERROR), {"question": question, "ok": False, "error": "internal"}
        top = answer["citations"][0] if answer["citations"] else {}
        turn = {
            "question": question,
            "ok": True,
            "answer": answer["answer"],
            "abstained": answer["abstained"],
            "confidence": answer["confidence"],
            "interpreted_as": answer["interpreted_as"],
            "passage_id": top.get("passage_id"),
        }
        return render.render_answer(answer, self.doc_indexes), turn

    def respond(self, question: Any, messages: list[Message] | None, turns: list[Turn] | None):
        """Ask ``question``: returns (messages, turns, new text of the question box)."""
        messages = list(messages or [])
        turns = list(turns or [])
        if not isinstance(question, str) or not question.strip():
            return messages, turns, ""
        reply, turn = self.answer_turn(question, turns)
        messages += [
            {"role": "user", "content": render.render_question(display_question(question))},
            {"role": "assistant", "content": reply},
        ]
        return messages, turns + [turn], ""

    def retry(self, messages: list[Message] | None, turns: list[Turn] | None):
        """Ask the last question again (its old reply is replaced)."""
        messages = list(messages or [])
        turns = list(turns or [])
        if not turns:
            return messages, turns, ""
        last = turns[-1]
        return self.respond(last["question"], messages[:-2], turns[:-1])

    @staticmethod
    def clear():
        return [], [], ""

    # -- feedback ----------------------------------------------------------------------------
    def record_feedback(self, turns: list[Turn] | None, message_index: Any, liked: Any) -> FeedbackRecord | None:
        """Append a feedback record for the reply at ``message_index`` of the chat."""
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
        record = FeedbackRecord(
            timestamp=FeedbackRecord.now(),
            question=turn["question"],
            answer=turn.get("answer"),
            liked=liked_value(liked),
            abstained=bool(turn.get("abstained", not turn.get("ok"))),
            interpreted_as=turn.get("interpreted_as"),
            confidence=turn.get("confidence"),
            passage_id=turn.get("passage_id"),
        )
        self.feedback.append(record)
        return record


def _first_document(engine: Any):
    documents = engine.documents
    if not documents:
        raise ValueError("The engine holds no documents; the chat page needs the article.")
    return documents


def build_chat_ui(engine: Any, feedback: FeedbackLog) -> gr.Blocks:
    """The Gradio Blocks of the chat page, queue configured (mount it with gr.mount_gradio_app)."""
    controller = ChatController(engine, feedback)
    documents = _first_document(engine)

    def respond(question: str, messages: list[Message], turns: list[Turn]):
        return controller.respond(question, messages, turns)

    def retry(messages: list[Message], turns: list[Turn]):
        return controller.retry(messages, turns)

    def clear():
        return controller.clear()

    def like(turns: list[Turn], data: gr.LikeData) -> None:
        controller.record_feedback(turns, data.index, data.liked)

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
                        scale=5,
                        min_width=160,
                        autofocus=False,
                    )
                    ask = gr.Button("Ask", variant="primary", scale=1, min_width=72, elem_id="colnato-ask")
                with gr.Row(elem_id="colnato-controls"):
                    retry_button = gr.Button("Retry", size="sm", elem_id="colnato-retry")
                    clear_button = gr.Button("Clear", size="sm", elem_id="colnato-clear")
                examples = gr.Examples(
                    examples=[[q] for q in EXAMPLE_QUESTIONS],
                    inputs=[question],
                    label="Example questions (click one to ask it)",
                    examples_per_page=len(EXAMPLE_QUESTIONS),
                )
            with gr.Column(scale=2, min_width=300):
                for i, doc in enumerate(documents):
                    gr.HTML(render.render_article(doc, i), label="The article",
                            elem_id="colnato-article" if i == 0 else f"colnato-article-{i + 1}", js_on_load=None)

        io = dict(inputs=[question, chatbot, turns], outputs=[chatbot, turns, question])
        question.submit(respond, **io, api_name=CHAT_API_NAME)
        ask.click(respond, **io, api_visibility="private")
        examples.load_input_event.then(respond, **io, api_visibility="private")
        retry_button.click(retry, [chatbot, turns], [chatbot, turns, question], api_visibility="private")
        chatbot.retry(retry, [chatbot, turns], [chatbot, turns, question], api_visibility="private")
        clear_button.click(clear, None, [chatbot, turns, question], queue=False, api_visibility="private")
        chatbot.clear(clear, None, [chatbot, turns, question], queue=False, api_visibility="private")
        chatbot.like(like, [turns], None, queue=False, api_visibility="private")

    blocks.queue(
        api_open=False,
        max_size=limits.CHAT_QUEUE_MAX_SIZE,
        default_concurrency_limit=limits.CHAT_CONCURRENCY_LIMIT,
    )
    return blocks
