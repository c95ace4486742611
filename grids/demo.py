"""万青路街道 at the seed's scale: 8 communities, 110 grids, 1838 units with their unit leaders.

The street is built as a sheet of rows and written by the importer, so the demo takes the
same path as a real street office's upload, and running it twice changes nothing.
"""

import csv
import io
import random

from . import imports
from .models import Street

STREET_NAME = "万青路街道"
DISTRICT = "包头市青山区"
# (community, grids, estates) — 春光, 富南 and 草原 are the seed's own.
COMMUNITIES = [
    ("春光社区", 14, ["春光小区", "春光二区"]),
    ("富南社区", 14, ["金苑小区", "富南小区"]),
    ("草原社区", 14, ["晋剧团家属楼", "同心公寓", "草原小区"]),
    ("青福社区", 14, ["青福小区", "福源小区"]),
    ("万和社区", 14, ["万和小区", "和谐家园"]),
    ("幸福社区", 14, ["幸福小区", "幸福南区"]),
    ("阳光社区", 13, ["阳光小区", "阳光花园"]),
    ("和平社区", 13, ["和平小区", "和平里"]),
]
UNIT_TOTAL = 1838
UNITS_PER_BUILDING = 4
OUTSIDE_BODIES = [
    ("包头市供水公司", "张师傅", "0472-5123456"),
    ("万青路派出所", "王警官", "0472-5110110"),
    ("青山区人民法院", "李法官", "0472-5134567"),
    ("包头市热力公司", "赵师傅", "0472-5145678"),
    ("包头市燃气公司", "孙师傅", "0472-5156789"),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"  # noqa: E501
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国玉兰红梅海燕志强丽娟淑珍凤英桂兰建华秀云玉珍德明文"  # noqa: E501


def grid_name(number: int) -> str:
    return f"第{number}网格"


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _mobile(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"


def _units_per_grid() -> list[int]:
    grid_count = sum(grids for _name, grids, _estates in COMMUNITIES)
    base, extra = divmod(UNIT_TOTAL, grid_count)
    return [base + (1 if i < extra else 0) for i in range(grid_count)]


def sheet_rows() -> list[list[str]]:
    """The demo street as import rows (headings first), the same every time."""
    rng = random.Random(20251017)
    rows = [["社区", "网格", "小区", "楼栋", "单元", "人员类型", "姓名", "电话", "单位"]]
    units_per_grid = iter(_units_per_grid())
    for community, grid_count, estates in COMMUNITIES:
        rows.append(
            [community, "", "", "", "", "物业", _name(rng), _mobile(rng), f"{estates[0]}物业"]
        )
        rows.append([community, "", "", "", "", "业委会", _name(rng), _mobile(rng), ""])
        for number in range(1, grid_count + 1):
            grid = grid_name(number)
            estate = estates[(number - 1) % len(estates)]
            rows.append([community, grid, "", "", "", "党小组组长", _name(rng), _mobile(rng), ""])
            for _ in range(2):
                rows.append(
                    [community, grid, "", "", "", "党小组成员", _name(rng), _mobile(rng), ""]
                )
            rows.append([community, grid, "", "", "", "居民代表", _name(rng), _mobile(rng), ""])
            for index in range(next(units_per_grid)):
                building = f"{(number - 1) * 5 + index // UNITS_PER_BUILDING + 1}号楼"
                unit = f"{index % UNITS_PER_BUILDING + 1}单元"
                rows.append(
                    [
                        community,
                        grid,
                        estate,
                        building,
                        unit,
                        "单元长",
                        _name(rng),
                        _mobile(rng),
                        "",
                    ]
                )
    for organisation, name, phone in OUTSIDE_BODIES:
        rows.append(["", "", "", "", "", "驻区单位", name, phone, organisation])
    return rows


def build_street():
    """Create or update the demo street; returns (street, import counts)."""
    street, _created = Street.objects.get_or_create(
        name=STREET_NAME, defaults={"district": DISTRICT}
    )
    buffer = io.StringIO()
    csv.writer(buffer).writerows(sheet_rows())
    report = imports.check(street, buffer.getvalue().encode(), create_places=True)
    if not report.ok:
        raise RuntimeError(f"demo sheet has errors: {report.errors[:5]}")
    return street, imports.apply(street, report)
