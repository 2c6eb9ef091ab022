// Live updates on a ticket's tracking page: refresh the message list when something arrives.
(function () {
  "use strict";
  var page = document.getElementById("ticket");
  if (!page || !window.WebSocket) { return; }
  var container = document.getElementById("messages-container");
  var typing = document.getElementById("typing");
  var delay = 1000;

  function refresh() {
    fetch(page.dataset.messagesUrl, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null) { return; }
        // The fragment is rendered and escaped by the server.
        var parsed = new DOMParser().parseFromString(html, "text/html");
        var fresh = parsed.getElementById("messages");
        var current = document.getElementById("messages");
        if (fresh && current) { container.replaceChild(document.importNode(fresh, true), current); }
      });
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + "/ws/customer/?ticket=" + encodeURIComponent(page.dataset.token));
    socket.onopen = function () { delay = 1000; };
    socket.onmessage = function (event) {
      var data;
      try { data = JSON.parse(event.data); } catch (error) { return; }
      if (data.type === "message" || data.type === "history") { refresh(); typing.textContent = ""; }
      if (data.type === "conversation.changed") {
        var draft = document.querySelector("#ticket textarea");
        if (!draft || !draft.value.trim()) { window.location.reload(); }
      }
      if (data.type === "typing" && data.author_type === "agent") {
        typing.textContent = data.is_typing ? (data.name || "") + " …" : "";
      }
    };
    socket.onclose = function () { setTimeout(connect, delay); delay = Math.min(delay * 2, 15000); };
  }
  connect();
})();
