"""The API's reads and writes in PostgreSQL, one module per concern; keyword-only and typed.

Every query that reads or changes tenant data takes `organisation_id` and scopes through the
brand (cases and mentions belong to the organisation of their brand), so an id from another
organisation behaves exactly like an id that does not exist.
"""

from __future__ import annotations

import asyncpg

Connection = asyncpg.Connection | asyncpg.pool.PoolConnectionProxy
