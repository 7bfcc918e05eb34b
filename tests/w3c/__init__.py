"""The W3C SPARQL 1.1 test suites, run over HTTP against the real server (STYLE.md habit 5)."""
