"""Importing the hierarchy and its people from a sheet.

`check()` reads every row and reports every bad one (line, column, reason) without writing;
`apply()` writes only a clean sheet, in one transaction, creating what is new and updating
what changed, so importing the same sheet again changes nothing.
"""

from collections import Counter
from dataclasses import dataclass, field

from django.db import transaction

from common.lists import joined
from common.phones import is_valid_phone, normalise_phone
from common.said import Said as _  # noqa: N814 (an import's errors are read later)
from common.said import stored
from common.text import CONTROL_CHARACTER_TEXT, has_refused_characters

from .models import Building, Community, Contact, ContactKind, Grid, Street, Unit
from .sheet import COLUMNS, SheetError, read_rows

KIND_BY_LABEL = {
    "单元长": ContactKind.UNIT_LEADER,
    "党小组成员": ContactKind.PARTY_MEMBER,
    "党小组组长": ContactKind.PARTY_MEMBER,
    "居民代表": ContactKind.RESIDENT_REP,
    "物业": ContactKind.PROPERTY_MANAGER,
    "业委会": ContactKind.COMMITTEE,
    "物管会": ContactKind.COMMITTEE,
    "驻区单位": ContactKind.OUTSIDE_BODY,
}
for _kind in ContactKind:
    KIND_BY_LABEL.setdefault(_kind.value, _kind)
LEADER_LABELS = {"党小组组长"}


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    reason: str


@dataclass(frozen=True)
class PersonRow:
    kind: str
    name: str
    phone: str
    organisation: str
    is_leader: bool


@dataclass(frozen=True)
class PlaceRow:
    line: int
    community: str
    grid: str
    estate: str
    building: str
    unit: str
    person: PersonRow | None


@dataclass
class Report:
    errors: list[RowError] = field(default_factory=list)
    rows: list[PlaceRow] = field(default_factory=list)
    lines: int = 0  # the sheet's rows below its headings, good or not
    counts: Counter = field(default_factory=Counter)

    @property
    def ok(self) -> bool:
        return not self.errors

    def error_rows(self, limit: int = 1000) -> list[list]:
        """The errors as stored on an ImportBatch and shown on its page."""
        return [[e.line, e.column, stored(e.reason)] for e in self.errors[:limit]]


def check(street: Street, data: bytes, *, create_places: bool = False) -> Report:
    report = Report()
    try:
        columns, table = read_rows(data)
    except SheetError as error:
        report.errors.append(RowError(line=1, column="", reason=error.args[0]))
        return report
    report.lines = len(table)
    known = _KnownPlaces(street)
    unit_leader_lines: dict[tuple, int] = {}
    for line, cells in table:
        row, errors = _parse_row(line, cells, columns)
        report.errors.extend(errors)
        if row is None:
            continue
        report.errors.extend(known.check(row, create_places))
        if row.person and row.person.kind == ContactKind.UNIT_LEADER:
            unit_key = (row.community, row.grid, row.estate, row.building, row.unit)
            if unit_key in unit_leader_lines:
                report.errors.append(
                    RowError(
                        line,
                        COLUMNS["unit"][0],
                        _("This unit already has a unit leader on line %(line)s.")
                        % {"line": unit_leader_lines[unit_key]},
                    )
                )
            unit_leader_lines[unit_key] = line
        report.rows.append(row)
    report.counts.update(rows=len(report.rows))
    return report


def _parse_row(line, cells, columns):
    def cell(name):
        index = columns.get(name)
        return cells[index] if index is not None and index < len(cells) else ""

    def error(name, reason):
        return RowError(line, COLUMNS[name][0], reason)

    raw = {name: cell(name) for name in COLUMNS}
    # Checked before stripping: a control character is refused, never silently trimmed.
    errors = [
        error(name, _(CONTROL_CHARACTER_TEXT))
        for name, value in raw.items()
        if has_refused_characters(value)
    ]
    values = {name: value.strip() for name, value in raw.items()}
    for name, value in values.items():
        limit = 80 if name == "organisation" else 50  # the model fields' max_length
        if len(value) > limit:
            errors.append(error(name, _("Too long.")))
    if not values["community"] and KIND_BY_LABEL.get(values["kind"]) != ContactKind.OUTSIDE_BODY:
        errors.append(error("community", _("A community is required.")))
    if values["unit"] and not values["building"]:
        errors.append(error("building", _("A unit needs its building.")))
    if values["building"] and not values["grid"]:
        errors.append(error("grid", _("A building needs its grid.")))
    person = None
    if values["kind"] or values["name"] or values["phone"]:
        person, person_errors = _parse_person(values, error)
        errors.extend(person_errors)
    if errors:
        return None, errors
    return PlaceRow(
        line=line,
        community=values["community"],
        grid=values["grid"],
        estate=values["estate"],
        building=values["building"],
        unit=values["unit"],
        person=person,
    ), []


def _parse_person(values, error):
    errors = []
    kind = KIND_BY_LABEL.get(values["kind"])
    if kind is None:
        errors.append(
            error(
                "kind",
                _("Unknown kind of person; use one of: %(kinds)s.")
                % {"kinds": joined(label for label in KIND_BY_LABEL if not label.isascii())},
            )
        )
    if not values["name"]:
        errors.append(error("name", _("A name is required.")))
    phone = normalise_phone(values["phone"])
    if not phone:
        errors.append(error("phone", _("A phone number is required.")))
    elif not is_valid_phone(phone):
        errors.append(
            error(
                "phone", _("“%(phone)s” is not a valid phone number.") % {"phone": values["phone"]}
            )
        )
    if kind == ContactKind.UNIT_LEADER and not values["unit"]:
        errors.append(error("unit", _("A unit leader needs a unit.")))
    if kind == ContactKind.PARTY_MEMBER and not values["grid"]:
        errors.append(error("grid", _("A Party group member needs a grid.")))
    if errors:
        return None, errors
    return PersonRow(
        kind=kind,
        name=values["name"],
        phone=phone,
        organisation=values["organisation"],
        is_leader=values["kind"] in LEADER_LABELS,
    ), []


class _KnownPlaces:
    """The street's communities and grids, to tell a typo from a place."""

    def __init__(self, street):
        self.communities = set(street.communities.values_list("name", flat=True))
        self.grids = set(
            Grid.objects.filter(community__street=street).values_list("community__name", "name")
        )

    def check(self, row: PlaceRow, create_places: bool) -> list[RowError]:
        if create_places or not row.community:
            return []
        if row.community not in self.communities:
            return [
                RowError(
                    row.line,
                    COLUMNS["community"][0],
                    _("No community “%(name)s” in this street.") % {"name": row.community},
                )
            ]
        if row.grid and (row.community, row.grid) not in self.grids:
            return [
                RowError(
                    row.line,
                    COLUMNS["grid"][0],
                    _("No grid “%(grid)s” in %(community)s.")
                    % {"grid": row.grid, "community": row.community},
                )
            ]
        return []


@transaction.atomic
def apply(street: Street, report: Report) -> Counter:
    """Write a clean report's rows; return how many rows of each kind were created/updated."""
    if not report.ok:
        raise ValueError("only a clean sheet is imported")
    writer = _Writer(Street.objects.select_for_update().get(pk=street.pk))
    for row in report.rows:
        writer.place(row)
    writer.flush_places()
    for row in report.rows:
        if row.person:
            writer.person(row)
    writer.flush_people()
    return writer.counts


class _Writer:
    """Creates places in bulk, level by level, and people after them."""

    def __init__(self, street):
        self.street = street
        self.counts = Counter()
        self.communities = {c.name: c for c in street.communities.all()}
        self.grids = {
            (g.community.name, g.name): g
            for g in Grid.objects.filter(community__street=street).select_related("community")
        }
        self.buildings = {
            (b.grid_id, b.estate, b.name): b
            for b in Building.objects.filter(grid__community__street=street)
        }
        self.units = {
            (u.building_id, u.name): u
            for u in Unit.objects.filter(building__grid__community__street=street)
        }
        contacts = Contact.objects.filter(street=street)
        self.leaders = {c.unit_id: c for c in contacts if c.kind == ContactKind.UNIT_LEADER}
        self.others = {
            (c.kind, c.community_id, c.grid_id, c.name): c
            for c in contacts
            if c.kind != ContactKind.UNIT_LEADER
        }
        self.pending_rows = []
        self.new_contacts = []
        self.changed_contacts = []

    def place(self, row):
        if not row.community:
            return  # a street-wide outside body
        self._community(row.community)
        if row.grid:
            self._grid(row.community, row.grid)
        self.pending_rows.append(row)

    def _community(self, name):
        if name not in self.communities:
            self.communities[name] = Community.objects.create(street=self.street, name=name)
            self.counts["communities"] += 1
        return self.communities[name]

    def _grid(self, community_name, name):
        key = (community_name, name)
        if key not in self.grids:
            community = self.communities[community_name]
            self.grids[key] = Grid.objects.create(community=community, name=name)
            self.counts["grids"] += 1
        return self.grids[key]

    def flush_places(self):
        """Buildings, then units, each in one bulk insert."""
        new_buildings = {}
        for row in self.pending_rows:
            if row.building:
                key = (self.grids[(row.community, row.grid)].pk, row.estate, row.building)
                if key not in self.buildings and key not in new_buildings:
                    new_buildings[key] = Building(grid_id=key[0], estate=key[1], name=key[2])
        for building in Building.objects.bulk_create(new_buildings.values()):
            self.buildings[(building.grid_id, building.estate, building.name)] = building
        self.counts["buildings"] += len(new_buildings)
        new_units = {}
        for row in self.pending_rows:
            if row.unit:
                building = self._building(row)
                key = (building.pk, row.unit)
                if key not in self.units and key not in new_units:
                    new_units[key] = Unit(building=building, name=row.unit)
        for unit in Unit.objects.bulk_create(new_units.values()):
            self.units[(unit.building_id, unit.name)] = unit
        self.counts["units"] += len(new_units)

    def _building(self, row):
        return self.buildings[(self.grids[(row.community, row.grid)].pk, row.estate, row.building)]

    def person(self, row):
        person = row.person
        community = self.communities.get(row.community)
        grid = self.grids[(row.community, row.grid)] if row.grid else None
        unit = self.units[(self._building(row).pk, row.unit)] if row.unit else None
        if person.kind == ContactKind.UNIT_LEADER:
            existing = self.leaders.get(unit.pk)
        else:
            existing = self.others.get(
                (person.kind, community and community.pk, grid and grid.pk, person.name)
            )
        values = {
            "kind": person.kind,
            "name": person.name,
            "phone": person.phone,
            "organisation": person.organisation,
            "is_leader": person.is_leader,
            "street": self.street,
            "community": community,
            "grid": grid,
            "unit": unit,
        }
        if existing is None:
            contact = Contact(**values)
            self.new_contacts.append(contact)
            if unit:
                self.leaders[unit.pk] = contact
        elif any(
            getattr(existing, f) != v
            for f, v in values.items()
            if f in ("name", "phone", "organisation", "is_leader", "unit")
        ):
            for name, value in values.items():
                setattr(existing, name, value)
            self.changed_contacts.append(existing)

    def flush_people(self):
        Contact.objects.bulk_create(self.new_contacts)
        Contact.objects.bulk_update(
            self.changed_contacts, ["name", "phone", "organisation", "is_leader", "unit"]
        )
        self.counts["people_created"] += len(self.new_contacts)
        self.counts["people_updated"] += len(self.changed_contacts)
