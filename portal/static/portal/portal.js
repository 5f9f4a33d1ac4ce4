// The portal's only script of its own (htmx does the rest): the menu button on narrow screens.
// Without JavaScript the menu simply stays open.
(function () {
  "use strict";
  function setUp() {
    var button = document.querySelector(".menu-button");
    var nav = document.getElementById("portal-nav");
    if (!button || !nav) return;
    button.hidden = false;
    document.documentElement.classList.add("has-menu-button");
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") === "true";
      button.setAttribute("aria-expanded", String(!open));
      nav.classList.toggle("open", !open);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
  else setUp();
})();
