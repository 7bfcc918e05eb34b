// The live concept graph (Cytoscape.js, vendored under static/vendor/cytoscape/).
//  - [data-graph="slug"]: the neighbourhood of a concept from /api/v1/concepts/{slug}/graph,
//    with a depth control ([data-graph-controls]); click or tap a node to open its page;
//  - [data-path-from][data-path-to]: the shortest connections between two concepts, from
//    /api/v1/concepts/{a}/path/{b}, drawn as a graph.
// Edge colours and names come from the page (data-relations), the same list as the legend.
// Every graph is kept in window.intimacyGraph.graphs by its element id (tests read it).
(function () {
  "use strict";

  var registry = (window.intimacyGraph = window.intimacyGraph || { graphs: {} });

  function relationsOf(el) {
    var byName = {};
    JSON.parse(el.getAttribute("data-relations") || "[]").forEach(function (r) {
      byName[r.name] = r;
    });
    return byName;
  }

  function style(relations) {
    var rules = [
      {
        selector: "node",
        style: {
          label: "data(label)",
          "background-color": "#ffffff",
          "border-color": "#2f6f8f",
          "border-width": 2,
          width: 18,
          height: 18,
          "font-size": 11,
          color: "#1f2933",
          "text-valign": "bottom",
          "text-margin-y": 4,
          "text-wrap": "wrap",
          "text-max-width": 110,
          "text-background-color": "#fcfdfe",
          "text-background-opacity": 0.8,
        },
      },
      { selector: "node.centre", style: { "background-color": "#2f6f8f", width: 26, height: 26, "font-weight": "bold" } },
      { selector: "node.end", style: { "background-color": "#e69f00", "border-color": "#8a5a00" } },
      {
        selector: "edge",
        style: {
          width: 2,
          "curve-style": "bezier",
          "target-arrow-shape": "triangle",
          "arrow-scale": 0.9,
          "line-color": "#8a949e",
          "target-arrow-color": "#8a949e",
          label: "data(name)",
          "font-size": 8,
          color: "#52606d",
          "text-rotation": "autorotate",
          "text-background-color": "#fcfdfe",
          "text-background-opacity": 0.8,
        },
      },
      { selector: "node:selected", style: { "border-color": "#e69f00", "border-width": 4 } },
    ];
    Object.keys(relations).forEach(function (name) {
      rules.push({
        selector: 'edge[relation = "' + name + '"]',
        style: { "line-color": relations[name].colour, "target-arrow-color": relations[name].colour },
      });
    });
    return rules;
  }

  function setText(id, text) {
    var el = document.getElementById(id);
    if (el) el.textContent = text;
  }

  function listNodes(el, nodes, root) {
    var list = document.getElementById(el.id + "-nodes");
    if (!list) return;
    list.textContent = "";
    nodes.forEach(function (n) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = root + "/concept/" + encodeURIComponent(n.slug);
      a.textContent = n.label;
      li.appendChild(a);
      list.appendChild(li);
    });
    setText(el.id + "-count", String(nodes.length));
  }

  function draw(el, elements, layout, onDone) {
    var root = el.getAttribute("data-root") || "";
    var old = registry.graphs[el.id];
    if (old) old.destroy();
    var cy = window.cytoscape({
      container: el,
      elements: elements,
      style: style(relationsOf(el)),
      layout: layout,
      minZoom: 0.2,
      maxZoom: 1.5,
    });
    cy.on("tap", "node", function (evt) {
      window.location.href = root + "/concept/" + encodeURIComponent(evt.target.data("slug"));
    });
    cy.on("mouseover", "node", function () { el.style.cursor = "pointer"; });
    cy.on("mouseout", "node", function () { el.style.cursor = ""; });
    registry.graphs[el.id] = cy;
    el.setAttribute("data-nodes", String(cy.nodes().length));
    el.setAttribute("data-edges", String(cy.edges().length));
    if (onDone) onDone(cy);
    return cy;
  }

  // Rings around the concept, one per hop, each ring ordered by the relation that reached it
  // (so colours cluster); a crowded ring alternates between two radii so labels keep room and
  // the outer spokes pass between inner nodes.  Deterministic: same graph, same picture.
  function layoutFor(nodes, edges) {
    var relationOf = {};
    edges.forEach(function (e) {
      [e.source, e.target].forEach(function (id) {
        if (!(id in relationOf)) relationOf[id] = e.relation;
      });
    });
    var byDepth = {};
    nodes.forEach(function (n) { (byDepth[n.depth] = byDepth[n.depth] || []).push(n); });
    var positions = {};
    var radius = 0;
    Object.keys(byDepth).map(Number).sort().forEach(function (d) {
      var ring = byDepth[d].slice().sort(function (a, b) {
        var ra = relationOf[a.id] || "", rb = relationOf[b.id] || "";
        return ra < rb ? -1 : ra > rb ? 1 : a.label < b.label ? -1 : 1;
      });
      if (d === 0 && ring.length === 1) { positions[ring[0].id] = { x: 0, y: 0 }; return; }
      var split = ring.length > 14;
      var inner = Math.max(radius + 130, (ring.length * (split ? 46 : 80)) / (2 * Math.PI));
      var outer = inner + (split ? 95 : 0);
      ring.forEach(function (n, i) {
        var angle = -Math.PI / 2 + (2 * Math.PI * i) / ring.length;
        var r = split && i % 2 === 1 ? outer : inner;
        positions[n.id] = { x: r * Math.cos(angle), y: r * Math.sin(angle) };
      });
      radius = outer;
    });
    return {
      name: "preset",
      positions: function (node) { return positions[node.id()] || { x: 0, y: 0 }; },
      fit: true,
      padding: 24,
      animate: false,
    };
  }

  function edgeName(relations, relation) {
    return relations[relation] ? relations[relation].label : relation;
  }

  function neighbourhood(el) {
    var api = el.getAttribute("data-api");
    var root = el.getAttribute("data-root") || "";
    var slug = el.getAttribute("data-graph");
    var relations = relationsOf(el);
    var select = document.getElementById(el.id + "-depth");
    var fromUrl = new URLSearchParams(window.location.search).get("depth");
    if (select && /^[123]$/.test(fromUrl || "")) select.value = fromUrl;

    function load() {
      var depth = select ? select.value : el.getAttribute("data-depth") || "1";
      el.setAttribute("data-state", "loading");
      setText(el.id + "-status", "Loading…");
      fetch(api + "/concepts/" + encodeURIComponent(slug) + "/graph?depth=" + depth, {
        headers: { Accept: "application/json" },
      })
        .then(function (r) {
          if (!r.ok) throw new Error("the graph could not be loaded (" + r.status + ")");
          return r.json();
        })
        .then(function (body) {
          var elements = body.nodes.map(function (n) {
            return {
              group: "nodes",
              data: { id: n.id, slug: n.slug, label: n.label, depth: n.depth },
              classes: n.depth === 0 ? "centre" : "",
            };
          });
          body.edges.forEach(function (e) {
            elements.push({
              group: "edges",
              data: {
                id: e.source + " " + e.property + " " + e.target,
                source: e.source,
                target: e.target,
                relation: e.relation,
                name: edgeName(relations, e.relation),
              },
            });
          });
          draw(el, elements, layoutFor(body.nodes, body.edges));
          listNodes(el, body.nodes, root);
          setText(
            el.id + "-status",
            body.nodes.length + " concepts, " + body.edges.length + " links" +
              (body.truncated ? " (cut short: too many to draw)" : "")
          );
          el.setAttribute("data-state", "ready");
        })
        .catch(function (err) {
          setText(el.id + "-status", String(err.message || err));
          el.setAttribute("data-state", "error");
        });
    }

    if (select) {
      select.addEventListener("change", function () {
        var url = new URL(window.location.href);
        url.searchParams.set("depth", select.value);
        window.history.replaceState(null, "", url.toString());
        load();
      });
      var form = select.form;
      if (form) form.addEventListener("submit", function (e) { e.preventDefault(); load(); });
    }
    load();
  }

  function path(el) {
    var api = el.getAttribute("data-api");
    var from = el.getAttribute("data-path-from");
    var to = el.getAttribute("data-path-to");
    var relations = relationsOf(el);
    el.setAttribute("data-state", "loading");
    fetch(api + "/concepts/" + encodeURIComponent(from) + "/path/" + encodeURIComponent(to), {
      headers: { Accept: "application/json" },
    })
      .then(function (r) {
        if (!r.ok) throw new Error("the path could not be loaded (" + r.status + ")");
        return r.json();
      })
      .then(function (body) {
        var nodes = {};
        var edges = {};
        (body.paths || []).forEach(function (steps) {
          steps.forEach(function (step) {
            [step.from, step.to].forEach(function (n) {
              nodes[n["@id"]] = { id: n["@id"], slug: n.slug, label: n.prefLabel || n.slug };
            });
            var e = step.edge;
            var id = e.subject + " " + e.property + " " + e.object;
            edges[id] = {
              id: id,
              source: e.subject,
              target: e.object,
              relation: step.relation,
              name: edgeName(relations, step.relation),
            };
          });
        });
        var elements = Object.keys(nodes).map(function (k) {
          var n = nodes[k];
          var end = n.slug === from || n.slug === to;
          return { group: "nodes", data: n, classes: end ? "end" : "" };
        });
        Object.keys(edges).forEach(function (k) {
          elements.push({ group: "edges", data: edges[k] });
        });
        draw(el, elements, { name: "breadthfirst", directed: false, roots: elements.filter(function (x) {
          return x.group === "nodes" && x.data.slug === from;
        }).map(function (x) { return x.data.id; }), spacingFactor: 1.2, animate: false });
        el.setAttribute("data-connected", String(Boolean(body.connected)));
        el.setAttribute("data-state", "ready");
      })
      .catch(function (err) {
        setText(el.id + "-status", String(err.message || err));
        el.setAttribute("data-state", "error");
      });
  }

  if (!window.cytoscape) return;
  document.querySelectorAll("[data-graph]").forEach(neighbourhood);
  document.querySelectorAll("[data-path-from][data-path-to]").forEach(path);
})();
