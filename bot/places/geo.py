"""The one great-circle distance of the project."""

from __future__ import annotations

from math import asin, cos, radians, sin, sqrt

EARTH_RADIUS_KM = 6371.0088


def haversine_radians(
    lat1: float, lon1: float, cos_lat1: float, lat2: float, lon2: float, cos_lat2: float
) -> float:
    """Distance in km between points in radians, each latitude's cosine precomputed."""
    a = sin((lat2 - lat1) / 2) ** 2 + cos_lat1 * cos_lat2 * sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * asin(sqrt(a))


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres between two points in degrees."""
    lat1r, lat2r = radians(lat1), radians(lat2)
    return haversine_radians(
        lat1r, radians(lon1), cos(lat1r), lat2r, radians(lon2), cos(lat2r)
    )
