// The validation page: POST the entry to /api/v1/validate and show the report, with the
// offending lines of a note highlighted; with an editor key (kept in sessionStorage only),
// PUT /api/v1/notes/{slug}?dry_run=true to preview the change, then submit it for real.
(function () {
  "use strict";

  var root = document.body.getAttribute("data-root") || "";
  var api = root + "/api/v1";
  var KEY = "intimacy-graph-editor-key";
  var $ = function (id) { return document.getElementById(id); };
  var form = $("validate-form");
  var entry = $("entry");
  var type = $("entry-type");
  var slugInput = $("entry-slug");
  var keyInput = $("editor-key");
  var lastSlug = null;
  var previewed = null; // the exact text and type a dry run accepted

  var EXTENSIONS = {
    md: "text/markdown", markdown: "text/markdown", txt: "text/markdown",
    ttl: "text/turtle", jsonld: "application/ld+json", json: "application/ld+json",
    nt: "application/n-triples", rdf: "application/rdf+xml", owl: "application/rdf+xml",
    xml: "application/rdf+xml",
  };

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function status(id, text) { $(id).textContent = text; }

  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }

  function readJson(response) {
    return response.text().then(function (text) {
      var body = null;
      try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
      return { status: response.status, ok: response.ok, body: body, headers: response.headers };
    });
  }

  // -- the report --------------------------------------------------------------------------
  function renderListing(lines, byLine) {
    var listing = $("listing");
    listing.textContent = "";
    lines.forEach(function (text, i) {
      var n = i + 1;
      var li = el("li");
      li.id = "src-L" + n;
      li.appendChild(el("code", null, text));
      var problems = byLine[n];
      if (problems) {
        var worst = problems.some(function (r) { return r.severity === "error"; }) ? "error"
          : problems.some(function (r) { return r.severity === "warning"; }) ? "warning" : "info";
        li.className = "flagged " + worst;
        li.setAttribute("data-severity", worst);
        problems.forEach(function (r) {
          li.appendChild(el("span", "line-problem", r.severity + " " + r.code + ": " + r.message));
        });
      }
      listing.appendChild(li);
    });
  }

  function renderReport(report, text) {
    var section = $("report");
    section.hidden = false;
    var verdict = $("verdict");
    var counts = report.counts || {};
    verdict.className = "verdict " + (report.conforms ? "ok" : "bad");
    verdict.setAttribute("data-conforms", String(Boolean(report.conforms)));
    verdict.textContent = (report.conforms ? "Conforms" : "Does not conform") +
      " · " + plural(counts.error || 0, "error") + ", " + plural(counts.warning || 0, "warning") +
      ", " + plural(counts.info || 0, "note") + (report.slug ? " · slug " + report.slug : "");
    if (report.slug) lastSlug = report.slug;
    var list = $("results");
    list.textContent = "";
    var byLine = {};
    (report.results || []).forEach(function (r) {
      var li = el("li");
      li.setAttribute("data-code", r.code);
      li.appendChild(el("span", "severity " + r.severity, r.severity));
      li.appendChild(el("code", null, r.code));
      li.appendChild(document.createTextNode(" " + r.message + " "));
      if (r.line) {
        var a = el("a", "source-line", "line " + r.line);
        a.href = "#src-L" + r.line;
        li.appendChild(a);
        (byLine[r.line] = byLine[r.line] || []).push(r);
      }
      if (r.focus) li.appendChild(el("span", "tag", " " + r.focus));
      list.appendChild(li);
    });
    if (!(report.results || []).length) list.appendChild(el("li", null, "No problems found."));
    renderListing(text.split("\n"), byLine);
    $("report-heading").focus();
  }

  function problem(result, fallback) {
    if (result.body && result.body.message) return result.body.message + " (" + result.body.code + ")";
    if (result.status === 404 || result.status === 405) return fallback;
    return "The server answered " + result.status + ".";
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = entry.value;
    if (!text.trim()) { status("validate-status", "Paste or upload an entry first."); return; }
    var url = api + "/validate" + (slugInput.value.trim() ? "?slug=" + encodeURIComponent(slugInput.value.trim()) : "");
    status("validate-status", "Validating…");
    fetch(url, {
      method: "POST",
      headers: { "Content-Type": type.value + "; charset=utf-8", Accept: "application/json" },
      body: text,
    })
      .then(readJson)
      .then(function (result) {
        if (result.ok && result.body) {
          status("validate-status", "");
          renderReport(result.body, text);
        } else {
          status("validate-status", problem(result, "This server has no validation service."));
        }
      })
      .catch(function (err) { status("validate-status", "Could not reach the server: " + err); });
  });

  $("entry-file").addEventListener("change", function () {
    var file = this.files && this.files[0];
    if (!file) return;
    var ext = (file.name.split(".").pop() || "").toLowerCase();
    if (EXTENSIONS[ext]) type.value = EXTENSIONS[ext];
    file.text().then(function (text) {
      entry.value = text;
      status("validate-status", "Loaded " + file.name + " (" + file.size + " bytes).");
    });
  });

  entry.addEventListener("input", function () {
    previewed = null;
    $("submit-real").disabled = true;
  });

  // -- the editor key and the write ----------------------------------------------------------
  try { keyInput.value = window.sessionStorage.getItem(KEY) || ""; } catch (e) { /* storage off */ }
  keyInput.addEventListener("change", function () {
    try { window.sessionStorage.setItem(KEY, keyInput.value); } catch (e) { /* storage off */ }
  });
  $("forget-key").addEventListener("click", function () {
    keyInput.value = "";
    try { window.sessionStorage.removeItem(KEY); } catch (e) { /* storage off */ }
    status("submit-status", "Key forgotten.");
  });

  function target() {
    var slug = slugInput.value.trim() || lastSlug;
    if (type.value === "text/markdown") {
      if (!slug) return null;
      return { method: "PUT", url: api + "/notes/" + encodeURIComponent(slug), slug: slug };
    }
    return { method: "POST", url: api + "/concepts", slug: slug };
  }

  function renderDiff(body, dryRun) {
    var box = $("diff");
    box.hidden = false;
    box.textContent = "";
    var diff = body.diff || {};
    box.appendChild(el("p", "verdict ok", (dryRun ? "Dry run: nothing was written. " : "Saved. ") +
      (body.slug ? "Note " + body.slug : "The entry") +
      (body.version ? ", version " + body.version : "") +
      ": +" + (diff.added || 0) + " / −" + (diff.removed || 0) + " triples."));
    box.setAttribute("data-dry-run", String(dryRun));
    function list(title, items, fmt) {
      if (!items || !items.length) return;
      box.appendChild(el("h3", null, title + " (" + items.length + ")"));
      var ul = el("ul", "items");
      items.slice(0, 200).forEach(function (x) { ul.appendChild(el("li", null, fmt(x))); });
      box.appendChild(ul);
    }
    var rel = function (r) { return r.subject + " — " + r.relation + " → " + r.object; };
    list("New concepts", diff.concepts_created, String);
    list("Relations added", diff.relations_added, rel);
    list("Relations removed", diff.relations_removed, rel);
    ["triples_added", "triples_removed"].forEach(function (key) {
      var lines = diff[key] || [];
      if (!lines.length) return;
      var details = el("details");
      details.appendChild(el("summary", null, (key === "triples_added" ? "Triples added" : "Triples removed") + " (" + lines.length + ")"));
      details.appendChild(el("pre", key === "triples_added" ? "added" : "removed", lines.join("\n")));
      box.appendChild(details);
    });
    if (!dryRun && body.slug) {
      var p = el("p");
      var a = el("a", null, "Open the note's page");
      a.href = root + "/note/" + encodeURIComponent(body.slug);
      p.appendChild(a);
      box.appendChild(p);
    }
  }

  function write(dryRun) {
    var key = keyInput.value.trim();
    var text = entry.value;
    var where = target();
    if (!key) { status("submit-status", "Type an editor key first."); return; }
    if (!text.trim()) { status("submit-status", "Paste or upload an entry first."); return; }
    if (!where) { status("submit-status", "Give the note's slug (or validate it first)."); return; }
    if (!dryRun && (!previewed || previewed.text !== text || previewed.type !== type.value)) {
      status("submit-status", "Preview the change first."); return;
    }
    status("submit-status", dryRun ? "Checking…" : "Submitting…");
    fetch(where.url + (dryRun ? "?dry_run=true" : ""), {
      method: where.method,
      headers: {
        "Content-Type": type.value + "; charset=utf-8",
        Accept: "application/json",
        Authorization: "Bearer " + key,
      },
      body: text,
    })
      .then(readJson)
      .then(function (result) {
        var body = result.body || {};
        if (result.ok) {
          status("submit-status", "");
          renderDiff(body, dryRun);
          if (body.report) renderReport(body.report, text);
          previewed = dryRun ? { text: text, type: type.value } : null;
          $("submit-real").disabled = !dryRun;
          return;
        }
        $("submit-real").disabled = true;
        if (body.report) renderReport(body.report, text);
        status("submit-status", problem(result, "This server does not accept writes."));
      })
      .catch(function (err) { status("submit-status", "Could not reach the server: " + err); });
  }

  $("dry-run").addEventListener("click", function () { write(true); });
  $("submit-real").addEventListener("click", function () { write(false); });
})();
