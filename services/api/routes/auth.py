"""Login (OAuth2 password flow → JWT bearer token, also set as the console's cookie)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import OAuth2PasswordRequestForm

from services.api.deps import SESSION_COOKIE, AuthenticatorDep, PoolDep, PrincipalDep
from services.api.models_accounts import MeOut, TokenOut
from services.api.repo import accounts
from services.shared.http import ApiError

router = APIRouter(prefix="/v1/auth", tags=["auth"])

LoginForm = Annotated[OAuth2PasswordRequestForm, Depends()]


@router.post("/token", response_model=TokenOut)
async def log_in(
    request: Request, response: Response, form: LoginForm, pool: PoolDep, auth: AuthenticatorDep
) -> TokenOut:
    """Email as `username`; rate-limited per client address and per account."""
    client = request.client.host if request.client else "unknown"
    wait = auth.limit_login(client=client, email=form.username)
    if wait is not None:
        raise ApiError(
            429,
            "rate_limited",
            f"too many attempts; retry in {wait:.0f} s",
            {"retry_after_s": round(wait, 1)},
        )
    result = await auth.login(pool=pool, email=form.username, password=form.password, client=client)
    if result is None:
        raise ApiError(401, "invalid_credentials", "email or password is wrong")
    ttl = auth.settings.api_token_ttl_s
    response.set_cookie(
        SESSION_COOKIE,
        result[0],
        max_age=ttl,
        httponly=True,
        samesite="strict",
        secure=auth.settings.api_cookie_secure,
    )
    return TokenOut(access_token=result[0], expires_in=ttl)


@router.post("/logout", status_code=204)
async def log_out(response: Response) -> Response:
    response.delete_cookie(SESSION_COOKIE)
    response.status_code = 204
    return response


@router.get("/me", response_model=MeOut)
async def me(principal: PrincipalDep, pool: PoolDep) -> MeOut:
    org = await accounts.get_organisation(pool=pool, organisation_id=principal.organisation_id)
    name = org["name"] if org else principal.organisation_id
    return MeOut(
        organisation_id=principal.organisation_id,
        organisation_name=name,
        handle=principal.handle,
        role=principal.role,
        user_id=principal.user_id,
    )
