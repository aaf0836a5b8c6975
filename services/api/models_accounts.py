"""Request and response models for login, users, API keys, the organisation and audit."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from services.api.models import AuditEntry

RoleName = Literal["responder", "lead", "admin"]
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+$"


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class UserOut(BaseModel):
    id: uuid.UUID
    organisation_id: str
    email: str
    name: str
    role: RoleName
    active: bool
    created_at: datetime


class MeOut(BaseModel):
    organisation_id: str
    organisation_name: str
    handle: str
    role: RoleName
    user_id: uuid.UUID | None


class UserList(BaseModel):
    items: list[UserOut]


class UserIn(BaseModel):
    email: str = Field(pattern=EMAIL_PATTERN, max_length=320)
    name: str = Field(min_length=1, max_length=200)
    role: RoleName
    password: str = Field(min_length=12, max_length=200)


class UserPatch(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    role: RoleName | None = None
    active: bool | None = None
    password: str | None = Field(default=None, min_length=12, max_length=200)


class ApiKeyIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    role: RoleName = "responder"


class ApiKeyOut(BaseModel):
    id: uuid.UUID
    name: str
    role: RoleName
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="Shown once: only its hash is stored")


class ApiKeyList(BaseModel):
    items: list[ApiKeyOut]


class OrganisationOut(BaseModel):
    id: str
    name: str
    never_hide_criticism: bool


class PolicyIn(BaseModel):
    never_hide_criticism: bool
    reason: str = Field(min_length=1, max_length=2000, description="Why, for the audit log")


class AuditPage(BaseModel):
    items: list[AuditEntry]
    next_before: int | None
