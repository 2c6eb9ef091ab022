/*
 * The console's live behaviour. One websocket per page; live events only say *that*
 * something changed, and the page fetches the server-rendered (escaped) fragment again.
 * After a reconnect everything shown is fetched again, so nothing missed stays missing.
 */
(function () {
  "use strict";
  var status = document.getElementById("live-status");
  var conversationPage = document.getElementById("conversation");
  var inboxPage = document.getElementById("inbox");
  var conversationId = conversationPage ? parseInt(conversationPage.dataset.conversation, 10) : null;
  var socket = null;
  var pinger = null;
  var delay = 1000;
  var timers = {};
  var typingTimer = null;
  var typingSentAt = 0;
  var subscribed = false;
  var typingWanted = false;

  function sendTyping() {
    typingWanted = false;
    socket.send(JSON.stringify({ type: "typing", conversation: conversationId, is_typing: true }));
    typingSentAt = Date.now();
  }

  function debounce(name, fn, wait) {
    clearTimeout(timers[name]);
    timers[name] = setTimeout(fn, wait);
  }

  function setStatus(online) {
    if (!status) { return; }
    status.dataset.state = online ? "online" : "offline";
    status.textContent = online ? status.dataset.labelOnline : status.dataset.labelOffline;
  }

  function replaceFromServer(url, id, after) {
    fetch(url, { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (response) {
        if (response.redirected || !response.ok) { return null; }
        return response.text();
      })
      .then(function (html) {
        if (html === null) { return; }
        var parsed = new DOMParser().parseFromString(html, "text/html");
        var fresh = parsed.getElementById(id);
        var current = document.getElementById(id);
        if (fresh && current) {
          var node = document.importNode(fresh, true);
          current.replaceWith(node);
          if (window.htmx) { window.htmx.process(node); }
          if (after) { after(node); }
        }
      });
  }

  function scrollStream() {
    var stream = document.getElementById("stream");
    if (stream) { stream.scrollTop = stream.scrollHeight; }
  }

  function refreshConversation(withSidebar) {
    if (!conversationPage) { return; }
    debounce("stream", function () { replaceFromServer(conversationPage.dataset.streamUrl, "stream", scrollStream); }, 150);
    if (withSidebar) {
      debounce("sidebar", function () { replaceFromServer(conversationPage.dataset.sidebarUrl, "sidebar"); }, 150);
    }
  }

  function refreshInbox() {
    if (!inboxPage) { return; }
    debounce("inbox", function () { document.body.dispatchEvent(new CustomEvent("kefu:inbox-changed")); }, 300);
  }

  function showTyping(data) {
    var line = document.getElementById("typing");
    if (!line || !conversationPage) { return; }
    var name = data.author_type === "customer" ? conversationPage.dataset.customerLabel : (data.name || "");
    line.textContent = data.is_typing ? conversationPage.dataset.typingLabel.replace("%(name)s", name) : "";
    clearTimeout(typingTimer);
    if (data.is_typing) { typingTimer = setTimeout(function () { line.textContent = ""; }, 6000); }
  }

  function handle(event) {
    var data;
    try { data = JSON.parse(event.data); } catch (error) { return; }
    if (data.type === "ready") {
      if (conversationId) {
        socket.send(JSON.stringify({ type: "subscribe", conversation: conversationId }));
      } else {
        setStatus(true);
      }
    } else if (data.type === "subscribed") {
      // Live from here: the conversation's messages and typing reach this page.
      if (data.conversation === conversationId) {
        subscribed = true;
        setStatus(true);
        if (typingWanted) { sendTyping(); }
      }
    } else if (data.type === "message") {
      if (data.message.conversation === conversationId) {
        refreshConversation(false);
        if (data.message.author_type === "customer") { showTyping({ is_typing: false }); }
      }
    } else if (data.type === "message.analysed") {
      // The language model (or a colleague's correction) says what a message is about.
      refreshConversation(true);
    } else if (data.type === "conversation.changed") {
      if (data.conversation.id === conversationId) { refreshConversation(true); }
      refreshInbox();
    } else if (data.type === "inbox.changed") {
      refreshInbox();
    } else if (data.type === "typing") {
      if (data.conversation === conversationId) { showTyping(data); }
    } else if (data.type === "notification") {
      var count = document.getElementById("notification-count");
      if (count) { count.textContent = String((parseInt(count.textContent, 10) || 0) + 1); count.hidden = false; }
    } else if (data.type === "presence.changed") {
      var presence = document.getElementById("presence-select");
      if (presence && presence.dataset.user === String(data.user)) { presence.value = data.presence; }
    }
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + "/ws/console/" + (inboxPage ? "?inbox=1" : ""));
    var wasOffline = status && status.dataset.state === "offline";
    socket.onopen = function () {
      delay = 1000;
      // The server counts this console as present while it pings (kefu.routing presence).
      if (pinger) { clearInterval(pinger); }
      pinger = setInterval(function () {
        if (socket && socket.readyState === WebSocket.OPEN) { socket.send(JSON.stringify({ type: "ping" })); }
      }, 30000);
      if (wasOffline) { refreshConversation(true); refreshInbox(); }
    };
    socket.onmessage = handle;
    socket.onclose = function () {
      subscribed = false;
      setStatus(false);
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 15000);
    };
  }

  function newClientId() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    return String(Date.now()) + Math.random().toString(16).slice(2);
  }

  function setupReplyForm() {
    var form = document.getElementById("reply-form");
    if (!form) { return; }
    var body = form.querySelector("textarea[name=body]");
    var clientId = form.querySelector("input[name=client_id]");
    clientId.value = newClientId();
    form.addEventListener("htmx:afterRequest", function (event) {
      if (event.detail.successful && !event.detail.xhr.getResponseHeader("HX-Retarget")) {
        form.reset();
        clientId.value = newClientId();
        document.getElementById("reply-error").textContent = "";
        scrollStream();
      }
    });
    body.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    body.addEventListener("input", function () {
      if (!conversationId) { return; }
      if (!subscribed || !socket || socket.readyState !== WebSocket.OPEN) {
        typingWanted = true;  // sent once the conversation is live on this socket
        return;
      }
      if (Date.now() - typingSentAt > 3000) { sendTyping(); }
      debounce("typing-stop", function () {
        if (socket && socket.readyState === WebSocket.OPEN) {
          socket.send(JSON.stringify({ type: "typing", conversation: conversationId, is_typing: false }));
        }
        typingSentAt = 0;
      }, 4000);
    });
    var canned = document.getElementById("canned-select");
    if (canned) {
      canned.addEventListener("change", function () {
        var option = canned.options[canned.selectedIndex];
        if (option && option.dataset.body) {
          body.value = body.value ? body.value + "\n" + option.dataset.body : option.dataset.body;
          body.focus();
        }
        canned.selectedIndex = 0;
      });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupReplyForm();
    scrollStream();
    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (event.detail.target && event.detail.target.id === "stream") { scrollStream(); }
    });
    connect();
  });
})();
