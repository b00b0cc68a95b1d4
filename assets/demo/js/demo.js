// corsedge demo script: marks the page once it has run, so that the
// stylesheet from the same edge can show the font icon in colour.
(function () {
  "use strict";
  document.documentElement.classList.add("corsedge-ready");
})();
