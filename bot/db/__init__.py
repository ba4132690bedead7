"""The database layer: models, the engine and migrations, and query functions."""
