"""Brand tracking rules: which brand a mention is about."""

from services.ingest.rules.catalogue import Brand, BrandCatalogue

__all__ = ["Brand", "BrandCatalogue"]
