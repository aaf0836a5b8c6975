"""Typed dependency aliases, so routes stay short: the pool, the caller and role gates."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Annotated, Any

import asyncpg
from fastapi import Depends, Request, Security
from fastapi.security import APIKeyCookie, APIKeyHeader, OAuth2PasswordBearer

from services.api.auth import Authenticator, Principal, Role
from services.shared.http import ApiError

if TYPE_CHECKING:
    from services.api.main import ApiService

SESSION_COOKIE = "earshot_session"

# Declared as security schemes so OpenAPI (and /docs' Authorize button) knows all three.
bearer = OAuth2PasswordBearer(tokenUrl="/v1/auth/token", auto_error=False)
api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False)
session_cookie = APIKeyCookie(name=SESSION_COOKIE, auto_error=False)


def get_pool(request: Request) -> asyncpg.Pool:
    pool: asyncpg.Pool = request.app.state.resources.pool
    return pool


def get_service(request: Request) -> ApiService:
    service: ApiService = request.app.state.api
    return service


def get_authenticator(request: Request) -> Authenticator:
    return get_service(request).authenticator


PoolDep = Annotated[asyncpg.Pool, Depends(get_pool)]
AuthenticatorDep = Annotated[Authenticator, Depends(get_authenticator)]


async def get_principal(
    pool: PoolDep,
    authenticator: AuthenticatorDep,
    token: Annotated[str | None, Security(bearer)],
    api_key: Annotated[str | None, Security(api_key_header)],
    cookie: Annotated[str | None, Security(session_cookie)],
) -> Principal:
    """Bearer token, API key, or the console's session cookie (same token, HttpOnly and
    SameSite=Strict, because EventSource cannot send an Authorization header)."""
    principal = None
    if api_key:
        principal = await authenticator.from_api_key(pool=pool, key=api_key)
    elif token or cookie:
        principal = await authenticator.from_token(pool=pool, token=token or cookie or "")
    if principal is None:
        raise ApiError(401, "unauthenticated", "log in (bearer token) or send an X-API-Key")
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def role_at_least(role: Role) -> Callable[[Principal], Coroutine[Any, Any, Principal]]:
    async def check(principal: PrincipalDep) -> Principal:
        if not principal.at_least(role):
            raise ApiError(403, "forbidden", f"this needs the {role} role or higher")
        return principal

    return check


LeadDep = Annotated[Principal, Depends(role_at_least("lead"))]
AdminDep = Annotated[Principal, Depends(role_at_least("admin"))]
