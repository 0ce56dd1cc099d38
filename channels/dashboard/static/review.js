// Review inbox: select words of a message, then mark them as a commune or an age.
// Without this script the same fields are typed in (the page works without it).
(function () {
  "use strict";
  var ENTITIES = { commune: "Commune", age: "Âge" };
  // The last words selected in a message (kept when focus moves to a button).
  var last = { quote: null, words: "" };
  document.addEventListener("selectionchange", function () {
    var selection = window.getSelection();
    if (!selection || selection.isCollapsed) return;
    var node = selection.anchorNode && selection.anchorNode.parentElement;
    var quote = node && node.closest(".message-text");
    if (quote && quote.contains(selection.focusNode)) {
      last = { quote: quote, words: selection.toString().trim() };
    }
  });
  function selectedIn(card) {
    return last.quote && card.contains(last.quote) ? last.words : "";
  }
  document.querySelectorAll(".label-form").forEach(function (form) {
    var card = form.closest(".card");
    var bar = document.createElement("p");
    bar.className = "mark-bar";
    var status = document.createElement("span");
    status.setAttribute("role", "status");
    Object.keys(ENTITIES).forEach(function (name) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "secondary";
      button.textContent = "Sélection = " + ENTITIES[name].toLowerCase();
      button.addEventListener("click", function () {
        var words = selectedIn(card);
        var field = form.querySelector('[data-entity="' + name + '"]');
        if (!words) {
          status.textContent = "Sélectionnez d'abord des mots du message.";
          return;
        }
        field.value = words;
        status.textContent = ENTITIES[name] + " : « " + words + " »";
      });
      bar.appendChild(button);
      bar.appendChild(document.createTextNode(" "));
    });
    bar.appendChild(status);
    form.querySelector("fieldset").insertBefore(bar, form.querySelector(".actions"));
  });
})();
