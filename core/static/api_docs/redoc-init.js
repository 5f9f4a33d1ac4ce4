// Starts Redoc on /api/v1/redoc/ without an inline script: the page's policy allows scripts from
// this origin only. The styles Redoc adds are allowed by that page's own style-src (backoffice/api_urls.py).
"use strict";
(function () {
  const script = document.currentScript;
  document.addEventListener("DOMContentLoaded", function () {
    Redoc.init(script.dataset.specUrl, {}, document.getElementById("redoc-container"));
  });
})();
