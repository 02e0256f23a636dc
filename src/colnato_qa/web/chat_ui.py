"""The chat page: a Gradio Blocks app over one shared ``QAEngine``.

Layout: a header saying what the bot knows; the chat (empty, it shows example questions to
click; answers are quoted from the article, with ``[1]`` links that mark the quoted sentence in
the article panel, and the cited paragraphs with the answer marked); the question box with Ask,
a characters-left counter near the limit, Clear, and Retry after a failure; a feedback line that
thanks for a vote and asks what was wrong after a thumbs down; and the whole article with
numbered paragraphs. Columns stack at phone width, where a citation opens the article as a sheet.

Asking is one generator event: the question and a typing indicator appear at once, Ask is off
until the answer replaces the indicator, and a refused question (an over-long paste too) leaves
its text in the box. After an answer come 2-3 next questions (``components.next_questions``) and
a link that copies the quote with its citation.

The conversation is kept in the browser (``gr.BrowserState``, the reader's localStorage), not in
the server: the questions asked, as the ``history`` of an ``AskRequest`` (colnato_qa/request.py),
serialised as one JSON string. Every event carries it, and it passes the same checks as
``POST /api/ask``'s body, so a reload, another replica or a restarted one answers the next
question in the light of the earlier ones and shows them again (the engine is deterministic:
the replies are rebuilt by asking again). ``gr.State`` holds only a cache of the rendered replies
for the page's session. "New conversation" empties both.

Security by design (docs/security.md): the Chatbot is an output only; the client-supplied values
are the question box's string and the conversation string, validated as an AskRequest
(example and suggested questions are links that put their text in the box and press Ask; the
feedback reasons are buttons that each know their reason). No event has a named API: the page
calls them through the queue, and ``/api/ask`` is the programmatic door. The logic lives in
``ChatController`` (plain Python, testable without a browser); ``build_chat_ui`` only wires it to
components.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from typing import Any

import gradio as gr

from ..components.next_questions import NextQuestions
from ..components.small_talk import SmallTalk, reply, topic
from ..errors import InvalidHistoryError, InvalidQuestionError
from ..request import AskRequest
from ..settings import Settings, default_of
from . import ids, render
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


def welcome_questions(engine: Any) -> list[str]:
    """The questions the chat page opens with: EXAMPLE_QUESTIONS (written for the project's article) when
    a query adapter was fitted for the engine's corpus, else questions any article answers (an article
    nobody has fitted for is served plainly, with no notice to the reader: build and serve tell the operator)."""
    return list(EXAMPLE_QUESTIONS) if engine.fitted_artefacts["query_adapter"] else list(engine.suggested_questions)


QUESTION_LABEL = "Your question about the article"
PLACEHOLDER = "Ask about the article…"
UNEXPECTED_ERROR = "Sorry, something went wrong while answering. The error has been logged; press Retry to ask again."
# Refused questions are kept (and shown) cut to this many characters.
QUESTION_DISPLAY_CHARS = 400
# What a thumbs down can say was wrong (each is a button; the chosen one is logged as ``reason``).
FEEDBACK_REASONS = (
    "It doesn't answer my question",
    "The article does answer this",
    "The quote is wrong or misleading",
    "Something else",
)
NEW_CONVERSATION = "New conversation"
# Where the browser keeps the conversation (localStorage). The "secret" Gradio encrypts it with is
# sent to the page in its config, so it hides nothing; it is fixed so that every replica, and the
# same one restarted, reads what another wrote.
CONVERSATION_STORAGE_KEY = "colnato-qa-conversation"
CONVERSATION_SECRET = "colnato-qa-conversation-v1"
BAD_CONVERSATION = ("The conversation kept in your browser could not be read ({problem}) and was set aside; "
                    "ask your question again.")
SKIP_TEXT = "Go to the latest answer"
THANKS_LIKE = "Thanks for your feedback!"
ASK_WHY = "Thanks. What was wrong with this answer?"
VOTE_REMOVED = "Your vote was removed."

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
    question then the bot's reply. A turn is ``ok`` when the engine answered it (only those are
    history and take feedback), ``retryable`` when asking again may help (an unexpected error),
    ``pending`` while it is being answered. Every method returns new lists and never changes its input.
    """

    def __init__(self, engine: Any, feedback: FeedbackLog, max_turns: int = default_of("chat_max_turns"),
                 small_talk: SmallTalk | None = None, suggestions: Sequence[str] = EXAMPLE_QUESTIONS,
                 next_questions: NextQuestions | None = None,
                 max_conversation_bytes: int = default_of("chat_conversation_max_bytes")) -> None:
        if max_turns < 1:
            raise ValueError(f"max_turns must be at least 1, got {max_turns}")
        self.engine = engine
        self.feedback = feedback
        self.max_turns = max_turns
        self.max_conversation_bytes = max_conversation_bytes
        self.small_talk = small_talk or SmallTalk()
        self.next_questions = next_questions or NextQuestions()
        self.suggestions = list(suggestions)
        self.max_chars = int(engine.settings.max_question_chars)
        self.max_history_turns = int(engine.settings.max_history_turns)
        self.article = render.ArticleIndex.of(engine.documents, engine.passages)
        self.topic = topic(engine.documents)

    # -- asking ------------------------------------------------------------------------------
    def parse(self, question: str) -> tuple[str, Turn | None]:
        """(the question as the engine reads it, None), or (the question as typed, the turn of its
        refusal) when the engine would refuse it (too long, control characters...)."""
        try:  # the engine's own rule (AskRequest), checked before any work: over-long questions stop here
            return AskRequest.parse(question, max_question_chars=self.max_chars).question, None
        except InvalidQuestionError as exc:
            return question, {"question": display_question(question), "ok": False, "retryable": False,
                              "reply": render.render_error(str(exc))}

    def small_talk_turn(self, question: str) -> Turn | None:
        kind = self.small_talk.run(question)
        if kind is None:
            return None
        message = reply(kind, self.topic)
        return {"question": question, "ok": False, "retryable": False, "small_talk": kind,
                "reply": render.render_small_talk(message, self.suggestions[:3])}

    def answer_turn(self, question: str, turns: Sequence[Turn]) -> Turn:
        """The turn record (reply HTML included) for ``question`` asked after ``turns``."""
        question, refused = self.parse(question)
        if refused:
            return refused
        chatted = self.small_talk_turn(question)
        if chatted:
            return chatted
        history = [{"role": "user", "content": q} for q in asked_questions(turns)]
        history = history[max(0, len(history) - self.max_history_turns):]  # the most recent ones
        try:
            answer = self.engine.ask(question, history=history or None).to_dict()
        except (InvalidQuestionError, InvalidHistoryError) as exc:
            return {"question": question, "ok": False, "retryable": False, "reply": render.render_error(str(exc))}
        except Exception:  # a bug must not reach the user as a traceback: log it, say sorry
            log.exception("answering %r failed", question[:200])
            return {"question": question, "ok": False, "retryable": True, "reply": render.render_error(UNEXPECTED_ERROR)}
        top = answer["citations"][0] if answer["citations"] else {}
        following = self.next_questions.for_answer(answer, [t["question"] for t in turns])
        return {
            "question": question,
            "ok": True,
            "retryable": False,    # the engine is deterministic: asking again gives the same answer
            "answer": answer["answer"],
            "abstained": answer["abstained"],
            "confidence": answer["confidence"],
            "interpreted_as": answer["interpreted_as"],
            "passage_id": top.get("passage_id"),
            "reply": render.render_answer(answer, self.article, next_questions=following),
        }

    def _keep(self, turns: Sequence[Turn]) -> list[Turn]:
        return list(turns)[-self.max_turns:]

    # -- the conversation kept in the browser ------------------------------------------------------
    def read_conversation(self, conversation: Any) -> list[str]:
        """The questions of the conversation string the browser sent (JSON: an AskRequest
        ``history``), oldest first; raise InvalidHistoryError saying what is wrong."""
        if conversation is None or (isinstance(conversation, str) and not conversation.strip()):
            return []
        if not isinstance(conversation, str):
            raise InvalidHistoryError("the conversation must be a JSON string")
        try:
            history = json.loads(conversation)
        except ValueError as exc:
            raise InvalidHistoryError(f"it is not valid JSON: {exc.msg}") from None
        request = AskRequest.parse("?", history, max_question_chars=self.max_chars,
                                   max_history_turns=self.max_history_turns)
        return [t.content for t in request.turns if t.role == "user"]

    def conversation(self, turns: Sequence[Turn]) -> str:
        """The conversation string the browser keeps for ``turns``: the questions the engine
        answered, as AskRequest history turns, the most recent that fit ``max_conversation_bytes``."""
        kept: list[dict[str, str]] = []
        size = 2
        for question in reversed(asked_questions(turns)[-self.max_turns:]):
            turn = {"role": "user", "content": question}
            size += len(json.dumps(turn, ensure_ascii=False).encode("utf-8")) + 1
            if size > self.max_conversation_bytes:
                break
            kept.append(turn)
        return json.dumps(kept[::-1], ensure_ascii=False)

    def restore(self, questions: Sequence[str]) -> list[Turn]:
        """The turns of a conversation, rebuilt by asking its questions again in order (the engine
        is deterministic, so the replies are the ones first given)."""
        turns: list[Turn] = []
        for question in list(questions)[-self.max_turns:]:
            turns.append(self.answer_turn(question, turns))
        return self._keep(turns)

    def sync(self, turns: Sequence[Turn] | None, conversation: Any) -> tuple[list[Turn], str | None]:
        """(the session's turns in step with the browser's conversation, a problem or None). The
        cached turns are kept when they hold the same questions, or when the browser sends none
        (None: nothing stored yet); otherwise (a reload, another replica) they are rebuilt from it.
        An unreadable conversation is set aside: (no turns, why)."""
        turns = [t for t in (turns or []) if not t.get("pending")]
        if conversation is None:      # the browser holds none yet (or the client sends none): the session's own
            return turns, None
        try:
            questions = self.read_conversation(conversation)
        except InvalidHistoryError as exc:
            return [], BAD_CONVERSATION.format(problem=str(exc).rstrip("."))
        if asked_questions(turns) == questions:
            return turns, None
        return self.restore(questions), None

    def start(self, question: Any, turns: Sequence[Turn] | None) -> tuple[list[Turn], bool]:
        """The turns once ``question`` is sent, and whether it is being answered: a pending turn
        (the typing indicator) is added; a refused question gets its error reply at once (False);
        a blank one changes nothing (False). A pending turn left by an interrupted answer is dropped."""
        turns = [t for t in (turns or []) if not t.get("pending")]
        if not isinstance(question, str) or not question.strip():
            return turns, False
        question, refused = self.parse(question)
        if refused:
            return self._keep(turns + [refused]), False
        pending = {"question": question, "ok": False, "retryable": False, "pending": True,
                   "reply": render.render_pending()}
        return self._keep(turns + [pending]), True

    def finish(self, turns: Sequence[Turn]) -> list[Turn]:
        """The turns with the pending (last) turn answered."""
        turns = list(turns)
        if not turns or not turns[-1].get("pending"):
            return turns
        return self._keep(turns[:-1] + [self.answer_turn(turns[-1]["question"], turns[:-1])])

    def respond(self, question: Any, turns: Sequence[Turn] | None):
        """Ask ``question`` in one go: returns (chat messages, turns, text left in the question
        box: empty once asked, the question itself when it was refused)."""
        turns, accepted = self.start(question, turns)
        if accepted:
            turns = self.finish(turns)
        box = "" if accepted or not isinstance(question, str) or not question.strip() else question
        return chat_messages(turns), turns, box

    @staticmethod
    def can_retry(turns: Sequence[Turn] | None) -> bool:
        """Retry is offered only when the last question failed in a way asking again may fix."""
        return bool(turns) and bool(turns[-1].get("retryable"))

    def retry(self, turns: Sequence[Turn] | None) -> tuple[list[Turn], bool]:
        """Like ``start`` for the last question again (its failed reply is replaced)."""
        turns = [t for t in (turns or []) if not t.get("pending")]
        if not self.can_retry(turns):
            return turns, False
        return self.start(turns[-1]["question"], turns[:-1])

    @staticmethod
    def clear():
        """(messages, turns, conversation) of a new conversation."""
        return [], [], "[]"

    # -- feedback ----------------------------------------------------------------------------
    def rated_turn(self, turns: Sequence[Turn] | None, message_index: Any) -> int | None:
        """The index of the answered turn whose reply is chat message ``message_index``, else None."""
        turns = list(turns or [])
        if isinstance(message_index, (list, tuple)):
            message_index = message_index[0] if message_index else None
        if not isinstance(message_index, int) or isinstance(message_index, bool):
            return None
        turn_index = message_index // 2
        if not 0 <= turn_index < len(turns):
            log.warning("feedback for message %s ignored: the session has %d turns", message_index, len(turns))
            return None
        return turn_index if turns[turn_index].get("ok") else None

    def record_feedback(self, turns: Sequence[Turn] | None, message_index: Any, liked: Any,
                        reason: str | None = None) -> FeedbackRecord | None:
        """Append a feedback record for the reply at ``message_index`` of the chat; only
        answered turns are recorded (a refused question is never written to the log)."""
        turn_index = self.rated_turn(turns, message_index)
        if turn_index is None:
            return None
        turn = list(turns or [])[turn_index]
        record = FeedbackRecord(
            timestamp=FeedbackRecord.now(),
            question=turn["question"],
            answer=turn.get("answer"),
            liked=liked_value(liked),
            abstained=bool(turn.get("abstained")),
            interpreted_as=turn.get("interpreted_as"),
            confidence=turn.get("confidence"),
            passage_id=turn.get("passage_id"),
            reason=reason,
        )
        self.feedback.append(record)
        return record

    def record_reason(self, turns: Sequence[Turn] | None, message_index: Any, reason: str) -> FeedbackRecord | None:
        """Log what was wrong with a reply just voted down (``reason`` one of FEEDBACK_REASONS)."""
        if reason not in FEEDBACK_REASONS:
            raise ValueError(f"unknown feedback reason {reason!r}; valid: {', '.join(FEEDBACK_REASONS)}")
        return self.record_feedback(turns, message_index, False, reason=reason)


def _documents(engine: Any):
    documents = engine.documents
    if not documents:
        raise ValueError("The engine holds no documents; the chat page needs the article.")
    return documents


def asked_questions(turns: Sequence[Turn]) -> list[str]:
    """The questions of ``turns`` the engine answered (the conversation's history), in order."""
    return [t["question"] for t in turns if t.get("ok")]


def feedback_line(text: str) -> str:
    """The feedback acknowledgement (a polite live region: screen readers announce it)."""
    return render.feedback_ack(text)


def build_chat_ui(engine: Any, feedback: FeedbackLog, settings: Settings) -> gr.Blocks:
    """The Gradio Blocks of the chat page, queue configured (mount it with gr.mount_gradio_app); its limits
    are ``settings``' chat_max_turns, chat_conversation_max_bytes, chat_max_sessions, chat_queue_max_size
    and chat_concurrency_limit."""
    welcome = welcome_questions(engine)
    controller = ChatController(engine, feedback, suggestions=welcome, max_turns=settings.chat_max_turns,
                                max_conversation_bytes=settings.chat_conversation_max_bytes)
    documents = _documents(engine)
    title = page_title(documents)
    with gr.Blocks(title=title, fill_width=False) as blocks:
        turns = gr.State([])            # this page session's rendered replies (a cache)
        # None until the first answer: Gradio hands an empty store to the events as the default value.
        conversation = gr.BrowserState(None, storage_key=CONVERSATION_STORAGE_KEY, secret=CONVERSATION_SECRET)
        rated = gr.State(None)          # the chat message index of the reply last voted down
        gr.HTML(render.render_header(documents, title), elem_id=ids.HEADER, js_on_load=None)
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=320):
                chatbot = gr.Chatbot(
                    label="Chat",
                    show_label=False,
                    elem_id=ids.CHAT,
                    height=520,
                    min_height=260,
                    layout="panel",
                    placeholder=render.render_welcome(welcome),
                    sanitize_html=True,
                    render_markdown=False,
                    latex_delimiters=[],
                    feedback_options=("Like", "Dislike"),
                    buttons=[],          # "copy" would copy the reply's HTML source: the reply has its own
                    group_consecutive_messages=False,
                    allow_tags=False,
                    autoscroll=False,    # the page's script shows the new question and its answer's start
                )
                # The thumbs-down prompt sits right under the chat, next to the thumbs it answers.
                ack = gr.HTML("", elem_id=ids.FEEDBACK, js_on_load=None, padding=False)
                with gr.Row(elem_id=ids.REASONS, visible=False, equal_height=True) as reasons_row:
                    reason_buttons = [(gr.Button(r, size="sm", variant="secondary"), r) for r in FEEDBACK_REASONS]
                with gr.Row(equal_height=True, elem_id=ids.COMPOSER):
                    # No max_length: the browser would cut a long paste silently; the counter says
                    # how much is over and the engine's own check refuses it, the text kept.
                    question = gr.Textbox(
                        label=QUESTION_LABEL,
                        placeholder=PLACEHOLDER,
                        show_label=False,
                        elem_id=ids.QUESTION,
                        lines=1,
                        max_lines=4,
                        scale=5,
                        min_width=160,
                        autofocus=False,
                    )
                    ask = gr.Button("Ask", variant="primary", scale=1, min_width=72, elem_id=ids.ASK)
                with gr.Row(elem_id=ids.CONTROLS):
                    gr.HTML(render.skip_link(SKIP_TEXT), elem_id=ids.SKIP, js_on_load=None, padding=False,
                            container=False)
                    gr.HTML(render.counter(controller.max_chars), elem_id=ids.COUNTER, js_on_load=None, padding=False)
                    retry_button = gr.Button("Retry", size="sm", elem_id=ids.RETRY, visible=False, scale=0,
                                             min_width=80)
                    clear_button = gr.Button(NEW_CONVERSATION, size="sm", elem_id=ids.CLEAR, scale=0, min_width=150)
            with gr.Column(scale=2, min_width=300):
                for i, doc in enumerate(documents):
                    sentences = render.passage_sentences(engine.passages, doc.doc_id)
                    gr.HTML(render.render_article(doc, i, sentences), label="The article",
                            elem_id=ids.article_panel(i), js_on_load=None)

        # Every event: queued, no named API; the client supplies only the question box's text and
        # the conversation string (checked as an AskRequest by ChatController.sync).
        private = {"api_visibility": "private", "queue": True}
        asked = [chatbot, turns, conversation, question, ask, retry_button, ack, reasons_row, rated]
        hide_feedback = ("", gr.Row(visible=False), None)

        def run(started: list[Turn], accepted: bool, box: Any) -> Iterator[tuple]:
            """Show the question (and the typing indicator) now, then the answer."""
            if not accepted:
                yield (chat_messages(started), started, controller.conversation(started), box,
                       gr.Button(interactive=True), gr.Button(visible=controller.can_retry(started)), *hide_feedback)
                return
            yield (chat_messages(started), started, gr.skip(), box, gr.Button(interactive=False),
                   gr.Button(visible=False), *hide_feedback)
            done = controller.finish(started)
            yield (chat_messages(done), done, controller.conversation(done), gr.skip(), gr.Button(interactive=True),
                   gr.Button(visible=controller.can_retry(done)), *hide_feedback)

        def synced(history: list[Turn], kept: Any) -> list[Turn]:
            current, problem = controller.sync(history, kept)
            if problem:
                current = [{"question": "", "ok": False, "retryable": False, "reply": render.render_error(problem)}]
            return current

        def respond(text: str, kept: Any, history: list[Turn]):
            started, accepted = controller.start(text, synced(history, kept))
            # an accepted question leaves the box; a refused or blank one stays there (the draft is kept)
            yield from run(started, accepted, "" if accepted else gr.skip())

        def retry(kept: Any, history: list[Turn]):
            started, accepted = controller.retry(synced(history, kept))
            yield from run(started, accepted, gr.skip())

        def restore(kept: Any, history: list[Turn]):
            current = synced(history, kept)
            return chat_messages(current), current

        def clear():
            messages, history, kept = controller.clear()
            return messages, history, kept, gr.Button(visible=False), *hide_feedback

        def like(history: list[Turn], kept: Any, data: gr.LikeData):
            history = synced(history, kept)
            record = controller.record_feedback(history, data.index, data.liked)
            if record is None:
                return gr.skip(), gr.skip(), gr.skip(), gr.skip()
            if record.liked is False:
                return history, feedback_line(ASK_WHY), gr.Row(visible=True), data.index
            return history, feedback_line(THANKS_LIKE if record.liked else VOTE_REMOVED), gr.Row(visible=False), None

        def give_reason(reason: str):
            def record(history: list[Turn], index: Any, kept: Any):
                history = synced(history, kept)
                if controller.record_reason(history, index, reason) is None:
                    return history, "", gr.Row(visible=False), None
                return history, feedback_line(f"Thanks, noted: “{reason}”."), gr.Row(visible=False), None
            return record

        blocks.load(restore, [conversation, turns], [chatbot, turns], show_progress="hidden", **private)
        gr.on([question.submit, ask.click], respond, [question, conversation, turns], asked, trigger_mode="once",
              show_progress="hidden", **private)
        retry_button.click(retry, [conversation, turns], asked, trigger_mode="once", show_progress="hidden", **private)
        cleared = [chatbot, turns, conversation, retry_button, ack, reasons_row, rated]
        clear_button.click(clear, None, cleared, **private)
        chatbot.clear(clear, None, cleared, **private)      # the chat's own (hidden) clear icon, kept in step
        chatbot.like(like, [turns, conversation], [turns, ack, reasons_row, rated], **private)
        for button, reason in reason_buttons:
            button.click(give_reason(reason), [turns, rated, conversation], [turns, ack, reasons_row, rated],
                         **private)

    blocks.state_session_capacity = settings.chat_max_sessions
    blocks.queue(
        api_open=False,
        max_size=settings.chat_queue_max_size,
        default_concurrency_limit=settings.chat_concurrency_limit,
    )
    return blocks
