"""The creative roles of the studio (installed as ``atelier.agents``)."""

#: The agents whose prompts governance approves, in production order.
AGENTS: tuple[str, ...] = ("scriptwriter", "designer", "layout")
