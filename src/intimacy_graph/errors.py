"""One base exception and typed subclasses with a stable ``code`` (STYLE.md habit 3).

Only ``api/app.py`` and ``cli.py`` turn these into HTTP statuses or exit codes.
"""

from __future__ import annotations

from typing import Any


class IntimacyGraphError(Exception):
    """Base of every error the service raises on purpose."""

    code = "error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, **self.details}


class UnusableInputError(IntimacyGraphError):
    """Input that cannot be read at all (binary, not UTF-8, too large, wrong syntax)."""

    code = "unusable-input"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message, **details)
        if code is not None:
            self.code = code


class NotFoundError(IntimacyGraphError):
    code = "not-found"


class ValidationFailedError(IntimacyGraphError):
    """An entry did not conform; ``details['report']`` holds the report."""

    code = "validation-failed"


class PreconditionFailedError(IntimacyGraphError):
    """A conditional write (``If-Match``) named a version that is no longer the current one."""

    code = "precondition-failed"


class StoreError(IntimacyGraphError):
    code = "store-error"


class StoreUnavailableError(StoreError):
    code = "store-unavailable"


class QueryRefusedError(IntimacyGraphError):
    """A SPARQL request that is refused before evaluation (SERVICE, LOAD, too deep, ...)."""

    def __init__(self, message: str, *, code: str = "query-refused", **details: Any) -> None:
        super().__init__(message, **details)
        self.code = code


class QuerySyntaxError(IntimacyGraphError):
    code = "query-syntax"


class QueryTimeoutError(IntimacyGraphError):
    code = "query-timeout"


class ReasonerError(IntimacyGraphError):
    """The OWL reasoner gave no answer: it refused the input, failed or ran out of time.

    Codes: ``reasoner-failed`` (default), ``reasoner-timeout``. An inconsistent graph is not an
    error: it is a ``ReasoningReport`` with ``consistent=False``.
    """

    def __init__(self, message: str, *, code: str = "reasoner-failed", **details: Any) -> None:
        super().__init__(message, **details)
        self.code = code


class ReasonerUnavailableError(ReasonerError):
    """There is no reasoner to run: Java, or the HermiT jar shipped with owlready2, is missing."""

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message, code="reasoner-unavailable", **details)


class UnsupportedMediaTypeError(UnusableInputError):
    """A request body in a media type the route does not take (HTTP 415)."""

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message, code="unsupported-media-type", **details)


class NotReadyError(IntimacyGraphError):
    """The service is starting (store opening, index building): try again shortly (503)."""

    code = "not-ready"


class QueryEvaluationError(IntimacyGraphError):
    """A well-formed query or update the engine cannot evaluate (unknown function, missing
    graph, ...) (HTTP 400)."""

    def __init__(
        self, message: str, *, code: str = "query-evaluation-error", **details: Any
    ) -> None:
        super().__init__(message, **details)
        self.code = code
