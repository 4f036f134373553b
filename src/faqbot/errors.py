"""One exception tree for faqbot.

FaqbotError
├── CorpusError          a corpus file is wrong; carries the file and line
│   └── (corpus.importer.ImportProblem is a FaqbotError: a source cannot be imported losslessly)
├── SafetyRulesError     safety.yaml is missing or malformed (corpus.safety_rules)
├── ModelNotFound        the embedding model package is not installed
├── OnnxDirError, OnnxExportError   the ONNX encoder cannot be stored or matches torch badly
├── IndexProblem         (base for index problems)
│   ├── IndexNotFound    nothing is built/published yet
│   ├── IndexMismatch    built for another model or dimension, or without versioned rules
│   ├── IndexCorrupt     a file is missing, truncated, changed or inconsistent
│   └── IndexRecallTooLow  an approximate index misses too many exact neighbours
├── BuildInProgress      another build or rollback holds the index folder (index.history)
├── CalibrationError     thresholds cannot be chosen or read
├── WorkersUnreachable   the other workers cannot be asked to reload (serving.fleet)
├── FeedbackRefused      a vote for an unknown or expired answer (operations.feedback)
└── ApiProblem           a request refused with a status and a message (http.errors)

The API maps these to 4xx/503 in one handler; the CLI to a one-line message and exit 1.
"""

from __future__ import annotations

from pathlib import Path


class FaqbotError(Exception):
    """Base class: every error faqbot raises on purpose, with a message for a person."""


class CorpusError(FaqbotError):
    """A corpus file is malformed; the message points at the file and line."""

    def __init__(self, message: str, path: Path | None = None, line: int | None = None) -> None:
        self.path = path
        self.line = line
        self.detail = message
        where = f"{path}:{line}: " if path is not None and line else (f"{path}: " if path else "")
        super().__init__(f"{where}{message}")


class ModelNotFound(FaqbotError):
    """The configured embedding model cannot be found on this machine."""


class IndexProblem(FaqbotError):
    """Base for problems with a built index."""


class IndexNotFound(IndexProblem):
    """No index has been built or published yet."""


class IndexMismatch(IndexProblem):
    """The index was built for another model or dimension than the one configured."""


class IndexCorrupt(IndexProblem):
    """An index file is missing, truncated or inconsistent with the others."""


class IndexRecallTooLow(IndexProblem):
    """The approximate index's recall@10 against exact search is below the configured floor."""


class CalibrationError(FaqbotError):
    """Thresholds cannot be calibrated or the calibration file is unreadable."""
