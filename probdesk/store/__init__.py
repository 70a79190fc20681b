"""The local store (SQLAlchemy 2.0 over SQLite). Hands out frozen records, never ORM objects."""
