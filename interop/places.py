"""Where an outside request is: a unit's or building's public code (its QR link), or an
address in words matched against the buildings of the partner's street."""

from grids.models import Building, Unit, building_label


def by_code(scope, code: str):
    """The unit or building with this public code in the scope's places, or None."""
    code = (code or "").strip()
    if not code or len(code) > 12:
        return None
    return (
        scope.narrow(Unit.objects.select_related("building__grid")).filter(public_code=code).first()
        or scope.narrow(Building.objects.select_related("grid")).filter(public_code=code).first()
    )


def by_words(scope, address: str):
    """The building whose estate and name appear in the address (the longest match wins),
    and its unit when the unit's name follows; None when no building matches or two tie.

    The street's buildings are read as names only, and only the chosen one's units are
    loaded: a street has some 550 buildings and 2,200 units to compare an order against."""
    text = "".join((address or "").split())
    if not text:
        return None
    matches = []
    for pk, estate, name in scope.narrow(Building.objects.all()).values_list(
        "pk", "estate", "name"
    ):
        label = "".join(building_label(estate, name).split())
        if label and label in text:
            matches.append((len(label), pk, text.split(label, 1)[1]))
    if not matches:
        return None
    matches.sort(key=lambda m: m[0], reverse=True)
    if len(matches) > 1 and matches[0][0] == matches[1][0]:
        return None  # two buildings read the same: staff decide
    _length, pk, rest = matches[0]
    building = Building.objects.select_related("grid").get(pk=pk)
    for unit in building.units.all():
        if rest.startswith("".join(unit.name.split())):
            return unit
    return building


def case_place(place) -> dict:
    """The Case fields of a unit or a building."""
    if isinstance(place, Unit):
        return {"grid": place.building.grid, "building": place.building, "unit": place}
    return {"grid": place.grid, "building": place, "unit": None}
