"""uchet: a low-code configurable data platform."""
