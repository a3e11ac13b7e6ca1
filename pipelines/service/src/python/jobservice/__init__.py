"""The pipeline job service: SD2E's pipeline jobs in a durable store (SQLite here, PostgreSQL at scale)."""
