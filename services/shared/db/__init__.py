"""PostgreSQL access: pool, migrations (Alembic), transactional outbox, embedded server."""
