"""Compliance findings for the ethics committee: what in a proposal's texts deserves a veto.

Every proposal the studio opens carries a "## Compliance findings" section, so the guardian
(who may cancel any proposal) has something concrete to judge: prompt-injection patterns
(instruction overrides, role markers, system-prompt exfiltration asks, hidden unicode,
encoded payloads), secrets (key shapes from detect-secrets' detectors, URL credentials,
private keys) and personal data (emails; phone numbers through libphonenumber), plus a record
of the models and prompt versions that produced the proposal's assets.

Pure functions of their input: a description must be byte-for-byte the same for the same
input, because a proposal's id is derived from it and re-proposing after a crash relies on
finding the same id. Nothing here reads the environment, the clock or a file.
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

INJECTION, SECRET, PERSONAL, HIDDEN, ENCODED = (
    "prompt injection", "secret", "personal data", "hidden characters", "encoded payload")

#: What every section says it looked for (the guardian should know what "none" covers).
CHECKS = ("prompt-injection patterns (instruction overrides, role markers, system-prompt "
          "asks, hidden unicode, encoded payloads)", "secrets (API keys and tokens, private "
          "keys, URL credentials)", "personal data (emails, phone numbers)")

_I = re.IGNORECASE
_INJECTION_PATTERNS = (
    ("instruction override", re.compile(
        r"\b(?:ignore|disregard|forget|override|bypass)\b[^.\n]{0,40}?\b(?:previous|prior|"
        r"above|earlier|preceding|all|any|your|the|these)\b[^.\n]{0,20}?\b(?:instructions?|"
        r"prompts?|rules|directions|guidelines|directives)\b", _I)),
    ("system-prompt ask", re.compile(
        r"\b(?:reveal|print|show|repeat|output|display|leak|tell me|give me|what (?:is|are))"
        r"\b[^.\n]{0,30}?\b(?:system (?:prompt|message)|(?:initial|hidden|original) "
        r"(?:prompt|instructions)|your (?:prompt|instructions))\b", _I)),
    ("role marker", re.compile(
        r"<\|(?:im_start|im_end|system|user|assistant|endoftext|eot_id|start_header_id|"
        r"end_header_id)\|>|\[/?INST\]|<</?SYS>>", _I)),
    ("jailbreak phrase", re.compile(
        r"\b(?:developer mode|DAN mode|do anything now|jailbreak|you are no longer bound|"
        r"new (?:instructions|system prompt)\s*:)", _I)),
)
# "system:" / "user:" at a line start is a chat transcript's role marker in model text; in a
# Prompty file it is the format itself, so it is only looked for outside prompt files.
_LINE_ROLE = re.compile(r"(?m)^\s*(?:system|assistant|developer)\s*:", _I)

# Shapes detect-secrets has no detector for, each with the secret in group "s" (the
# modern OpenAI key, URL credentials, key=… pairs, bearer tokens, PEM private keys).
_EXTRA_SECRETS = (
    ("OpenAI-style key", re.compile(r"\b(?P<s>sk-[A-Za-z0-9_-]{16,})")),
    ("URL credentials", re.compile(r"(?i)\b[a-z][a-z0-9+.-]*://(?P<s>[^/\s:@]+:[^/\s@]+)@")),
    ("key=value secret", re.compile(
        r"(?i)\b(?:api[_-]?key|access[_-]?token|token|secret|password|passphrase)"
        r"\s*[=:]\s*(?P<s>[^&\s'\"]{8,})")),
    ("bearer token", re.compile(r"(?i)\bbearer\s+(?P<s>[A-Za-z0-9._~+/=-]{16,})")),
    ("private key", re.compile(
        r"(?P<s>-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|\Z))",
        re.DOTALL)),
)
# detect-secrets detectors left out: entropy ones flag every prompt hash, the keyword one
# every "password: …" in prose, Artifactory's capitalised words, the IP one is no secret.
_SKIPPED_DETECTORS = {"Base64HighEntropyString", "HexHighEntropyString", "KeywordDetector",
                      "ArtifactoryDetector", "IPPublicDetector"}

_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
                    r"\.[A-Za-z]{2,}\b")
#: Findings listed in one section at most (the count of the rest is given).
MAX_SHOWN = 40
#: Where a phone number without a country code is read as national (libphonenumber needs
#: one); a number written with "+CC" is found whatever these are.
PHONE_REGIONS = ("US", "GB")
_BASE64 = re.compile(r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{24,}={0,2}(?![A-Za-z0-9+/=])")
_HEX = re.compile(r"[0-9a-fA-F]+")
_ZWJ = "\u200d"  # joins emoji sequences: ordinary in text


@dataclass(frozen=True, order=True)
class Finding:
    """One thing the committee should look at: where (which text), what kind, what exactly
    (secrets and personal data masked)."""

    where: str
    kind: str
    detail: str

    def markdown(self) -> str:
        return f"- **{self.kind}** in {_plain(self.where)}: {self.detail}"


@dataclass(frozen=True)
class ModelSource:
    """A model and prompt version that produced some of a proposal's assets."""

    provider: str
    model: str
    agent: str
    prompt_hash: str
    calls: int


@dataclass(frozen=True)
class SecretSpan:
    """Where a secret-shaped value sits in a text, and which shape it has."""

    name: str
    start: int
    end: int

    def masked(self, text: str) -> str:
        value = text[self.start:self.end]
        shown = value[:4] + "…" if len(value) >= 12 else "…"
        return f"{self.name} `{_code(shown)}` ({len(value)} characters)"


def check_text(where: str, text: str, *, prompt_file: bool = False) -> list[Finding]:
    """What ``text`` (labelled ``where``) holds that the committee should see, in order of
    position. ``prompt_file``: the text is a Prompty file, whose ``system:``/``user:`` lines
    are its format, not injected role markers."""
    found: list[tuple[int, Finding]] = []
    secrets = secret_spans(text)
    found += [(s.start, Finding(where, SECRET, s.masked(text))) for s in secrets]
    blanked = _blank(text, secrets)  # a key's characters are no email or phone number
    for name, pattern in _INJECTION_PATTERNS:
        found += [(m.start(), Finding(where, INJECTION, f"{name} “{_quote(m.group(0))}”"))
                  for m in pattern.finditer(blanked)]
    if not prompt_file:
        found += [(m.start(), Finding(where, INJECTION, f"role marker “{_quote(m.group(0))}”"))
                  for m in _LINE_ROLE.finditer(blanked)]
    found += _hidden(where, text)
    found += _encoded(where, blanked)
    found += [(m.start(), Finding(where, PERSONAL, "email " + _mask_email(m.group(0))))
              for m in _EMAIL.finditer(blanked)]
    found += _phones(where, blanked)
    unique = dict.fromkeys(finding for _, finding in sorted(found, key=lambda f: f[0]))
    return list(unique)


def check_texts(texts: Iterable[tuple[str, str]], *, prompt_file: bool = False
                ) -> list[Finding]:
    """:func:`check_text` over labelled texts, in the order given."""
    return [f for where, text in texts for f in check_text(where, text, prompt_file=prompt_file)]


def secret_spans(text: str) -> list[SecretSpan]:
    """Where ``text`` holds something shaped like a secret, without overlaps, in order."""
    spans = [SecretSpan(name, m.start("s"), m.end("s"))
             for name, pattern in _EXTRA_SECRETS for m in pattern.finditer(text)]
    for name, pattern in _detectors():
        for m in pattern.finditer(text):
            group = m.lastindex or 0
            if group and m.end(group) - m.start(group) < 8:  # a prefix group (GitHub's "ghp")
                group = 0
            start, end = m.span(group)
            value = text[start:end]  # detectors' edges may include a quote, "=" or a space
            start += len(value) - len(value.lstrip(" \t=:\"'"))
            end -= len(value) - len(value.rstrip(" \t=:\"'"))
            if end > start:
                spans.append(SecretSpan(name, start, end))
    chosen: list[SecretSpan] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end, s.name)):
        if not chosen or span.start >= chosen[-1].end:
            chosen.append(span)
    return chosen


def redact_secrets(text: str) -> str:
    """``text`` with every secret-shaped value replaced by ``[redacted]``."""
    for span in reversed(secret_spans(text)):
        text = text[:span.start] + "[redacted]" + text[span.end:]
    return text


def section(findings: Sequence[Finding], checked: Sequence[str],
            sources: Sequence[ModelSource] | None, *, no_model: str = "",
            source_notes: Sequence[str] = ()) -> str:
    """The "## Compliance findings" Markdown section: what was checked, what was found ("None
    found." explicitly when nothing), and the model sources (or ``no_model``: why none)."""
    lines = ["## Compliance findings", "",
             "Automatic checks for the ethics committee, who may cancel this proposal. "
             "Checked: " + "; ".join(_plain(c) for c in checked) + ". Looked for: "
             + "; ".join(CHECKS) + ".", ""]
    lines += [f.markdown() for f in findings[:MAX_SHOWN]] or ["None found."]
    if len(findings) > MAX_SHOWN:  # every byte of a description costs gas
        lines.append(f"- … and {len(findings) - MAX_SHOWN} more of the same kinds.")
    if any(f.kind == SECRET for f in findings):
        lines += ["", "Secret-shaped values are shown masked here."]
    lines += ["", "### Model and data sources", ""]
    if sources:
        lines += ["| provider | model | agent | prompt version | calls |",
                  "|---|---|---|---|---:|"]
        lines += [f"| {_plain(s.provider)} | `{_code(s.model)}` | {_plain(s.agent)} | "
                  f"`{_code(s.prompt_hash)}` | {s.calls} |" for s in sources]
        lines += ["", *source_notes] if source_notes else []
    else:
        lines.append(no_model or "No model call produced this proposal's texts.")
    return "\n".join(lines) + "\n"


def sources_of(calls: Iterable[tuple[str, str, str, str]]) -> list[ModelSource]:
    """Model sources from (provider, model, agent, prompt hash) per call: one row each,
    counted, in a fixed order."""
    counts: dict[tuple[str, str, str, str], int] = {}
    for key in calls:
        counts[key] = counts.get(key, 0) + 1
    return [ModelSource(*key, calls=n) for key, n in sorted(counts.items())]


@cache
def _detectors() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """detect-secrets' shape detectors (imported once, on first use: 0.1 s)."""
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.plugins.base import RegexBasedDetector

    mapping = get_mapping_from_secret_type_to_class()
    return tuple((name, pattern) for name, cls in sorted(mapping.items())
                 if issubclass(cls, RegexBasedDetector) and cls.__name__ not in _SKIPPED_DETECTORS
                 for pattern in cls().denylist)


def _hidden(where: str, text: str) -> list[tuple[int, Finding]]:
    hidden = [(i, ch) for i, ch in enumerate(text) if _is_hidden(ch)]
    if not hidden:
        return []
    names = ", ".join(dict.fromkeys(f"U+{ord(ch):04X}" for _, ch in hidden[:50]))
    return [(hidden[0][0], Finding(where, HIDDEN, f"{len(hidden)} invisible or bidi control "
                                   f"character(s): {names}"))]


def _is_hidden(ch: str) -> bool:
    if ch in "\n\t\r" or ch == _ZWJ:
        return False
    # Cf: bidi overrides, zero-width spaces, tag characters (ASCII smuggling); the
    # supplementary variation selectors can carry a hidden byte each.
    return unicodedata.category(ch) in ("Cf", "Cc", "Co") or 0xE0100 <= ord(ch) <= 0xE01EF


def _encoded(where: str, text: str) -> list[tuple[int, Finding]]:
    found = []
    for m in _BASE64.finditer(text):
        run = m.group(0)
        if _HEX.fullmatch(run) or run.isalpha():  # hashes, long words
            continue
        try:
            decoded = base64.b64decode(run + "=" * (-len(run) % 4), validate=True)
            plain = decoded.decode("utf-8")
        except (binascii.Error, ValueError):
            continue
        if len(plain) >= 12 and sum(ch.isprintable() for ch in plain) >= 0.9 * len(plain):
            preview = redact_secrets(plain)
            found.append((m.start(), Finding(where, ENCODED, f"base64 ({len(run)} characters) "
                                             f"that decodes to text: “{_quote(preview)}”")))
    return found


def _phones(where: str, text: str) -> list[tuple[int, Finding]]:
    from phonenumbers import Leniency, PhoneNumberFormat, PhoneNumberMatcher, format_number

    seen: dict[int, tuple[int, Finding]] = {}
    for region in PHONE_REGIONS:
        for match in PhoneNumberMatcher(text, region, leniency=Leniency.VALID):
            number = format_number(match.number, PhoneNumberFormat.E164)
            masked = f"+{match.number.country_code} …{number[-2:]}"
            seen.setdefault(match.start, (match.start, Finding(
                where, PERSONAL, f"phone number `{masked}` ({len(number) - 1} digits)")))
    return list(seen.values())


def _mask_email(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"`{_code(local[:1])}…@{_code(domain)}`"


def _blank(text: str, spans: Sequence[SecretSpan]) -> str:
    for s in spans:
        text = text[:s.start] + " " * (s.end - s.start) + text[s.end:]
    return text


def _quote(text: str, limit: int = 60) -> str:
    """Matched text as one short, plain line (it is shown to people, not interpreted)."""
    flat = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    return _plain(flat if len(flat) <= limit else flat[: limit - 1] + "…")


def _plain(text: str) -> str:
    """No Markdown of its own (links, tables, headings, HTML) in a proposal description."""
    return re.sub(r"([\\`\[\]<>*_#|!~])", r"\\\1", " ".join(text.split()))


def _code(text: str) -> str:
    return text.replace("`", "'").replace("|", "\\|")  # a pipe would end a table cell
