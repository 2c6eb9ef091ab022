// Small behaviours shared by every page; no inline scripts are allowed (CSP).
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target && target.matches && target.matches("[data-autosubmit]")) {
      target.form.requestSubmit ? target.form.requestSubmit() : target.form.submit();
    }
  });
  document.addEventListener("click", function (event) {
    var target = event.target && event.target.closest ? event.target.closest("[data-copy]") : null;
    if (target && navigator.clipboard) {
      navigator.clipboard.writeText(target.getAttribute("data-copy"));
    }
    var opener = event.target && event.target.closest ? event.target.closest("[data-open-chat]") : null;
    if (opener && window.KefuWidget) {
      event.preventDefault();
      window.KefuWidget.open();
    }
  });
})();
