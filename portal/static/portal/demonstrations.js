// Demonstrations: the "copy the link" button of the host link (without JavaScript it stays hidden,
// and the link is selected and copied by hand). Set up on the page and again on what htmx swaps in
// (a boosted form's answer replaces <main>).
(function () {
  "use strict";
  function setUp(root) {
    (root || document).querySelectorAll("button[data-copy][hidden]").forEach(function (button) {
      var input = document.getElementById(button.getAttribute("data-copy"));
      if (!input || !navigator.clipboard) return;
      button.hidden = false;
      var label = button.textContent;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(input.value).then(function () {
          button.textContent = button.getAttribute("data-copied");
          setTimeout(function () { button.textContent = label; }, 2000);
        }, function () {
          input.select();
        });
      });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { setUp(); });
  else setUp();
  document.addEventListener("htmx:load", function (event) { setUp(event.target); });
})();
