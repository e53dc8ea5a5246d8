"""Local fake marketplace servers for the connector tests (plain Python, 127.0.0.1 only)."""
