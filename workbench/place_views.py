"""The browse pages of the places a user holds: a street, a community, a grid, a building,
with their people. Anything outside the user's places is a 404 (accounts/scope.py)."""

from django.shortcuts import render

from grids.models import ContactKind

from . import places as selectors


def street_detail(request, pk):
    street = request.scope.get(selectors.streets(request.scope), pk=pk)
    return render(
        request,
        "grids/street_detail.html",
        {
            "street": street,
            "communities": selectors.communities(request.scope).filter(street=street),
            "staff": selectors.street_staff(street),
            "outside_bodies": street.contacts.filter(
                kind=ContactKind.OUTSIDE_BODY, community__isnull=True
            ),
        },
    )


def community_detail(request, pk):
    community = request.scope.get(selectors.communities(request.scope), pk=pk)
    return render(
        request,
        "grids/community_detail.html",
        {
            "community": community,
            "grids": selectors.grids(request.scope).filter(community=community),
            "contacts": community.contacts.filter(grid__isnull=True).order_by("kind", "name"),
        },
    )


def grid_detail(request, pk):
    grid = request.scope.get(selectors.grids(request.scope), pk=pk)
    return render(
        request,
        "grids/grid_detail.html",
        {
            "grid": grid,
            "buildings": selectors.buildings(request.scope).filter(grid=grid),
            "party_members": grid.contacts.filter(kind=ContactKind.PARTY_MEMBER).order_by(
                "-is_leader", "name"
            ),
            "contacts": grid.contacts.exclude(
                kind__in=[ContactKind.PARTY_MEMBER, ContactKind.UNIT_LEADER]
            ),
        },
    )


def building_detail(request, pk):
    building = request.scope.get(selectors.buildings(request.scope), pk=pk)
    return render(
        request,
        "grids/building_detail.html",
        {
            "building": building,
            "units": selectors.units_with_leaders(request.scope, building),
        },
    )
