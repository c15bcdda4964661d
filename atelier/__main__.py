"""`python -m atelier` is the `atelier` command."""

from atelier.cli.main import app

app(prog_name="atelier")
