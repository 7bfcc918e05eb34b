// Shared page behaviour (loaded as a file: the Content-Security-Policy allows no inline script).
//  - [data-suggest]: a search box whose <datalist> is filled from /api/v1/suggest as you type.
(function () {
  "use strict";

  var root = document.body.getAttribute("data-root") || "";
  var api = root + "/api/v1";

  function suggest(input) {
    var list = document.getElementById(input.getAttribute("data-suggest"));
    if (!list) return;
    var timer = null;
    var last = "";
    input.addEventListener("input", function () {
      var q = input.value.trim();
      if (timer) clearTimeout(timer);
      if (!q || q === last) return;
      timer = setTimeout(function () {
        last = q;
        fetch(api + "/suggest?limit=10&q=" + encodeURIComponent(q), {
          headers: { Accept: "application/json" },
        })
          .then(function (r) { return r.ok ? r.json() : { items: [] }; })
          .then(function (body) {
            if (input.value.trim() !== q) return;
            list.textContent = "";
            body.items.forEach(function (item) {
              var option = document.createElement("option");
              option.value = item.prefLabel;
              if (item.matched && item.matched !== item.prefLabel) option.label = item.matched;
              list.appendChild(option);
            });
          })
          .catch(function () { /* suggestions are a convenience: typing still works */ });
      }, 120);
    });
  }

  document.querySelectorAll("[data-suggest]").forEach(suggest);
})();
