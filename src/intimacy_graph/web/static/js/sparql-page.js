// The SPARQL page: YASGUI pointed at this site's endpoint, with the example queries.
// Loaded as a file (no inline script) so the page runs under a strict Content-Security-Policy.
// YASGUI's defaults reach other hosts; each one is switched off here:
//   - requestConfig.endpoint (default https://dbpedia.org/sparql) -> our endpoint, on every tab,
//     also for tabs restored from local storage and for links that carry another endpoint;
//   - endpointCatalogueOptions (suggests dbpedia and wikidata) -> our endpoint only;
//   - the "property" and "class" autocompleters (they query lov.linkeddata.es) -> removed;
//     the "prefixes" autocompleter stays, on its bundled list (prefixCcApi stays null);
//   - corsProxy stays unset (else YASGUI probes every endpoint with an ASK request).
(function () {
  "use strict";

  var OFFLINE_AUTOCOMPLETERS = ["variables", "prefixes"];
  var config = JSON.parse(document.getElementById("sparql-page-config").textContent);
  var endpoint = new URL(config.endpoint, document.baseURI).href;
  var examples = config.examples;
  var Yasgui = window.Yasgui;

  // Yasqe merges its config arrays index by index, so a shorter list in the config would not
  // remove the online autocompleters: change the shared default list itself.
  var completers = Yasgui.Yasqe.defaults.autocompleters;
  completers.splice(0, completers.length);
  OFFLINE_AUTOCOMPLETERS.forEach(function (name) {
    if (name in Yasgui.Yasqe.Autocompleters) completers.push(name);
  });

  var yasgui = new Yasgui(document.getElementById("yasgui"), {
    persistenceId: "intimacy-graph-sparql",
    copyEndpointOnNewTab: false,
    corsProxy: undefined,
    requestConfig: {
      endpoint: endpoint,
      method: "POST",
      acceptHeaderGraph: "text/turtle,*/*;q=0.9",
      acceptHeaderSelect: "application/sparql-results+json,*/*;q=0.9",
    },
    endpointCatalogueOptions: {
      getData: function () {
        return [{ endpoint: endpoint }];
      },
    },
    populateFromUrl: function (tabConfig) {
      tabConfig.requestConfig.endpoint = endpoint;
      return tabConfig;
    },
    yasqe: {
      value: config.starterQuery,
      prefixCcApi: null,
      resizeable: true,
      editorHeight: "22rem",
    },
    yasr: {
      prefixes: config.prefixes,
    },
  });

  // Tabs restored from an earlier visit keep the endpoint they were saved with.
  yasgui.persistentConfig.getTabs().forEach(function (id) {
    var tab = yasgui.getTab(id);
    if (tab && tab.getEndpoint() !== endpoint) tab.setEndpoint(endpoint);
  });

  var picker = document.getElementById("example-picker");
  var description = document.getElementById("example-description");

  function openExample(example) {
    // One tab per example: reopen it if it is still there (with the user's edits).
    var ids = yasgui.persistentConfig.getTabs();
    for (var i = 0; i < ids.length; i++) {
      var tab = yasgui.getTab(ids[i]);
      if (tab && tab.getName() === example.title) {
        yasgui.selectTabId(ids[i]);
        return tab;
      }
    }
    return yasgui.addTab(true, {
      name: example.title,
      yasqe: { value: example.query },
      requestConfig: { endpoint: endpoint },
    });
  }

  picker.addEventListener("change", function () {
    var example = examples.find(function (e) {
      return e.name === picker.value;
    });
    description.textContent = example ? example.description : "";
    if (example) openExample(example);
  });

  window.intimacyGraphSparqlPage = { yasgui: yasgui, endpoint: endpoint };
})();
