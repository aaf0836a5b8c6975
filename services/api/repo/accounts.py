"""Organisations, users, API keys and the audit log."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from services.api.repo import Connection

USER_COLUMNS = "id, organisation_id, email, name, role, active, created_at"


async def create_organisation(*, pool: asyncpg.Pool[Any], organisation_id: str, name: str) -> None:
    await pool.execute(
        "INSERT INTO organisations (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
        organisation_id,
        name,
    )


async def get_organisation(
    *, pool: asyncpg.Pool[Any] | Connection, organisation_id: str
) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await pool.fetchrow(
        "SELECT id, name, never_hide_criticism FROM organisations WHERE id = $1", organisation_id
    )
    return row


async def set_never_hide_criticism(
    *, connection: Connection, organisation_id: str, locked: bool
) -> asyncpg.Record:
    row: asyncpg.Record = await connection.fetchrow(
        """UPDATE organisations SET never_hide_criticism = $2 WHERE id = $1
           RETURNING id, name, never_hide_criticism""",
        organisation_id,
        locked,
    )
    return row


async def user_for_login(*, pool: asyncpg.Pool[Any], email: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await pool.fetchrow(
        f"SELECT {USER_COLUMNS}, password_hash FROM users WHERE email = $1 AND active",
        email.lower(),
    )
    return row


async def active_user(
    *, pool: asyncpg.Pool[Any], user_id: uuid.UUID, organisation_id: str
) -> asyncpg.Record | None:
    """The token's user, if still active in the token's organisation (a deactivated user or a
    changed role takes effect at the next request, not when the token expires)."""
    row: asyncpg.Record | None = await pool.fetchrow(
        f"SELECT {USER_COLUMNS} FROM users WHERE id = $1 AND organisation_id = $2 AND active",
        user_id,
        organisation_id,
    )
    return row


async def upsert_user(
    *,
    pool: asyncpg.Pool[Any],
    organisation_id: str,
    email: str,
    name: str,
    role: str,
    password_hash: str,
    replace: bool = False,
) -> asyncpg.Record | None:
    """Create a user; None if the email is taken (unless `replace`, used by the demo seed)."""
    conflict = (
        "DO UPDATE SET name = $4, role = $5, password_hash = $6, active = true, "
        "organisation_id = $2"
        if replace
        else "DO NOTHING"
    )
    row: asyncpg.Record | None = await pool.fetchrow(
        f"""INSERT INTO users (id, organisation_id, email, name, role, password_hash)
            VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (email) {conflict}
            RETURNING {USER_COLUMNS}""",
        uuid.uuid4(),
        organisation_id,
        email.lower(),
        name,
        role,
        password_hash,
    )
    return row


async def list_users(*, pool: asyncpg.Pool[Any], organisation_id: str) -> list[asyncpg.Record]:
    return list(
        await pool.fetch(
            f"SELECT {USER_COLUMNS} FROM users WHERE organisation_id = $1 ORDER BY email",
            organisation_id,
        )
    )


async def update_user(
    *,
    connection: Connection,
    organisation_id: str,
    user_id: uuid.UUID,
    changes: dict[str, Any],
) -> asyncpg.Record | None:
    """Apply the given column changes (names come from the caller's model, never from input)."""
    allowed = {"name", "role", "active", "password_hash"}
    columns = [c for c in changes if c in allowed]
    sets = ", ".join(f"{c} = ${i + 3}" for i, c in enumerate(columns)) or "name = name"
    row: asyncpg.Record | None = await connection.fetchrow(
        f"""UPDATE users SET {sets} WHERE id = $1 AND organisation_id = $2
            RETURNING {USER_COLUMNS}""",
        user_id,
        organisation_id,
        *[changes[c] for c in columns],
    )
    return row


async def user_by_email(
    *, pool: asyncpg.Pool[Any] | Connection, organisation_id: str, email: str
) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await pool.fetchrow(
        f"""SELECT {USER_COLUMNS} FROM users
            WHERE organisation_id = $1 AND email = $2 AND active""",
        organisation_id,
        email.lower(),
    )
    return row


async def create_api_key(
    *,
    connection: Connection,
    key_id: uuid.UUID,
    organisation_id: str,
    name: str,
    role: str,
    secret_sha256: bytes,
    created_by: uuid.UUID | None,
) -> asyncpg.Record:
    row: asyncpg.Record = await connection.fetchrow(
        """INSERT INTO api_keys (id, organisation_id, name, role, secret_sha256, created_by)
           VALUES ($1, $2, $3, $4, $5, $6)
           RETURNING id, name, role, created_at, revoked_at""",
        key_id,
        organisation_id,
        name,
        role,
        secret_sha256,
        created_by,
    )
    return row


async def api_key(*, pool: asyncpg.Pool[Any], key_id: uuid.UUID) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await pool.fetchrow(
        """SELECT id, organisation_id, name, role, secret_sha256 FROM api_keys
           WHERE id = $1 AND revoked_at IS NULL""",
        key_id,
    )
    return row


async def list_api_keys(*, pool: asyncpg.Pool[Any], organisation_id: str) -> list[asyncpg.Record]:
    return list(
        await pool.fetch(
            """SELECT id, name, role, created_at, revoked_at FROM api_keys
               WHERE organisation_id = $1 ORDER BY created_at""",
            organisation_id,
        )
    )


async def revoke_api_key(
    *, connection: Connection, organisation_id: str, key_id: uuid.UUID
) -> bool:
    done = await connection.fetchval(
        """UPDATE api_keys SET revoked_at = coalesce(revoked_at, now())
           WHERE id = $1 AND organisation_id = $2 RETURNING true""",
        key_id,
        organisation_id,
    )
    return bool(done)


async def add_audit(
    *,
    connection: Connection,
    organisation_id: str,
    actor: str,
    action: str,
    case_id: uuid.UUID | None = None,
    mention_id: uuid.UUID | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Written in the transaction of the change it records: no change without its entry."""
    await connection.execute(
        """INSERT INTO audit_log (organisation_id, actor, action, case_id, mention_id, details)
           VALUES ($1, $2, $3, $4, $5, $6)""",
        organisation_id,
        actor,
        action,
        case_id,
        mention_id,
        details or {},
    )


async def list_audit(
    *, pool: asyncpg.Pool[Any], organisation_id: str, before: int | None, limit: int
) -> list[asyncpg.Record]:
    return list(
        await pool.fetch(
            """SELECT id, actor, action, case_id, mention_id, details, at FROM audit_log
               WHERE organisation_id = $1 AND ($2::bigint IS NULL OR id < $2)
               ORDER BY id DESC LIMIT $3""",
            organisation_id,
            before,
            limit,
        )
    )
