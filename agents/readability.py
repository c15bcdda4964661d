"""Readability of model-written text, field by field: is it words, or noise?

Schema validity says nothing about whether a comic reads (issue 15: every reply of the
bundled model was schema-valid, yet 42% of its text fields held junk). This module scores
each text field of an agent's output — share of dictionary words, junk characters, word
loops, name shape — and turns what falls below the thresholds into typed findings with a
one-line message. ``atelier.agents.readability_story`` measures whole stories on top of it.

The word list is pyspellchecker's English list (MIT, pinned in uv.lock), read offline.
Measured against the issue's junk, the model's own junk replies and hand-written prose, it
separated them as well as Debian's SCOWL-based ``wamerican`` (prose 100% / 99% known,
letter salad 8% / 8%), and it installs with pip. Like every frequency list it holds every
single letter and hundreds of two-letter tokens, so letter salad ("ee ds o gnp") would pass
it: words are weighted by their length and tokens of one or two letters count only when
they are common English words (``_SHORT_WORDS``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

#: Fields a model writes as prose, and as names or titles (ids, enums and colours are not
#: prose: grammars and validation already hold them).
PROSE_KEYS = frozenset({"logline", "world", "arc", "look", "personality", "summary", "setting",
                        "beat", "action", "caption", "text", "appearance", "silhouette",
                        "costume"})
NAME_KEYS = frozenset({"name"})
TITLE_KEYS = frozenset({"title"})

FieldKind = Literal["prose", "name", "title"]
FindingKind = Literal[
    "junk", "unknown_words", "word_loop", "name_shape", "repeated_line", "short_action",
    "few_characters", "silent_scene", "speaker_absent", "off_goal", "copied", "other_name",
]

_SHORT_WORDS = frozenset({
    "a", "i", "ah", "am", "an", "as", "at", "ax", "be", "by", "do", "dr", "go", "ha", "he", "hi",
    "ho", "if", "in", "is", "it", "me", "mr", "ms", "my", "no", "of", "oh", "ok", "on", "or", "ow",
    "ox", "so", "to", "tv", "uh", "up", "us", "we", "yo"
})
#: The typographic apostrophe models write as often as the straight one.
APOSTROPHE = "\u2019"
_WORD = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*")
#: Characters that are not prose in a comic: markup, code and template debris (the issue's
#: list), plus a digit glued to letters ("Lena_4", "2018-A").
_JUNK_CHARS = re.compile(r"[{}\[\]|/\\_&#<>=^~*@$%`]")
_GLUED_DIGIT = re.compile(r"[^\W\d_]\d|\d[^\W\d_]")
#: A semicolon is prose between words ("the tide line; Mara runs"), debris elsewhere ("}];").
_BAD_SEMICOLON = re.compile(r"(?<![^\W\d_]);|;(?! )")
_NAME_PARTICLES = frozenset({"of", "the", "de", "da", "van", "von", "le", "la", "del", "di"})


class ReadabilitySettings(BaseModel):
    """[readability] in config.toml: when a text field is sent back to the model, and what
    the review reports."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Extra model calls spent on unreadable fields (within [agents] max_attempts); after
    #: them the most readable valid reply is kept and the review reports what is wrong.
    #: 0 only reports.
    retries: Annotated[int, Field(ge=0, le=5)] = 1
    #: A field of three words or more (or one long word) needs this share of dictionary
    #: words, weighted by their letters.
    min_word_share: Annotated[float, Field(ge=0, le=1)] = 0.8
    #: A panel's action needs this many words to say what we see.
    min_action_words: Annotated[int, Field(ge=0, le=20)] = 3
    #: A word of at least this many letters that neither the dictionary nor the story
    #: knows ("avalonkey", "there'renthe") is reported and sent back even when the rest of
    #: its field reads: one made-up word is what a reader trips over. 0 turns it off.
    unknown_word_letters: Annotated[int, Field(ge=0, le=30)] = 5
    #: Characters a series bible should have.
    min_characters: Annotated[int, Field(ge=1, le=5)] = 2
    #: Share of an episode's panels that mention the brief's or the bible's people, places
    #: or things.
    min_on_goal: Annotated[float, Field(ge=0, le=1)] = 0.5
    #: A run of this many words taken verbatim from the brief (or the bible's logline, world
    #: or arc) is a copy, not writing.
    copy_words: Annotated[int, Field(ge=3, le=100)] = 8


@dataclass(frozen=True)
class Finding:
    """One readability problem: what kind, where (a field path or "panel 3"), and a one-line
    message that can be fed back to the model or shown to members."""

    kind: FindingKind
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass(frozen=True)
class TextField:
    path: str  # as validation errors name it: "characters.0.look"
    kind: FieldKind
    text: str


@dataclass(frozen=True)
class FieldScore:
    field: TextField
    letters: int  # letters in word tokens, the weight of the field
    known_letters: int  # of those, in dictionary words or known names
    words: int
    junk: tuple[str, ...]  # junk characters found, once each
    unknown: tuple[str, ...]  # words neither the dictionary nor the story knows, once each
    loop: str | None  # a phrase the field repeats, if any

    @property
    def word_share(self) -> float:
        return self.known_letters / self.letters if self.letters else 1.0


@cache
def dictionary() -> frozenset[str]:
    """The English word list, lower case (loaded once per process, ~0.1 s)."""
    from spellchecker import SpellChecker

    return frozenset(SpellChecker(language="en", distance=1).word_frequency.dictionary)


class Vocabulary:
    """The dictionary plus words the story itself makes known: the brief's, and the names
    of the bible's characters (a made-up name is in no dictionary, but it is in the story)."""

    def __init__(self, extra: Iterable[str] = ()) -> None:
        self.words = dictionary()
        self.extra = frozenset(w.lower() for text in extra for w in words_of(text))

    def knows(self, token: str) -> bool:
        word = token.lower().replace(APOSTROPHE, "'")
        if word.endswith("'s"):
            word = word[:-2]
        if word in self.extra:
            return True
        if len(word) <= 2:
            return word in _SHORT_WORDS
        return word in self.words


def words_of(text: str) -> list[str]:
    return _WORD.findall(text)


def text_fields(value: BaseModel | Mapping[str, Any]) -> list[TextField]:
    """Every model-written text field of ``value`` (an agent's output), with its path."""
    data = value.model_dump(mode="json") if isinstance(value, BaseModel) else value
    return list(_walk(data, ""))


def _walk(node: Any, path: str) -> Iterator[TextField]:
    if isinstance(node, Mapping):
        for key, sub in node.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(sub, str):
                kind: FieldKind | None = ("prose" if key in PROSE_KEYS else "name"
                                          if key in NAME_KEYS else "title"
                                          if key in TITLE_KEYS else None)
                if kind is not None:
                    yield TextField(where, kind, sub)
            else:
                yield from _walk(sub, where)
    elif isinstance(node, list | tuple):
        for index, sub in enumerate(node):
            yield from _walk(sub, f"{path}.{index}")


def score_field(field: TextField, vocabulary: Vocabulary) -> FieldScore:
    tokens = words_of(field.text)
    letters = sum(len(t) for t in tokens)
    knows = [vocabulary.knows(t) for t in tokens]
    known = sum(len(t) for t, k in zip(tokens, knows, strict=True) if k)
    unknown = tuple(dict.fromkeys(t for t, k in zip(tokens, knows, strict=True) if not k))
    return FieldScore(field=field, letters=letters, known_letters=known, words=len(tokens),
                      junk=junk_in(field.text), unknown=unknown, loop=word_loop(tokens))


def junk_in(text: str) -> tuple[str, ...]:
    found = _JUNK_CHARS.findall(text) + [m.group() for m in _GLUED_DIGIT.finditer(text)]
    if _BAD_SEMICOLON.search(text):
        found.append(";")
    found += [c for c in text if unicodedata.category(c) in ("Cc", "Cf", "Co") and c != "\n"]
    return tuple(dict.fromkeys(found))


def word_loop(tokens: list[str]) -> str | None:
    """A phrase said again and again: one word four times running ("no no no no" is a
    loop, "No, no, no!" is a comic), two words three times, or three words and more twice
    ("I will be there. I will be there"); or any four words that come back in the field."""
    lowered = [t.lower() for t in tokens]
    for size, times in ((1, 4), (2, 3), (3, 2), (4, 2), (5, 2), (6, 2)):
        for start in range(len(lowered) - size * times + 1):
            phrase = lowered[start:start + size]
            if all(lowered[start + k * size:start + (k + 1) * size] == phrase
                   for k in range(1, times)):
                return " ".join(tokens[start:start + size])
    seen: dict[tuple[str, ...], int] = {}
    for start in range(len(lowered) - 3):
        gram = tuple(lowered[start:start + 4])
        if gram in seen and start - seen[gram] >= 4:
            return " ".join(tokens[start:start + 4])
        seen.setdefault(gram, start)
    return None


def is_name(text: str) -> bool:
    """One to five words, each capitalised letters (with ' - or a final .), connecting
    particles allowed: "Mara", "Old Tom", "Anne-Marie O'Neil", "Captain of the Guard"."""
    parts = text.split(" ")
    if not 1 <= len(parts) <= 5 or (parts[0].lower() in _NAME_PARTICLES and len(parts) == 1):
        return False
    for part in parts[1:] if parts[0] == "The" else parts:
        if part in _NAME_PARTICLES:
            continue
        core = part.removesuffix(".").replace("-", "").replace("'", "").replace(APOSTROPHE, "")
        # Capitalised, not shouted: "DNEBU" is debris, "JJ" is a name.
        if not (core.isalpha() and part[0].isupper()) or (core.isupper() and len(core) > 3):
            return False
    return True


def field_findings(score: FieldScore, settings: ReadabilitySettings) -> list[Finding]:
    """What is wrong with one field, each a finding the model can act on."""
    field, found = score.field, []
    where, quoted = field.path, excerpt(field.text)
    if score.junk:
        chars = " ".join(score.junk[:6])
        found.append(Finding("junk", where, f"junk characters ({chars}) in {quoted}; write "
                             "plain words and sentence punctuation only"))
    if score.loop:
        found.append(Finding("word_loop", where, f"repeats {excerpt(score.loop)} in "
                             f"{quoted}; say it once"))
    if field.kind == "name":
        if not score.junk and not is_name(field.text.strip()):
            found.append(Finding("name_shape", where, f"{quoted} is not a name: write one to "
                                 "four capitalised words, such as 'Mara' or 'Old Tom'"))
    elif _long_enough(score) and score.word_share < settings.min_word_share:
        found.append(Finding("unknown_words", where, f"only {score.word_share:.0%} of "
                             f"{quoted} is English words; write plain English words"))
    elif made_up := _made_up_words(score, settings):
        words = ", ".join(excerpt(w, 20) for w in made_up[:3])
        verb = "is not an English word" if len(made_up) == 1 else "are not English words"
        found.append(Finding("unknown_words", where, f"{words} in {quoted} {verb}; use "
                             "common English words"))
    return found


def _made_up_words(score: FieldScore, settings: ReadabilitySettings) -> list[str]:
    if not settings.unknown_word_letters or not _long_enough(score):
        return []
    return [w for w in score.unknown
            if sum(c.isalpha() for c in w) >= settings.unknown_word_letters]


def _long_enough(score: FieldScore) -> bool:
    """Three words, or one long made-up word ("Giraffoats"); a line of dialogue may be a
    short cry ("Aaargh!") that no dictionary has."""
    return score.words >= 3 or (score.letters >= 8 and not score.field.path.endswith("text"))


def measure_fields(value: BaseModel | Mapping[str, Any], vocabulary: Vocabulary,
                   settings: ReadabilitySettings) -> tuple[list[FieldScore], list[Finding]]:
    scores = [score_field(f, vocabulary) for f in text_fields(value)]
    return scores, [f for s in scores for f in field_findings(s, settings)]


def readable_check(vocabulary: Vocabulary, settings: ReadabilitySettings
                   ) -> Callable[[BaseModel], list[str]]:
    """The check ``structured.generate`` retries on: the problems of every text field."""

    def check(value: BaseModel) -> list[str]:
        return [str(f) for f in measure_fields(value, vocabulary, settings)[1]]

    return check


def excerpt(text: str, limit: int = 40) -> str:
    """Model text quoted inside a one-line message: printable, single-line, short."""
    flat = "".join(c if c.isprintable() else " " for c in " ".join(text.split()))
    flat = flat.replace("'", APOSTROPHE)
    return f"'{flat[:limit]}…'" if len(flat) > limit else f"'{flat}'"
