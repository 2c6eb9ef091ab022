// The rule editor: add condition and action rows, hide removed ones, and offer the values
// that fit the field or action chosen in each row (a <datalist> per kind, rendered by the page).
(function () {
  "use strict";

  var LISTS = {
    set_queue: "queue",
    assign_team: "queue",
    set_priority: "priority",
  };

  function bindRow(row) {
    var kind = row.querySelector('select[name$="-field"], select[name$="-type"]');
    var value = row.querySelector('input[name$="-value"]');
    var remove = row.querySelector('input[name$="-DELETE"]');
    function update() {
      var chosen = kind ? kind.value : "";
      var list = "rule-values-" + (LISTS[chosen] || chosen);
      if (value) {
        if (chosen && document.getElementById(list)) {
          value.setAttribute("list", list);
        } else {
          value.removeAttribute("list");
        }
      }
      row.querySelectorAll("[data-shown-for]").forEach(function (part) {
        part.hidden = part.dataset.shownFor.split(" ").indexOf(chosen) === -1;
      });
    }
    if (kind) {
      kind.addEventListener("change", update);
    }
    if (remove) {
      remove.addEventListener("change", function () {
        row.classList.toggle("rule-row-removed", remove.checked);
      });
    }
    update();
  }

  function bindSection(section) {
    var prefix = section.dataset.ruleRows;
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var maximum = document.getElementById("id_" + prefix + "-MAX_NUM_FORMS");
    var template = document.getElementById(prefix + "-empty");
    var rows = section.querySelector("[data-rows]");
    var add = section.querySelector("[data-add-row]");
    rows.querySelectorAll("[data-rule-row]").forEach(bindRow);
    if (!total || !template || !add) {
      return;
    }
    add.hidden = false;
    add.addEventListener("click", function () {
      var count = Number(total.value);
      if (maximum && count >= Number(maximum.value)) {
        return;
      }
      var fragment = template.content.cloneNode(true);
      fragment.querySelectorAll("[name], [id], [for]").forEach(function (element) {
        ["name", "id", "for"].forEach(function (attribute) {
          var current = element.getAttribute(attribute);
          if (current) {
            element.setAttribute(attribute, current.replace(/__prefix__/g, String(count)));
          }
        });
      });
      rows.appendChild(fragment);
      total.value = String(count + 1);
      bindRow(rows.lastElementChild);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-rule-rows]").forEach(bindSection);
  });
})();
