"""`atelier serve`: the studio as a long-running service that acts when the DAO decides, with
its HTTP face (health, status, Prometheus metrics)."""
