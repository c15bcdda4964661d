"""Readability of whole stories: a series bible, an episode's script, a character sheet.

On top of the field measures (``atelier.agents.readability``) a story is checked as a
story: lines repeated within an episode, panel actions too short to draw, scenes nobody
speaks or is captioned in, speakers outside their panel, a bible with too few characters,
and whether the text stays on the goal — it should share words with the brief and the
bible without copying them verbatim. Pure functions: the review node reports their
findings per episode, the audit sums them per agent, the agent benchmark per model.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from atelier.agents.designer import CharacterSheet
from atelier.agents.readability import (
    APOSTROPHE,
    FieldScore,
    Finding,
    ReadabilitySettings,
    excerpt,
    measure_fields,
    words_of,
)
from atelier.agents.scriptwriter import (
    BibleCharacter,
    Brief,
    EpisodeScript,
    SeriesBible,
    story_vocabulary,
)

# Words that say nothing about a story's people, places or things.
_STOPWORDS = frozenset({
    "about", "above", "after", "again", "against", "all", "also", "and", "any", "are", "around",
    "away", "back", "because", "been", "before", "being", "below", "between", "both", "but", "can",
    "cannot", "could", "did", "does", "doing", "down", "during", "each", "episode", "even",
    "every", "few", "for", "from", "further", "had", "has", "have", "having", "her", "here",
    "hers", "herself", "him", "himself", "his", "how", "into", "its", "itself", "just", "like",
    "more", "most", "much", "must", "near", "never", "new", "next", "not", "now", "off", "once",
    "one", "only", "other", "our", "ours", "out", "over", "own", "same", "scene", "she", "should",
    "some", "still", "such", "than", "that", "the", "their", "theirs", "them", "then", "there",
    "these", "they", "this", "those", "through", "too", "under", "until", "very", "was", "way",
    "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with",
    "would", "you", "your", "yours", "series", "story", "comic"
})


@dataclass(frozen=True)
class Measure:
    """One output's field scores and findings (fields and story together)."""

    scores: tuple[FieldScore, ...]
    findings: tuple[Finding, ...]


def content_words(text: str) -> set[str]:
    """Lower-case words that carry meaning, crudely stemmed ("keepers" ~ "keeper")."""
    found = set()
    for token in words_of(text):
        word = token.lower().replace(APOSTROPHE, "'").removesuffix("'s")
        if len(word) < 3 or word in _STOPWORDS:
            continue
        found.add(word[:-1] if len(word) > 4 and word.endswith("s") else word)
    return found


def goal_words(brief: Brief, bible: SeriesBible | None = None) -> set[str]:
    texts = [brief.title, brief.brief]
    if bible is not None:
        texts += [bible.title, bible.logline, bible.world, bible.arc]
        texts += [f"{c.name} {c.look}" for c in bible.characters]
    return set().union(*(content_words(t) for t in texts))


def copied_run(text: str, source: str, length: int) -> str | None:
    """The first run of ``length`` words of ``source`` that ``text`` repeats verbatim."""
    said, given = words_of(text), [w.lower() for w in words_of(source)]
    runs = {tuple(given[i:i + length]) for i in range(len(given) - length + 1)}
    lowered = [w.lower() for w in said]
    for start in range(len(said) - length + 1):
        if tuple(lowered[start:start + length]) in runs:
            return " ".join(said[start:start + length])
    return None


def measure_bible(bible: SeriesBible, brief: Brief, settings: ReadabilitySettings
                  ) -> Measure:
    scores, findings = measure_fields(bible, story_vocabulary(brief, bible), settings)
    if len(bible.characters) < settings.min_characters:
        findings.append(Finding("few_characters", "bible", f"{len(bible.characters)} "
                                f"character(s); a story needs at least "
                                f"{settings.min_characters}"))
    for where in ("logline", "world", "arc"):
        copy = copied_run(getattr(bible, where), brief.brief, settings.copy_words)
        if copy:
            findings.append(Finding("copied", f"bible {where}", "copies the brief "
                                    f"word for word ({excerpt(copy)})"))
    wanted = content_words(brief.brief)
    told = " ".join([bible.logline, bible.world, bible.arc,
                     *(f"{c.look} {c.personality}" for c in bible.characters)])
    if wanted and not wanted & content_words(told):
        findings.append(Finding("off_goal", "bible", "its logline, world, arc and characters "
                                "share no words with the brief"))
    return Measure(tuple(scores), tuple(findings))


def measure_episode(script: EpisodeScript, bible: SeriesBible, brief: Brief,
                    settings: ReadabilitySettings) -> Measure:
    scores, findings = measure_fields(script, story_vocabulary(brief, bible), settings)
    findings += _repeated_lines(script)
    sources = [brief.brief, bible.logline, bible.world, bible.arc]
    wanted = goal_words(brief, bible)
    on_goal = 0
    for scene_index, scene in enumerate(script.scenes, start=1):
        if not any(p.dialogue or p.caption.strip() for p in scene.panels):
            findings.append(Finding("silent_scene", f"scene {scene_index}",
                                    "no dialogue or caption in any of its panels"))
        for panel in scene.panels:
            where = f"panel {panel.number}"
            if len(words_of(panel.action)) < settings.min_action_words:
                findings.append(Finding("short_action", where, f"the action "
                                        f"{excerpt(panel.action)} has fewer than "
                                        f"{settings.min_action_words} words"))
            for line in panel.dialogue:
                if line.speaker not in panel.characters:
                    findings.append(Finding("speaker_absent", where, f"{line.speaker} speaks"
                                            " but is not in the panel"))
            said = " ".join([panel.action, panel.caption, *(d.text for d in panel.dialogue)])
            on_goal += bool(content_words(said) & wanted)
            copy = next(filter(None, (copied_run(said, s, settings.copy_words)
                                      for s in sources)), None)
            if copy:
                findings.append(Finding("copied", where, "copies the brief or the bible "
                                        f"word for word ({excerpt(copy)})"))
    panels = len(script.panels)
    if panels and on_goal / panels < settings.min_on_goal:
        findings.append(Finding("off_goal", f"episode {script.number}", f"only {on_goal} of "
                                f"{panels} panels mention the brief's or the bible's people, "
                                "places or things"))
    return Measure(tuple(scores), tuple(findings))


def _repeated_lines(script: EpisodeScript) -> list[Finding]:
    """The same action, caption or spoken line twice in one episode."""
    first: dict[str, int] = {}
    found = []
    for panel in script.panels:
        lines = [panel.action, panel.caption, *(d.text for d in panel.dialogue)]
        for line in lines:
            key = " ".join(w.lower() for w in words_of(line))
            if not key:
                continue
            if key in first:
                said = "again" if first[key] == panel.number else f"panel {first[key]}'s line"
                found.append(Finding("repeated_line", f"panel {panel.number}",
                                     f"repeats {said} {excerpt(line)}"))
            else:
                first[key] = panel.number
    return found


def measure_sheet(sheet: CharacterSheet, character: BibleCharacter, bible: SeriesBible,
                  brief: Brief, settings: ReadabilitySettings) -> Measure:
    scores, findings = measure_fields(sheet, story_vocabulary(brief, bible), settings)
    if sheet.name.strip().lower() != character.name.strip().lower():
        findings.append(Finding("other_name", f"sheet {character.id}",
                                f"named {excerpt(sheet.name)}; the bible calls them "
                                f"{excerpt(character.name)}"))
    return Measure(tuple(scores), tuple(findings))


@dataclass(frozen=True)
class ReadabilityStats:
    """One agent's texts summed up: the audit's and the benchmark's table row."""

    fields: int
    letters: int
    known_letters: int
    junk_fields: int
    findings: dict[str, int]  # finding kind -> count

    @property
    def word_share(self) -> float | None:
        return self.known_letters / self.letters if self.letters else None

    @property
    def junk_share(self) -> float | None:
        return self.junk_fields / self.fields if self.fields else None

    def count(self, kind: str) -> int:
        return self.findings.get(kind, 0)

    @classmethod
    def of(cls, measures: Iterable[Measure]) -> ReadabilityStats:
        measures = list(measures)
        scores = [s for m in measures for s in m.scores]
        kinds = Counter(f.kind for m in measures for f in m.findings)
        # Names are measured by their shape, not the dictionary: "Thelana" is a fine name.
        prose = [s for s in scores if s.field.kind != "name"]
        return cls(fields=len(scores), letters=sum(s.letters for s in prose),
                   known_letters=sum(s.known_letters for s in prose),
                   junk_fields=sum(bool(s.junk) for s in scores), findings=dict(kinds))
