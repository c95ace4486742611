from django.shortcuts import render

from grids import selectors


def home(request):
    """Each role's starting page: the places the user holds, widest first."""
    scope = request.scope
    context = {}
    if scope.street_ids or scope.is_superuser:
        context["streets"] = selectors.streets(scope)
    elif scope.community_ids:
        context["communities"] = selectors.communities(scope)
    elif scope.grid_ids:
        context["grids"] = selectors.grids(scope)
    return render(request, "home.html", context)
