"""Business-hours SLA arithmetic: calendars, due times and elapsed business time."""

from services.router.sla.calendar import BusinessCalendar, business_seconds_between, due_at

__all__ = ["BusinessCalendar", "business_seconds_between", "due_at"]
