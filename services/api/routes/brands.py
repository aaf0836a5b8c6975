from __future__ import annotations

from fastapi import APIRouter

from services.api import repo
from services.api.deps import PoolDep
from services.api.models import BrandList, BrandOut

router = APIRouter(prefix="/v1/brands", tags=["brands"])


@router.get("", response_model=BrandList)
async def list_brands(pool: PoolDep) -> BrandList:
    rows = await repo.list_brands(pool=pool)
    return BrandList(items=[BrandOut(**dict(row)) for row in rows])
