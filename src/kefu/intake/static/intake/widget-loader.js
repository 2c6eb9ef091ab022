/*
 * Kefu chat widget loader. Embed on any page with one tag:
 *   <script src="https://support.example.com/widget.js" async></script>
 * Optional attributes: data-language="zh-hans|en", and for signed-in users
 * data-user-id, data-user-hash (HMAC-SHA256 of the id with the widget identity secret),
 * data-name, data-email. window.KefuWidget.open() / .close() / .toggle() control it.
 */
(function () {
  "use strict";
  if (window.KefuWidget) { return; }
  var script = document.currentScript || document.querySelector("script[src*='/widget.js']");
  if (!script) { return; }
  var origin = new URL(script.src, window.location.href).origin;
  var data = script.dataset || {};
  var language = data.language || (navigator.language || "en");
  var isChinese = /^zh/i.test(language);
  var frame = null;
  var panel = null;
  var isOpen = false;

  function styles(element, values) {
    for (var key in values) { if (Object.prototype.hasOwnProperty.call(values, key)) { element.style[key] = values[key]; } }
  }

  var button = document.createElement("button");
  button.type = "button";
  button.id = "kefu-launcher";
  button.setAttribute("aria-label", isChinese ? "打开在线客服" : "Open support chat");
  button.textContent = isChinese ? "在线客服" : "Chat with us";
  styles(button, {
    position: "fixed", right: "20px", bottom: "20px", zIndex: "2147483000", border: "0",
    borderRadius: "999px", padding: "12px 20px", background: "#0b6bcb", color: "#fff",
    font: "600 15px -apple-system, 'Segoe UI', 'PingFang SC', 'Microsoft YaHei', sans-serif",
    boxShadow: "0 6px 20px rgba(0,0,0,.2)", cursor: "pointer"
  });

  function buildPanel() {
    panel = document.createElement("div");
    panel.id = "kefu-panel";
    styles(panel, {
      position: "fixed", right: "20px", bottom: "80px", width: "370px", maxWidth: "calc(100vw - 24px)",
      height: "560px", maxHeight: "calc(100vh - 100px)", zIndex: "2147483000", borderRadius: "14px",
      overflow: "hidden", boxShadow: "0 12px 40px rgba(0,0,0,.25)", background: "#fff", display: "none"
    });
    frame = document.createElement("iframe");
    frame.title = isChinese ? "在线客服" : "Support chat";
    var params = new URLSearchParams();
    if (data.language) { params.set("lang", data.language); }
    frame.src = origin + "/widget/frame/" + (params.toString() ? "?" + params.toString() : "");
    frame.setAttribute("allow", "clipboard-write");
    styles(frame, { border: "0", width: "100%", height: "100%" });
    panel.appendChild(frame);
    document.body.appendChild(panel);
  }

  function remember(value) {
    try { window.sessionStorage.setItem("kefu.open", value ? "1" : ""); } catch (error) { /* storage may be blocked */ }
  }
  function remembered() {
    try { return window.sessionStorage.getItem("kefu.open") === "1"; } catch (error) { return false; }
  }

  function open() {
    if (!panel) { buildPanel(); }
    panel.style.display = "block";
    isOpen = true;
    remember(true);
    button.setAttribute("aria-expanded", "true");
    if (frame && frame.contentWindow) { frame.contentWindow.postMessage({ kefu: "opened" }, origin); }
  }
  function close() {
    if (panel) { panel.style.display = "none"; }
    isOpen = false;
    remember(false);
    button.setAttribute("aria-expanded", "false");
  }
  function toggle() { if (isOpen) { close(); } else { open(); } }

  window.addEventListener("message", function (event) {
    if (event.origin !== origin || !frame || event.source !== frame.contentWindow) { return; }
    var message = event.data || {};
    if (message.kefu === "ready") {
      frame.contentWindow.postMessage({
        kefu: "identity", userId: data.userId || "", userHash: data.userHash || "",
        name: data.name || "", email: data.email || "", language: data.language || ""
      }, origin);
    } else if (message.kefu === "close") {
      close();
    } else if (message.kefu === "unread" && !isOpen) {
      button.textContent = (isChinese ? "在线客服" : "Chat with us") + " (" + String(message.count | 0) + ")";
    }
  });
  button.addEventListener("click", toggle);

  function mount() {
    document.body.appendChild(button);
    // Keep the chat open across page loads of the same tab, and open it on ?kefu=open.
    if (remembered() || /[?&]kefu=open\b/.test(window.location.search)) { open(); }
  }
  if (document.body) { mount(); } else { document.addEventListener("DOMContentLoaded", mount); }
  window.KefuWidget = { open: open, close: close, toggle: toggle };
})();
