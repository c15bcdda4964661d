"""Word-shaped text for grammar-constrained decoding: the regexes every prose, title and name
field a model writes must match, with their length inside the regex.

Why regexes, and why these (issue 15, measured on the bundled SmolLM2-135M): with free
strings 42% of fields held junk (``Mara}, {1:&#40``); anchored word-shaped patterns at a low
temperature took it to 0%. The bundled server turns a JSON schema into a grammar with
llama.cpp's JSON-schema → GBNF converter, which

- silently accepts any string when a pattern is not anchored (``^…$``) or uses a look-ahead;
- drops ``maxLength`` when a ``pattern`` is present, so the bound must be in the regex.

So a field's text is words of letters (an apostrophe or hyphen part allowed: "Mara's",
"red-haired") and numbers, joined by one space or by sentence punctuation and one space,
with a bounded number of words of bounded length. ``max_chars`` is the longest string a
pattern accepts: the stored models' ``max_length`` is at least that, so whatever the grammar
lets the model write also validates once stored. ``tests/test_schema_grammar.py`` sends every
schema to the real converter and fails if any part of it is not converted.

ASCII letters only: the bundled model is English-only and drifted into other scripts without
this; a studio writing in another language needs other patterns (a bigger model, too).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import StringConstraints

#: Longest word part (letters), and the longest apostrophe/hyphen tail ("'s", "-haired").
WORD_LETTERS = 14
TAIL_LETTERS = 6
_WORD = rf"[A-Za-z]{{1,{WORD_LETTERS}}}(['-][a-z]{{1,{TAIL_LETTERS}}})?"
_NUMBER = r"[0-9]{1,4}"
_TOKEN = rf"({_WORD}|{_NUMBER})"
#: Between words: one space, or one mark of punctuation and one space.
_PROSE_GAP = r"(, |; |: |[.!?] | )"
_TITLE_GAP = r"(, |: | )"
#: Between words inside one sentence: no full stop.
_CLAUSE_GAP = r"(, |; |: | )"
_TOKEN_CHARS = WORD_LETTERS + 1 + TAIL_LETTERS
_GAP_CHARS = 2

#: A name: one to three capitalised words ("Mara", "Old Tom", "Captain Rhee").
NAME_WORDS = 3
_NAME_WORD = rf"[A-Z][a-z]{{1,{WORD_LETTERS - 1}}}"
NAME_PATTERN = rf"^{_NAME_WORD}( {_NAME_WORD}){{0,{NAME_WORDS - 1}}}$"
NAME_CHARS = NAME_WORDS * WORD_LETTERS + NAME_WORDS - 1


def prose_pattern(words: int) -> str:
    """Up to ``words`` words, starting with a word (not a number), sentence punctuation
    between them and at the end."""
    return rf"^{_WORD}({_PROSE_GAP}{_TOKEN}){{0,{words - 1}}}[.!?]?$"


def prose_chars(words: int) -> int:
    """The longest string ``prose_pattern(words)`` accepts."""
    return _TOKEN_CHARS + (words - 1) * (_GAP_CHARS + _TOKEN_CHARS) + 1


def sentences_pattern(sentences: int, words: int, *, optional: bool = False) -> str:
    """One to ``sentences`` sentences of up to ``words`` words each, every one ending in
    ``.``, ``!`` or ``?``: the string can only close after a sentence's end, so a line of
    dialogue is never cut mid-sentence ("I have been tasked to protect the", issue 15,
    when the bound was one count of words for the whole line)."""
    sentence = rf"{_WORD}({_CLAUSE_GAP}{_TOKEN}){{0,{words - 1}}}[.!?]"
    body = rf"{sentence}( {sentence}){{0,{sentences - 1}}}"
    return rf"^({body})?$" if optional else rf"^{body}$"


def sentences_chars(sentences: int, words: int) -> int:
    """The longest string ``sentences_pattern(sentences, words)`` accepts."""
    return sentences * prose_chars(words) + sentences - 1


def sentences(count: int, words: int, *, optional: bool = False) -> Any:
    """Whole sentences: at most ``count`` of at most ``words`` words each."""
    return Annotated[str, StringConstraints(
        pattern=sentences_pattern(count, words, optional=optional))]


def title_pattern(words: int) -> str:
    """A title: a capitalised first word, up to ``words`` words, a comma or colon allowed,
    no full stop ("The Night Bakery", "Storm 2", "Home: The Return")."""
    first = rf"[A-Z][a-z]{{0,{WORD_LETTERS - 1}}}(['-][a-z]{{1,{TAIL_LETTERS}}})?"
    return rf"^{first}({_TITLE_GAP}{_TOKEN}){{0,{words - 1}}}[!?]?$"


def title_chars(words: int) -> int:
    return prose_chars(words)


def prose(words: int) -> Any:
    """A prose field of at most ``words`` words (the pattern alone bounds it: see above)."""
    return Annotated[str, StringConstraints(pattern=prose_pattern(words))]


def title(words: int) -> Any:
    return Annotated[str, StringConstraints(pattern=title_pattern(words))]


Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
