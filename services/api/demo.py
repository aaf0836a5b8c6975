"""Demo logins for embedded mode (`earshot run`): the console works with no account setup."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import asyncpg

from services.api import security
from services.api.repo import accounts, responders

# The demo organisation is `default`: the migration gives every pre-existing brand and team to
# it, and the demo brand catalogue is loaded into it.
DEMO_ORGANISATION = "default"
DEMO_TEAMS = ["support", "moderation", "engagement"]


@dataclass(frozen=True)
class DemoAccount:
    email: str
    password: str
    role: str
    name: str


DEMO_ACCOUNTS = (
    DemoAccount("admin@demo.earshot", "earshot-admin", "admin", "Ada Admin"),
    DemoAccount("lead@demo.earshot", "earshot-lead", "lead", "Lee Lead"),
    DemoAccount("responder@demo.earshot", "earshot-responder", "responder", "Rosa Responder"),
)


async def seed_demo_accounts(pool: asyncpg.Pool[Any]) -> list[DemoAccount]:
    """Create (or reset) the demo logins in the demo organisation; returns them to print.

    Only for dev/embedded mode: the passwords are public."""
    for account in DEMO_ACCOUNTS:
        password_hash = await asyncio.to_thread(security.hash_password, account.password)
        await accounts.upsert_user(
            pool=pool,
            organisation_id=DEMO_ORGANISATION,
            email=account.email,
            name=account.name,
            role=account.role,
            password_hash=password_hash,
            replace=True,
        )
        if account.role != "admin":
            # `away` at first: their claims stick, and the router assigns them cases only once
            # they go online in the console, so the unassigned queue stays visible until then.
            await responders.seed_responder(
                pool=pool, responder_id=account.email, name=account.name, teams=DEMO_TEAMS
            )
    return list(DEMO_ACCOUNTS)


def demo_banner(accounts_: list[DemoAccount], base_url: str = "http://127.0.0.1:8000") -> str:
    lines = [f"Earshot console: {base_url}/console  (demo logins, dev mode only)"]
    lines += [f"  {a.role:<9} {a.email:<24} password: {a.password}" for a in accounts_]
    return "\n".join(lines)
