/*
 * The chat inside the widget frame. Messages travel over a websocket; every message the
 * customer writes gets a client id and stays in localStorage until the server acknowledges
 * it, so a reconnect or a page reload resends it and the server stores it once. On every
 * (re)connect the server sends the whole history, which replaces what is shown.
 */
(function () {
  "use strict";
  var root = document.getElementById("chat");
  var list = document.getElementById("chat-messages");
  var input = document.getElementById("chat-input");
  var composer = document.getElementById("chat-composer");
  var offline = document.getElementById("chat-offline");
  var typingLine = document.getElementById("chat-typing");
  var errorLine = document.getElementById("chat-error");
  var subtitle = document.getElementById("chat-subtitle");
  var labels = JSON.parse(document.getElementById("chat-labels").textContent);
  var welcome = list.firstElementChild;
  var TOKEN_KEY = "kefu.visitor";
  var PENDING_KEY = "kefu.pending";
  var socket = null;
  var retryDelay = 1000;
  var retryTimer = null;
  var typingTimer = null;
  var typingSentAt = 0;
  var identity = null;
  var unread = 0;
  var isVisible = true;

  function load(key, fallback) {
    try { var raw = window.localStorage.getItem(key); return raw ? JSON.parse(raw) : fallback; }
    catch (error) { return fallback; }
  }
  function save(key, value) {
    try { window.localStorage.setItem(key, JSON.stringify(value)); } catch (error) { /* private mode */ }
  }
  var pending = load(PENDING_KEY, []);

  function newClientId() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_m, key) { return values[key] == null ? "" : String(values[key]); });
  }

  function authorLabel(message) {
    if (message.author_type === "customer") { return labels.you; }
    if (message.author_type === "agent") { return message.author_name || labels.support; }
    if (message.author_type === "bot") { return labels.assistant; }
    return "";
  }

  // Links in support's and the bot's messages become anchors built element by element (http and
  // https only); nothing is ever parsed as HTML.
  var LINK = /https?:\/\/[^\s<>"'）】，。]+/g;

  function appendText(element, text, linkify) {
    if (!linkify) { element.appendChild(document.createTextNode(text)); return; }
    var last = 0;
    text.replace(LINK, function (url, offset) {
      element.appendChild(document.createTextNode(text.slice(last, offset)));
      var anchor = document.createElement("a");
      anchor.href = url;
      anchor.textContent = url;
      anchor.target = "_blank";
      anchor.rel = "noopener noreferrer";
      element.appendChild(anchor);
      last = offset + url.length;
      return url;
    });
    element.appendChild(document.createTextNode(text.slice(last)));
  }

  // Customer text is only ever set with textContent: it is never parsed as HTML.
  function bubble(message, state) {
    var element = document.createElement("div");
    element.className = "bubble bubble-" + message.author_type;
    if (message.id) { element.dataset.id = String(message.id); }
    if (message.client_id) { element.dataset.clientId = message.client_id; }
    if (state) { element.dataset.state = state; }
    var who = authorLabel(message);
    if (who) {
      var label = document.createElement("span");
      label.className = "who";
      label.textContent = who + (state === "sending" ? " · " + labels.sending : "");
      element.appendChild(label);
    }
    appendText(element, message.body, message.author_type === "bot" || message.author_type === "agent");
    if (message.attachments && message.attachments.length) {
      message.attachments.forEach(function (file) {
        var name = document.createElement("span");
        name.className = "who";
        name.textContent = "📎 " + file.name;
        element.appendChild(name);
      });
    }
    return element;
  }

  function scrollDown() { list.scrollTop = list.scrollHeight; }

  function showMessage(message) {
    if (message.is_internal) { return; }
    if (message.id && list.querySelector('[data-id="' + message.id + '"]')) { return; }
    var element = bubble(message);
    var local = message.client_id ? list.querySelector('[data-client-id="' + CSS.escape(message.client_id) + '"]') : null;
    if (local) { list.replaceChild(element, local); } else { list.appendChild(element); }
    if (message.author_type !== "customer") {
      typingLine.textContent = "";
      if (!isVisible) { unread += 1; window.parent.postMessage({ kefu: "unread", count: unread }, "*"); }
    }
    scrollDown();
  }

  function showPending() {
    pending.forEach(function (item) {
      if (!list.querySelector('[data-client-id="' + CSS.escape(item.client_id) + '"]')) {
        list.appendChild(bubble({ author_type: "customer", body: item.body, client_id: item.client_id },
          socketOpen() ? "sending" : "failed"));
      }
    });
    scrollDown();
  }

  function renderHistory(messages) {
    while (list.firstChild) { list.removeChild(list.firstChild); }
    list.appendChild(welcome);
    messages.forEach(showMessage);
    showPending();
  }

  function showStatus(text) {
    var note = document.createElement("div");
    note.className = "chat-status";
    note.textContent = text;
    list.appendChild(note);
    scrollDown();
  }

  function showError(text) {
    errorLine.textContent = text;
    errorLine.hidden = !text;
  }

  function socketOpen() { return socket && socket.readyState === WebSocket.OPEN; }

  function sendPending() {
    if (!socketOpen()) { return; }
    pending.forEach(function (item) {
      socket.send(JSON.stringify({ type: "message", body: item.body, client_id: item.client_id }));
    });
  }

  function setOnline(online) {
    offline.hidden = online;
    list.querySelectorAll('[data-state]').forEach(function (element) {
      element.dataset.state = online ? "sending" : "failed";
    });
  }

  function handle(event) {
    var data;
    try { data = JSON.parse(event.data); } catch (error) { return; }
    if (data.type === "history") {
      if (data.conversation) { subtitle.textContent = format(labels.conversation, { number: data.conversation.number }); }
      renderHistory(data.messages || []);
      sendPending();
    } else if (data.type === "message") {
      showMessage(data.message);
    } else if (data.type === "ack") {
      pending = pending.filter(function (item) { return item.client_id !== data.client_id; });
      save(PENDING_KEY, pending);
      var local = list.querySelector('[data-client-id="' + CSS.escape(data.client_id) + '"][data-state]');
      if (local) { local.dataset.id = String(data.message_id); delete local.dataset.state; local.firstChild.textContent = labels.you; }
    } else if (data.type === "conversation") {
      subtitle.textContent = format(labels.conversation, { number: data.conversation.number });
    } else if (data.type === "typing") {
      if (data.author_type === "agent") {
        typingLine.textContent = data.is_typing ? format(labels.typing, { name: data.name || labels.support }) : "";
      }
    } else if (data.type === "conversation.changed") {
      if (data.conversation.status === "resolved") { showStatus(labels.resolved); }
      if (data.conversation.status === "closed") { showStatus(labels.closed); }
    } else if (data.type === "error") {
      showError(data.message || labels.error);
      if (data.client_id && data.code !== "rate_limited") {
        // The server refused this message for good (too long, empty): stop resending it.
        pending = pending.filter(function (item) { return item.client_id !== data.client_id; });
        save(PENDING_KEY, pending);
        var refused = list.querySelector('[data-client-id="' + CSS.escape(data.client_id) + '"]');
        if (refused) { refused.dataset.state = "failed"; }
      }
    }
  }

  function connect(token) {
    clearTimeout(retryTimer);
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + "/ws/customer/?visitor=" + encodeURIComponent(token));
    socket.onopen = function () { retryDelay = 1000; setOnline(true); showError(""); };
    socket.onmessage = handle;
    socket.onclose = function () {
      setOnline(false);
      retryTimer = setTimeout(function () { start(); }, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 15000);
    };
  }

  function start() {
    var token = load(TOKEN_KEY, "");
    var body = { visitor_token: token || "", language: root.dataset.language || "" };
    if (identity) {
      body.user_id = identity.userId || ""; body.user_hash = identity.userHash || "";
      body.name = identity.name || ""; body.email = identity.email || "";
    }
    fetch(root.dataset.sessionUrl, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
      credentials: "omit"
    }).then(function (response) {
      if (!response.ok) { throw new Error("session " + response.status); }
      return response.json();
    }).then(function (session) {
      save(TOKEN_KEY, session.visitor_token);
      connect(session.visitor_token);
    }).catch(function () {
      setOnline(false);
      retryTimer = setTimeout(start, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 15000);
    });
  }

  composer.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) { return; }
    var item = { client_id: newClientId(), body: text };
    pending.push(item);
    save(PENDING_KEY, pending);
    list.appendChild(bubble({ author_type: "customer", body: text, client_id: item.client_id },
      socketOpen() ? "sending" : "failed"));
    scrollDown();
    input.value = "";
    showError("");
    if (socketOpen()) {
      socket.send(JSON.stringify({ type: "message", body: text, client_id: item.client_id }));
      socket.send(JSON.stringify({ type: "typing", is_typing: false }));
      typingSentAt = 0;
    }
  });

  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      composer.requestSubmit();
    }
  });

  input.addEventListener("input", function () {
    if (!socketOpen()) { return; }
    var now = Date.now();
    if (now - typingSentAt > 3000) {
      socket.send(JSON.stringify({ type: "typing", is_typing: true }));
      typingSentAt = now;
    }
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () {
      if (socketOpen()) { socket.send(JSON.stringify({ type: "typing", is_typing: false })); }
      typingSentAt = 0;
    }, 4000);
  });

  document.getElementById("chat-close").addEventListener("click", function () {
    window.parent.postMessage({ kefu: "close" }, "*");
  });
  document.getElementById("chat-lang").addEventListener("click", function (event) {
    var params = new URLSearchParams(window.location.search);
    params.set("lang", event.currentTarget.dataset.switchTo);
    window.location.search = params.toString();
  });

  window.addEventListener("online", function () { if (!socketOpen()) { start(); } });
  window.addEventListener("message", function (event) {
    if (event.source !== window.parent || window.parent === window) { return; }
    var data = event.data || {};
    if (data.kefu === "identity") {
      identity = data;
      if (!socket) { start(); }
    } else if (data.kefu === "opened") {
      isVisible = true; unread = 0;
    }
  });

  showPending();
  if (window.parent !== window) {
    window.parent.postMessage({ kefu: "ready" }, "*");
    // A page that embeds the frame without the loader sends no identity: start anonymously.
    setTimeout(function () { if (!socket) { start(); } }, 800);
  } else {
    start();
  }
})();
