"""Routing decisions: which team, queue and priority a mention gets. Pure."""

from services.router.routing.defaults import RouteDecision, RoutingThresholds, decide_route

__all__ = ["RouteDecision", "RoutingThresholds", "decide_route"]
