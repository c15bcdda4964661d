"""The agent benchmark's own briefs: ten different stories, not only the Lighthouse one, so a
prompt tuned to one goal shows it. Each comes with a small hand-written bible (the designer
draws its first character), so the designer is measured on a sound bible whatever the
scriptwriter wrote."""

from __future__ import annotations

from atelier.agents.scriptwriter import Brief, SeriesBible

#: (title, brief, tone, world, [(name, role, look, personality)]).
_STORIES = [
    ("The Lighthouse Keepers", "Two keepers on a stormy island find out what the sea has been "
     "sending them.", "mystery", "A rocky island with a tall lighthouse and storms every night.",
     [("Mara", "protagonist", "Tall, in a yellow raincoat.", "Stubborn and curious."),
      ("Tom", "mentor", "White beard, blue cap.", "Gruff but kind.")]),
    ("The Night Bakery", "A young baker and her grumpy cat bake bread for the ghosts of the "
     "old town.", "spooky", "A narrow bakery on a crooked street where the dead come at night.",
     [("Ada", "protagonist", "Short, flour on her apron.", "Brave and cheerful."),
      ("Crumb", "sidekick", "A fat grey cat with one torn ear.", "Grumpy and loyal.")]),
    ("Robot Garden", "A gardening robot on a space station must save the last rose before "
     "the air runs out.", "science fiction", "A quiet station orbiting a blue planet.",
     [("Bolt", "protagonist", "A round green robot with long thin arms.", "Patient and "
      "careful."), ("Captain Rhee", "mentor", "Grey uniform, silver hair.", "Tired but fair.")]),
    ("The Lost Map", "Two cousins find an old map in their grandmother's attic and follow it "
     "into the forest.", "adventure", "A small village at the edge of a deep pine forest.",
     [("Leo", "protagonist", "Messy red hair, a green backpack.", "Bold and impatient."),
      ("Nina", "sidekick", "Round glasses, a striped scarf.", "Clever and cautious.")]),
    ("School of Dragons", "A shy girl enrolls in a school where every student raises a baby "
     "dragon.", "fantasy", "A castle school on a cliff above the clouds.",
     [("Iris", "protagonist", "Small, with a long black braid.", "Shy and kind."),
      ("Ember", "sidekick", "A tiny orange dragon with big eyes.", "Playful and hungry.")]),
    ("The Market Thief", "A street detective chases a thief who steals only lemons.", "comedy",
     "A loud harbour market full of fruit stalls and gulls.",
     [("Inspector Pike", "protagonist", "Long coat, crumpled hat.", "Proud and clumsy."),
      ("Lina", "supporting", "A fruit seller in a red headscarf.", "Sharp and funny.")]),
    ("Snow Bus", "A bus driver and her passengers are snowed in on a mountain road on "
     "Christmas Eve.", "drama", "A lonely mountain pass in a heavy snowstorm.",
     [("Rosa", "protagonist", "Blue uniform, warm wool gloves.", "Calm and practical."),
      ("Mr Hale", "supporting", "An old man with a violin case.", "Quiet and sad.")]),
    ("The Clockmaker's Apprentice", "An apprentice discovers that the town clock can stop "
     "time for one minute.", "mystery", "An old town of bridges, canals and clock towers.",
     [("Theo", "protagonist", "Thin, with ink on his fingers.", "Curious and nervous."),
      ("Master Quill", "mentor", "A stooped man with a monocle.", "Secretive and wise.")]),
    ("Band Camp", "Four friends form a band at summer camp and must play their first show.",
     "slice of life", "A summer camp by a lake, with cabins and a wooden stage.",
     [("Sam", "protagonist", "Curly hair, a guitar on his back.", "Dreamy and loyal."),
      ("Jo", "supporting", "Short hair, drumsticks in her pocket.", "Loud and funny.")]),
    ("The Desert Train", "A girl rides the last train across the desert to bring medicine to "
     "her town.", "adventure", "A hot red desert crossed by one old railway.",
     [("Zara", "protagonist", "Dusty boots and a wide straw hat.", "Determined and brave."),
      ("Old Finch", "mentor", "The train driver, with a grey moustache.", "Slow and kind.")]),
]


def _id(name: str) -> str:
    return "_".join(name.lower().split())


BRIEFS: list[tuple[Brief, SeriesBible]] = [
    (Brief(title=title, brief=brief, episodes=2), SeriesBible.model_validate({
        "title": title, "logline": brief, "tone": tone, "world": world,
        "characters": [{"id": _id(name), "name": name, "role": role, "look": look,
                        "personality": personality}
                       for name, role, look, personality in characters],
        "arc": "They learn to trust each other."}))
    for title, brief, tone, world, characters in _STORIES
]
