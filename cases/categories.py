"""Category names in the reader's language.

Categories are database rows named in Chinese. The eight every installation starts with
(migration 0002) have an English name here, translated back to the stored Chinese by the
zh_Hans catalogue; a category street staff add themselves keeps the name they gave it.
"""

from django.utils.translation import gettext_lazy as _

DEFAULT_NAMES = {
    "水电气暖": _("Water, power, gas and heating"),
    "环境卫生": _("Sanitation and environment"),
    "设施维修": _("Facility repairs"),
    "邻里纠纷": _("Disputes between neighbours"),
    "安全隐患": _("Safety hazards"),
    "特殊人群关怀": _("Care for vulnerable people"),
    "法律咨询": _("Legal advice"),
    "其他": _("Other"),
}


def category_label(name: str) -> str:
    """The stored name as the reader's language says it."""
    label = DEFAULT_NAMES.get(name)
    return str(label) if label is not None else name
