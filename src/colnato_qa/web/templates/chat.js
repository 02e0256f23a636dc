// The chat page's script: citation, suggestion and copy links, the characters counter, readable
// accessible names for chat messages, the article sheet at phone width, the skip link to the
// latest answer, and keeping the newest question and answer (and the feedback prompt) in view.
// Links never navigate and the script never writes the URL (inside a web component the URL is
// the host's). A Jinja template: IDS are web/ids.py's element ids.
(function () {
  if (window.__colnatoChat) return;
  window.__colnatoChat = true;
  var IDS = {{ ids | tojson }};
  var LINK = /^#((?:doc\d+-)?(?:para-\d+|article-top))(?::(\d+)-(\d+))?$/;
  var SENTENCE = /s-(\d+)-(\d+)$/;
  var PHONE = "(max-width: 640px)";
  var NAME_CHARS = 200;
  var opener = null;
  function sel(name, rest) { return "#" + IDS[name] + (rest ? " " + rest : ""); }

  if (window.self !== window.top) document.documentElement.classList.add("colnato-embedded");

  function rootOf(node) {
    var root = node.getRootNode ? node.getRootNode() : document;
    return root.getElementById ? root : document;
  }
  function panelOf(node) { return node.closest("[id^='" + IDS.article + "']"); }
  function reduced() { return window.matchMedia("(prefers-reduced-motion: reduce)").matches; }

  function scrollPanelTo(panel, target) {
    var top = target.getBoundingClientRect().top - panel.getBoundingClientRect().top;
    var room = Math.max(16, (panel.clientHeight - target.getBoundingClientRect().height) / 3);
    panel.scrollTo({top: panel.scrollTop + top - room, behavior: reduced() ? "auto" : "smooth"});
  }

  function openSheet(panel, link) {
    if (panel.classList.contains("colnato-sheet")) return;
    var holder = panel.parentElement;
    holder.style.minHeight = panel.offsetHeight + "px";   // the page keeps its height: nothing moves
    panel.classList.add("colnato-sheet");
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-label", "The article");
    opener = link;
  }

  function closeSheet(panel) {
    if (!panel || !panel.classList.contains("colnato-sheet")) return;
    panel.classList.remove("colnato-sheet");
    panel.removeAttribute("role");
    panel.removeAttribute("aria-label");
    panel.parentElement.style.minHeight = "";
    if (opener && opener.isConnected) opener.focus({preventScroll: true});
    opener = null;
  }

  function showInArticle(link, id, start, end) {
    var target = rootOf(link).getElementById(id);
    var panel = target && panelOf(target);
    if (!panel) return;
    panel.querySelectorAll(".colnato-marked").forEach(function (el) { el.classList.remove("colnato-marked"); });
    var marked = [];
    if (start !== undefined) {
      target.parentElement.querySelectorAll(".colnato-sent").forEach(function (el) {
        var m = SENTENCE.exec(el.id);
        if (m && +m[1] < end && +m[2] > start) marked.push(el);
      });
    }
    if (!marked.length) marked = [target];
    marked.forEach(function (el) { el.classList.add("colnato-marked"); });
    if (window.matchMedia(PHONE).matches) openSheet(panel, link);
    scrollPanelTo(panel, marked[0]);
    marked[0].setAttribute("tabindex", "-1");
    marked[0].focus({preventScroll: true});
  }

  function askText(link) {
    var root = rootOf(link);
    var box = root.querySelector(sel("question", "textarea"));
    var button = root.querySelector(sel("ask"));
    if (!box || !button || button.disabled) return;
    box.value = link.textContent;
    box.dispatchEvent(new Event("input", {bubbles: true}));
    setTimeout(function () { button.click(); }, 0);
  }

  // -- copy: the quote with its citation ------------------------------------------------------
  function quoteWithCitation(reply) {
    var answer = reply.querySelector(".colnato-answer");
    if (!answer) return "";
    var text = answer.textContent.replace(/\s*\[\d+\]/g, "").replace(/\s+/g, " ").trim();
    var where = reply.querySelector(".colnato-sources .colnato-cite-where");
    var title = rootOf(reply).querySelector(sel("article", "h2"));
    var cite = [where && where.textContent.trim(), title && "“" + title.textContent.trim() + "”"]
      .filter(Boolean).join(", ");
    return "“" + text + "”" + (cite ? " (" + cite + ")" : "");
  }
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed"; area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    area.remove();
    return ok ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }
  function copyQuote(link) {
    var reply = link.closest(".colnato-reply");
    var text = reply && quoteWithCitation(reply);
    if (!text) return;
    var note = reply.querySelector(".colnato-copied");
    copyText(text).then(function () {
      if (note) note.textContent = "Copied";
    }, function () {
      if (note) note.textContent = "Your browser refused to copy; select the quote to copy it.";
    });
  }

  // -- the skip link: to the latest answer's first source --------------------------------------
  function latestAnswerTarget(root) {
    var replies = root.querySelectorAll(sel("chat", ".colnato-reply:not(.colnato-pending)"));
    var last = replies[replies.length - 1];
    if (!last) return null;
    return last.querySelector("a.colnato-ref, a, summary, button") || null;
  }

  document.addEventListener("click", function (event) {
    var el = event.target && event.target.closest ? event.target : null;
    if (!el) return;
    var close = el.closest(".colnato-sheet-close");
    if (close) { closeSheet(panelOf(close)); return; }
    var link = el.closest("a");
    if (!link) return;
    var href = link.getAttribute("href") || "";
    if (link.classList.contains("colnato-suggest") && href === "#ask") {
      event.preventDefault(); event.stopPropagation();
      askText(link);
      return;
    }
    if (link.classList.contains("colnato-copy")) {
      event.preventDefault(); event.stopPropagation();
      copyQuote(link);
      return;
    }
    if (link.classList.contains("colnato-skip")) {
      event.preventDefault(); event.stopPropagation();
      var target = latestAnswerTarget(rootOf(link));
      if (target) { target.scrollIntoView({block: "nearest"}); target.focus(); }
      return;
    }
    var m = LINK.exec(href);
    if (!m) return;
    event.preventDefault(); event.stopPropagation();
    showInArticle(link, m[1], m[2] === undefined ? undefined : +m[2], m[3] === undefined ? undefined : +m[3]);
  }, true);

  document.addEventListener("keydown", function (event) {
    var el = event.target;
    if ((event.key === " " || event.key === "Spacebar") && el && el.matches && el.matches("a.colnato-copy")) {
      event.preventDefault(); el.click(); return;       // a button in all but name: Space presses it too
    }
    if (event.key !== "Escape") return;
    document.querySelectorAll(".colnato-sheet").forEach(function (panel) { closeSheet(panel); });
  });

  // -- the characters counter: near the limit, and how much is over it --------------------------
  function updateCounter(box) {
    var out = rootOf(box).querySelector(sel("counter", ".colnato-counter"));
    var max = out ? parseInt(out.getAttribute("data-max"), 10) : NaN;
    if (!out || !(max > 0)) return;
    var length = box.value.replace(/\s+/g, " ").trim().length;
    var left = max - length;
    var near = Math.min(100, Math.ceil(max / 10));
    var text = left < 0 ? (-left) + (left === -1 ? " character" : " characters") + " over the limit of " + max +
                          ": shorten the question to ask it (your text is kept)."
             : left <= near ? left + (left === 1 ? " character left" : " characters left") : "";
    if (out.textContent !== text) out.textContent = text;
    out.classList.toggle("colnato-at-limit", left < 0);
  }

  document.addEventListener("input", function (event) {
    var box = event.target;
    if (box && box.matches && box.matches(sel("question", "textarea"))) updateCounter(box);
  }, true);

  // -- keeping the newest question and its answer in view -----------------------------------------
  function scroller(node, stop) {
    for (var el = node.parentElement; el && el !== stop; el = el.parentElement) {
      var style = getComputedStyle(el);
      if (/(auto|scroll)/.test(style.overflowY) && el.scrollHeight > el.clientHeight + 1) return el;
    }
    return null;
  }
  function showLatestQuestion(root) {
    var chat = root.querySelector(sel("chat"));
    if (!chat) return;
    var users = chat.querySelectorAll("[data-testid='user']");
    var last = users[users.length - 1];
    if (!last) return;
    var row = last.closest(".message-row") || last;
    var box = scroller(row, chat.parentElement);
    if (box) {
      var top = row.getBoundingClientRect().top - box.getBoundingClientRect().top;
      box.scrollTop += top - 8;
    }
    var rect = row.getBoundingClientRect();
    var view = window.innerHeight || document.documentElement.clientHeight;
    if (rect.top < 0 || rect.top > view * 0.5) window.scrollBy(0, rect.top - 8);
  }

  var REASONS_SHOWN = false;
  function showReasons(root) {
    var reasons = root.querySelector(sel("reasons"));
    var shown = !!(reasons && reasons.offsetParent !== null && reasons.getClientRects().length);
    if (shown && !REASONS_SHOWN) {
      var ack = root.querySelector(sel("feedback"));
      var rect = reasons.getBoundingClientRect();
      var view = window.innerHeight || document.documentElement.clientHeight;
      if (rect.bottom > view || rect.top < 0) {
        window.scrollBy(0, rect.bottom - view + 12);
      }
      if (ack && ack.getBoundingClientRect().top < 0) window.scrollBy(0, ack.getBoundingClientRect().top - 8);
    }
    REASONS_SHOWN = shown;
  }

  var RAW_NAME = /^(bot|user|assistant)'s message: /;
  function readableNames(scope) {
    scope.querySelectorAll(sel("chat", "[aria-label]")).forEach(function (el) {
      var label = el.getAttribute("aria-label");
      var m = RAW_NAME.exec(label);
      if (!m) return;
      var main = el.querySelector(".colnato-answer, .colnato-smalltalk > p, .colnato-error, .colnato-sr") || el;
      var text = (main.textContent || "").replace(/\[\d+\]/g, "").replace(/\s+/g, " ").trim();
      if (text.length > NAME_CHARS) text = text.slice(0, NAME_CHARS - 1) + "…";
      el.setAttribute("aria-label", (m[1] === "user" ? "You asked: " : "Answer: ") + text);
    });
    scope.querySelectorAll(sel("question", "textarea")).forEach(updateCounter);
  }

  var seen = {users: 0, replies: 0};
  function update(root) {
    readableNames(root);
    var chat = root.querySelector(sel("chat"));
    if (chat) {
      var users = chat.querySelectorAll("[data-testid='user']").length;
      var replies = chat.querySelectorAll(".colnato-reply:not(.colnato-pending)").length;
      if (users && (users !== seen.users || replies !== seen.replies)) {
        // after Gradio has laid the messages out
        requestAnimationFrame(function () { showLatestQuestion(root); });
      }
      seen = {users: users, replies: replies};
    }
    showReasons(root);
  }

  var scheduled = false;
  function schedule(root) {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(function () { scheduled = false; update(root); });
  }
  function watch(root) {
    new MutationObserver(function () { schedule(root); })
      .observe(root, {subtree: true, childList: true, characterData: true, attributes: true,
                      attributeFilter: ["aria-label", "class", "style", "hidden"]});
    schedule(root);
  }
  if (document.body) watch(document); else document.addEventListener("DOMContentLoaded", function () { watch(document); });
})();
