"""Bodies of the hostile corpus that are too big, too binary or too slow to write inline.

Each generator takes the canary URL and returns the body: bytes, or an iterator of chunks
(sent with chunked transfer encoding, so no Content-Length warns the server).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

Body = bytes | Iterator[bytes]

RDF_XML = (
    b'<?xml version="1.0"?>\n<rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:e="urn:e#">'
)
DEPTH = 50_000


def ttl_deep_blank_nodes(canary: str) -> Body:
    return b"<urn:a> <urn:p> " + b"[ <urn:p> " * DEPTH + b"1" + b" ]" * DEPTH + b" ."


def ttl_deep_collections(canary: str) -> Body:
    return b"<urn:a> <urn:p> " + b"( " * DEPTH + b"1" + b" )" * DEPTH + b" ."


def ttl_invalid_utf8(canary: str) -> Body:
    return b'<urn:a> <urn:p> "caf\xc3\x28 \xff\xfe" .\n'


def ttl_nul_in_iri(canary: str) -> Body:
    return b'<urn:a\x00b> <urn:p> "x" .\n'


def ttl_huge_integer(canary: str) -> Body:
    return b"<urn:a> <urn:p> " + b"9" * 1_000_000 + b" ."


def ttl_huge_unterminated_literal(canary: str) -> Body:
    return b'<urn:a> <urn:p> "' + b"x" * 3_000_000


def nt_huge_unterminated_literal(canary: str) -> Body:
    return b'<urn:a> <urn:p> "' + b"x" * 1_500_000


def nt_huge_literal(canary: str) -> Body:
    return b'<urn:a> <urn:p> "' + b"x" * 3_000_000 + b'" .\n'


def xml_deep_truncated(canary: str) -> Body:
    return RDF_XML + b'<rdf:Description rdf:about="urn:a">' + b"<e:p><rdf:Description>" * 20_000


def xml_invalid_utf8(canary: str) -> Body:
    return (
        RDF_XML
        + b'<rdf:Description rdf:about="urn:a"><e:p>\xff\xfe</e:p></rdf:Description></rdf:RDF>'
    )


def xml_nul(canary: str) -> Body:
    return (
        RDF_XML + b'<rdf:Description rdf:about="urn:a"><e:p>\x00</e:p></rdf:Description></rdf:RDF>'
    )


def xml_billion_laughs(canary: str) -> Body:
    return _billion_laughs()


def _billion_laughs() -> bytes:
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    ]
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [' + "".join(entities) + "]>\n"
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:e="urn:e#">'
        '<rdf:Description rdf:about="urn:a"><e:p>&lol9;</e:p></rdf:Description></rdf:RDF>'
    ).encode()


def xml_utf16_bomb(canary: str) -> Body:
    text = _billion_laughs().decode()
    return text.replace('version="1.0"', 'version="1.0" encoding="UTF-16"').encode("utf-16")


def jsonld_invalid_utf8(canary: str) -> Body:
    return b'{"@id": "urn:a", "urn:p": "\xff\xfe"}'


def jsonld_deep_objects(canary: str) -> Body:
    return b'{"@id": "urn:a", "urn:p": ' + b'{"urn:p": ' * DEPTH + b"1" + b"}" * DEPTH + b"}"


def jsonld_deep_arrays(canary: str) -> Body:
    return b"[" * 100_000 + b"]" * 100_000


def jsonld_900_deep_with_context(canary: str) -> Body:
    """Shallow enough for ``json.loads``, deep enough for a recursive walk over it."""
    depth = 900
    return (
        b'{"@id": "urn:a", "urn:p": '
        + b'{"urn:p": ' * depth
        + f'{{"@context": "{canary}/deep"}}'.encode()
        + b"}" * depth
        + b"}"
    )


def jsonld_huge_number(canary: str) -> Body:
    return b'{"@id": "urn:a", "urn:p": ' + b"9" * 1_000_000 + b"}"


def five_megabytes(canary: str) -> Body:
    return b"#" * (5 * 1024 * 1024)


def five_megabytes_form(canary: str) -> Body:
    return b"query=" + b"A" * (5 * 1024 * 1024)


def six_megabytes_chunked(canary: str) -> Body:
    return (b"#" * (1024 * 1024) for _ in range(6))


def slow_bad_turtle(canary: str) -> Body:
    """Twelve small chunks, 0.25 s apart: a slow client, then a syntax error."""

    def chunks() -> Iterator[bytes]:
        for i in range(12):
            time.sleep(0.25)
            yield f"<urn:a> <urn:p> {i} .\n".encode()
        yield b"<urn:a> <urn:p> ."

    return chunks()


def sparql_long_path_sequence(canary: str) -> Body:
    step = "<http://www.w3.org/2004/02/skos/core#related>"
    return f"SELECT * WHERE {{ ?s {'/'.join([step] * 300)} ?o }}".encode()


def sparql_nested_path(canary: str) -> Body:
    return ("SELECT * WHERE { ?s " + "(" * 200 + "<urn:p>" + ")*" * 200 + " ?o }").encode()


def sparql_huge_regex(canary: str) -> Body:
    pattern = "(a|aa)*" * 3000 + "b"
    return f'SELECT * WHERE {{ ?s ?p ?o FILTER(REGEX(STR(?o), "{pattern}")) }} LIMIT 1'.encode()


def sparql_concat_blowup(canary: str) -> Body:
    """One string doubled 24 times: 160 MB from a 10-character seed."""
    binds = " ".join(f"BIND(CONCAT(?x{i}, ?x{i}) AS ?x{i + 1})" for i in range(24))
    return f'SELECT (STRLEN(?x24) AS ?n) WHERE {{ VALUES ?x0 {{ "aaaaaaaaaa" }} {binds} }}'.encode()


def sparql_nested_groups(canary: str) -> Body:
    return ("SELECT * WHERE " + "{" * 5000 + "}" * 5000).encode()


def sparql_nested_optionals(canary: str) -> Body:
    return ("SELECT * WHERE { ?s ?p ?o " + "OPTIONAL { ?s ?p ?o " * 100 + "}" * 100 + "}").encode()


def sparql_nested_subselects(canary: str) -> Body:
    return (
        "SELECT * WHERE { " + "{ SELECT * WHERE " * 80 + "{ ?s ?p ?o }" + " }" * 80 + " }"
    ).encode()


def sparql_too_large(canary: str) -> Body:
    return b"SELECT * WHERE { ?s ?p ?o } #" + b"x" * 200_000


def sparql_invalid_utf8(canary: str) -> Body:
    return b'ASK { ?s ?p "\xff\xfe" }'


def png_bytes(canary: str) -> Body:
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8


def note_with_nul(canary: str) -> Body:
    return b"**Trust\x00** is a concept.\n\n#### Related Concepts\n- [[Love\x00]]\n"


GENERATORS: dict[str, Callable[[str], Body]] = {
    name: fn
    for name, fn in globals().items()
    if callable(fn) and fn.__module__ == __name__ and not name.startswith("_")
}
