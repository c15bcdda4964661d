"""The creative roles of the studio (installed as ``atelier.agents``)."""

#: The agents that make the comic, in production order; members rate each of them.
CREATIVE_AGENTS: tuple[str, ...] = ("scriptwriter", "designer", "layout")

#: Every agent whose prompt governance approves: the creative ones and the editor, who turns
#: the members' reviews into prompt rewrites at each audit.
AGENTS: tuple[str, ...] = (*CREATIVE_AGENTS, "editor")
