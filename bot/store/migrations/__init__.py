"""Alembic migrations of the store's schema, applied by `bot.store.sql.migrate` on start."""
