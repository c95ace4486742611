"""The one place that decides what a user may see.

A user's roles name places; a model says, in `scope_paths`, how each of its rows reaches a
street, a community and a grid. `Scope.narrow()` keeps the rows under the places the user
holds, and views load every object through it, so anything outside is a 404. A model with no
path for a level is invisible to holders at that level (a grid worker sees no community page).

Some rows may also be READ by people who do not hold their place: a model names them in
`reader_paths` ("user": a path to a user id, "grid": a path to a grid id, both through
to-many relations). `Scope.readable()` and `Scope.get_readable()` add those readers to the
holders; pages that only show a row load it that way, while lists, counts and every change
keep to `narrow()`, so a reader sees the row and can do nothing with it.
"""

from dataclasses import dataclass, field, replace

from django.db.models import CharField, Model, OuterRef, Q, QuerySet, StringAgg, Subquery, Value
from django.db.models.functions import Cast, Coalesce, Concat
from django.shortcuts import get_object_or_404

from .capabilities import GRANTS, Capability, kinds_granting
from .models import LEVEL_OF_KIND, Role

LEVELS = ("street", "community", "grid")
ROLE_COLUMNS = ("kind", "street_id", "community_id", "grid_id")


def roles_of_the_user():
    """A user's roles as one text column of the user's own row ("kind:street:community:grid",
    ";" between roles; an empty place is ""), so that the session's account and its roles come
    in one query (accounts/login.py), read by `Scope.for_user(…, loaded=True)`."""
    parts = []
    for column in ROLE_COLUMNS:
        text = Coalesce(Cast(column, output_field=CharField()), Value(""))
        parts += [text, Value(":")]
    rows = (
        Role.objects.filter(user=OuterRef("pk"))
        .order_by()
        .values("user")
        .annotate(text=StringAgg(Concat(*parts[:-1]), delimiter=Value(";")))
        .values("text")
    )
    return Subquery(rows, output_field=CharField())


def _read_roles(text):
    for row in (text or "").split(";"):
        if row:
            kind, *places = row.split(":")
            yield (kind, *(int(place) if place else None for place in places))


@dataclass(frozen=True)
class Scope:
    user_id: int | None
    is_superuser: bool = False
    held: dict = field(default_factory=lambda: {level: frozenset() for level in LEVELS})
    kinds: frozenset = frozenset()
    # A partner's API key (interop): its street's rows, and of cases only those it brought.
    partner_id: int | None = None

    @classmethod
    def for_partner(cls, partner) -> "Scope":
        held = {level: frozenset() for level in LEVELS}
        held["street"] = frozenset({partner.street_id})
        return cls(user_id=partner.service_user_id, held=held, partner_id=partner.pk)

    @classmethod
    def for_user(cls, user, loaded=False) -> "Scope":
        """The user's places, from their roles read now; `loaded`: as read with the account
        itself this request (`roles_of_the_user`), when it was."""
        if not user.is_authenticated or not user.is_active:
            return cls(user_id=None)
        held = {level: set() for level in LEVELS}
        kinds = set()
        if loaded and hasattr(user, "roles_text"):
            roles = _read_roles(user.roles_text)
        else:
            roles = Role.objects.filter(user=user).values_list(*ROLE_COLUMNS)
        for kind, street_id, community_id, grid_id in roles:
            level = LEVEL_OF_KIND[kind]
            held[level].add(
                {"street": street_id, "community": community_id, "grid": grid_id}[level]
            )
            kinds.add(kind)
        return cls(
            user_id=user.pk,
            is_superuser=user.is_superuser,
            held={level: frozenset(ids) for level, ids in held.items()},
            kinds=frozenset(kinds),
        )

    # What the user may do, place by place (accounts/capabilities.py) ----------------------
    def granting(self, capability: Capability) -> "Scope":
        """This scope narrowed to the places where one of the user's roles grants
        `capability`: load through it whatever the capability acts on, and a row of any other
        place is a 404, whatever the user's other roles."""
        if self.is_superuser:
            return self
        kinds = kinds_granting(capability) & self.kinds
        levels = {LEVEL_OF_KIND[kind] for kind in kinds}
        held = {level: self.held[level] if level in levels else frozenset() for level in LEVELS}
        return replace(self, held=held, kinds=frozenset(kinds))

    def may(self, capability: Capability, obj) -> bool:
        """Whether the user holds `capability` at `obj`'s place."""
        return self.granting(capability).holds(obj)

    @property
    def capabilities(self) -> frozenset:
        """What the user may do somewhere: for menus and buttons only, which then lead to
        pages that check the object's place."""
        if self.is_superuser:
            return frozenset(Capability)
        return frozenset().union(*(GRANTS[kind] for kind in self.kinds))

    @property
    def home_level(self) -> str:
        """The highest level the user holds a role at: what the menu calls "my street",
        "my community" or "my grids"."""
        if self.is_superuser or self.street_ids:
            return "street"
        return "community" if self.community_ids else "grid"

    @property
    def has_any_place(self) -> bool:
        return self.is_superuser or any(self.held.values())

    @property
    def places_key(self) -> tuple:
        """Everything that decides what this scope reaches, as a cache key: pages that show
        the same places to many users render them once (common/fragments.py)."""
        return (
            self.is_superuser,
            self.partner_id,
            tuple(sorted(self.kinds)),
            *(tuple(sorted(self.held[level])) for level in LEVELS),
        )

    def streets(self) -> frozenset | None:
        """The streets the held places lie in; None for every street (a superuser's). Asks the
        database only for the streets of held communities and grids (the search reads each
        street's part of its index, cases/search.py)."""
        if self.is_superuser and self.partner_id is None:
            return None
        from grids.models import Community, Grid

        streets = set(self.held["street"])
        if self.held["community"]:
            communities = Community.objects.filter(pk__in=self.held["community"])
            streets |= set(communities.values_list("street_id", flat=True))
        if self.held["grid"]:
            grids = Grid.objects.filter(pk__in=self.held["grid"])
            streets |= set(grids.values_list("community__street_id", flat=True))
        return frozenset(streets)

    @property
    def street_ids(self) -> frozenset:
        return self.held["street"]

    @property
    def community_ids(self) -> frozenset:
        return self.held["community"]

    @property
    def grid_ids(self) -> frozenset:
        return self.held["grid"]

    def q(self, model: type[Model]) -> Q | None:
        """The filter for `model`'s rows under the held places; None means everything."""
        if self.is_superuser:
            return None
        paths = model.scope_paths
        condition = Q(pk__in=[])
        for level in LEVELS:
            ids = self.held[level]
            if ids and level in paths:
                condition |= Q(**{f"{paths[level]}__in": ids})
        if self.partner_id is not None:
            # Places are the street's; cases only those the partner brought.
            path = paths.get("partner")
            return condition & Q(**{path: self.partner_id}) if path else condition
        return condition

    def reader_q(self, model: type[Model]) -> Q | None:
        """The filter for `model`'s rows this user may read: the held places and the rows whose
        `reader_paths` reach the user or a held grid; None means everything."""
        condition = self.q(model)
        if condition is None or self.user_id is None:
            return condition
        paths = getattr(model, "reader_paths", {})
        reached = Q(pk__in=[])
        if "user" in paths:
            reached |= Q(**{paths["user"]: self.user_id})
        if "grid" in paths and self.grid_ids:
            reached |= Q(**{f"{paths['grid']}__in": self.grid_ids})
        # Through a subquery: to-many paths would repeat a row once per matching child.
        return condition | Q(pk__in=model._default_manager.filter(reached).values("pk"))

    def readable(self, queryset: QuerySet) -> QuerySet:
        condition = self.reader_q(queryset.model)
        return queryset if condition is None else queryset.filter(condition)

    def get_readable(self, queryset_or_model, **lookup):
        """Load one object to show it: a 404 unless the user holds it or is one of its readers."""
        return get_object_or_404(self.readable(_queryset(queryset_or_model)), **lookup)

    def may_read(self, obj) -> bool:
        return self.readable(type(obj)._default_manager.filter(pk=obj.pk)).exists()

    def narrow(self, queryset: QuerySet) -> QuerySet:
        condition = self.q(queryset.model)
        return queryset if condition is None else queryset.filter(condition)

    def get(self, queryset_or_model, **lookup):
        """Load one object through the scope: a 404 for anything outside it."""
        return get_object_or_404(self.narrow(_queryset(queryset_or_model)), **lookup)

    def holds(self, obj) -> bool:
        """Whether `obj` lies in the held places. A row that carries its places in its own
        columns (a case's street, community and grid) is answered from them, without asking
        the database again for what the view has just read through this scope."""
        on_row = self._held_on_row(obj)
        if on_row is not None:
            return on_row
        return self.narrow(type(obj)._default_manager.filter(pk=obj.pk)).exists()

    def _held_on_row(self, obj) -> bool | None:
        """The answer from the row's own columns, or None where a path leaves the row (a
        partner's cases, a place reached through another table) or the row is not saved."""
        if obj.pk is None or self.partner_id is not None:
            return None
        if self.is_superuser:
            return True
        paths = type(obj).scope_paths
        columns = [
            (paths[level], self.held[level])
            for level in LEVELS
            if self.held[level] and level in paths
        ]
        if any("__" in path for path, _ids in columns):
            return None
        return any(getattr(obj, path) in ids for path, ids in columns)


def _queryset(queryset_or_model) -> QuerySet:
    if isinstance(queryset_or_model, QuerySet):
        return queryset_or_model
    return queryset_or_model._default_manager.all()


ANONYMOUS = Scope(user_id=None)
