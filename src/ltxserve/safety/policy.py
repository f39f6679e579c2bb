"""The prompt policy: an operator-editable list of refused words and phrases (format in docs/safety.md)."""

from __future__ import annotations

import re
import threading
from pathlib import Path

DEFAULT_POLICY = """\
# ltxserve prompt policy: prompts containing any of these words or phrases are refused.
#
# One word or phrase per line. Matching ignores case and compares whole words: "rape" does not match
# "grape", and a phrase matches with any run of spaces between its words ("child  abuse"). A trailing *
# matches any word ending ("nud*" matches "nude", "nudity"). Lines starting with # and blank lines are
# ignored. The file is re-read when it changes; no restart needed. See docs/safety.md.

# Sexual content involving minors
child porn*
child sexual abuse
csam
underage sex
underage nude
naked child*
nude child*
naked minor*
nude minor*
naked kid*
nude kid*
loli
lolicon
shotacon
pedophil*
paedophil*

# Sexual violence and non-consent
rape
raping
sexual assault
non-consensual sex
revenge porn

# Other
bestiality
snuff film
beheading video
"""


def term_pattern(term: str) -> str:
    """A regex for one policy term: whole words, any whitespace between words, optional trailing `*`."""
    words = term.split()
    parts = [re.escape(word.rstrip("*")) + (r"\w*" if word.endswith("*") else "") for word in words]
    return r"(?<!\w)" + r"\s+".join(parts) + r"(?!\w)"


def parse_policy(text: str) -> list[str]:
    """The terms of a policy file: one per line, `#` comments and blank lines skipped."""
    terms = (line.strip() for line in text.splitlines())
    return [term for term in terms if term and not term.startswith("#") and term.rstrip("*")]


class PromptPolicy:
    """Refuses prompts that contain a listed term; re-reads its file when the file changes."""

    def __init__(self, path: Path | None = None) -> None:
        # No path: the built-in default list, kept in memory (tests, `ltxserve generate` without a data dir).
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._pattern = self._compile(DEFAULT_POLICY)

    def violates(self, text: str) -> bool:
        """Whether any policy term occurs in `text` as whole words."""
        pattern = self._current()
        return pattern is not None and pattern.search(text) is not None

    def _current(self) -> re.Pattern[str] | None:
        if self.path is None:
            return self._pattern
        with self._lock:
            if not self.path.exists():
                # First use: write the default so operators have a documented file to edit.
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self.path.write_text(DEFAULT_POLICY)
            stat = self.path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size)
            if stamp != self._stamp:
                self._pattern = self._compile(self.path.read_text(encoding="utf-8"))
                self._stamp = stamp
            return self._pattern

    @staticmethod
    def _compile(text: str) -> re.Pattern[str] | None:
        terms = parse_policy(text)
        if not terms:
            return None
        return re.compile("|".join(term_pattern(term) for term in terms), re.IGNORECASE)
