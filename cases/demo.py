"""A year of cases in the demo street, in every state, with the seed's three stories.

Built in bulk with a fixed random seed, so every demo street reads the same: mostly simple
matters handled directly, about 135 decided through deliberation, some declined, and the
last weeks' cases still open — a few of them overdue and escalated to the street.
"""

import random
from datetime import datetime, time, timedelta

from django.conf import settings
from django.utils import timezone

from accounts.models import Role, RoleKind
from common.workdays import add_working_days
from grids.models import Contact, ContactKind, Unit

from . import history
from .models import (
    Case,
    CaseEvent,
    Category,
    Channel,
    Escalation,
    ExplanationMethod,
    Outcome,
    Satisfaction,
    State,
    Task,
    TaskStatus,
    Urgency,
)

DELIBERATED_SHARE = 0.07  # ≈ 135 of the year's cases go through 提/议/决/办
EMERGENCY_SHARE = 0.29  # of those, the urgent ones taken up by an emergency session
RNG_SEED = 20251117

# What residents ask for, by category: (description, plan when deliberated).
MATTERS = {
    "水电气暖": [
        ("楼道灯坏了，晚上上下楼看不见", "物业更换灯具+单元长每周巡查"),
        ("暖气不热，家里只有十几度", "热力公司入户排查+更换阀门"),
        ("下水道堵了，污水返到一楼", "物业疏通+更换主管道"),
        ("水压太低，六楼用不上水", "供水公司加装二次加压泵"),
    ],
    "环境卫生": [
        ("楼下垃圾桶满了没人清运", "增加清运频次+设置分类桶"),
        ("小区绿化带里堆了建筑垃圾", "物业清运+张贴告示"),
        ("楼道里堆满杂物，影响通行", "单元长劝导+集中清理日"),
    ],
    "设施维修": [
        ("小区健身器材坏了，老人不敢用", "申请维修资金+更换器材"),
        ("单元门禁坏了，陌生人随便进", "物业维修门禁+单元长登记钥匙"),
        ("楼顶漏雨，顶层住户家里发霉", "维修资金+防水施工+临时遮挡"),
    ],
    "邻里纠纷": [
        ("楼上装修噪音太大，晚上也施工", "约定施工时间+居民代表监督"),
        ("邻居在楼道里养狗，气味很大", "邻里协商+文明养犬公约"),
    ],
    "安全隐患": [
        ("电动车在楼道里充电，担心起火", "建集中充电桩+楼道巡查"),
        ("消防通道被私家车占用", "划线禁停+物业每日巡查"),
    ],
    "特殊人群关怀": [
        ("独居老人行动不便，买菜困难", "志愿者结对+每周上门"),
        ("残疾居民申请无障碍坡道", "申请改造资金+施工"),
    ],
    "法律咨询": [("子女不赡养老人，想咨询怎么办", "")],
    "其他": [("想在小区开个老年活动室", "协调闲置用房+志愿者管理")],
}
CATEGORY_WEIGHTS = {
    "水电气暖": 28,
    "环境卫生": 20,
    "设施维修": 20,
    "邻里纠纷": 10,
    "安全隐患": 9,
    "特殊人群关怀": 7,
    "法律咨询": 3,
    "其他": 3,
}
CHANNEL_WEIGHTS = {
    Channel.WECHAT_GROUP: 30,
    Channel.VISIT: 30,
    Channel.PHONE: 20,
    Channel.WALK_IN: 10,
    Channel.ONLINE: 10,
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董"
TITLES = ["大妈", "大爷", "阿姨", "师傅", "女士", "先生"]

# The seed's stories: (community, estate, category, description, plan, tasks, urgent).
STORIES = [
    (
        "春光社区",
        None,
        "水电气暖",
        "“小张，我家水龙头滴滴答答响了一夜，早上起来连洗脸水都接不上啦！”"
        "供水公司排查发现需更换地下锈蚀管道。",
        "自筹资金+具体施工+临时供水",
        ["单元长代收更换费用", "更换地下锈蚀管道", "施工期间临时供水"],
        True,
    ),
    (
        "富南社区",
        "金苑小区",
        "设施维修",
        "金苑小区广场的连体桌椅破损，老人们没地方下棋聊天。",
        "翻修连体桌椅+党员志愿者维修队+物业“每日双巡”",
        ["党员志愿者维修队翻修桌椅", "物业建立“每日双巡”"],
        False,
    ),
    (
        "草原社区",
        "晋剧团家属楼",
        "安全隐患",
        "晋剧团家属楼的拾荒老人在家中、楼道堆满垃圾，引发卫生、消防隐患，邻居沟通无果。",
        "分步清理+心理咨询+监督小组",
        ["家属承诺自行清理", "开展精神慰藉", "物业、清扫员和民警集中清理"],
        False,
    ),
]


# The stories come back (未诉先办): the same problem at the same place again in the last weeks,
# which the nightly grouping finds as recurring problems. (story's community, estate, category,
# [(days ago, description)]); the older ones are accepted, the last days' wait to be.
ECHOES = [
    (
        "春光社区",
        None,
        "水电气暖",
        [
            (75, "水龙头又滴滴答答响了一夜，接不上水"),
            (48, "楼里水管锈蚀，水龙头一直滴水"),
            (21, "水龙头滴水，家里地面都湿了"),
            (1, "水龙头滴滴答答，晚上睡不着"),
        ],
    ),
    (
        "富南社区",
        "金苑小区",
        "设施维修",
        [
            (60, "金苑小区广场的连体桌椅又坏了一张，椅面裂开"),
            (33, "广场连体桌椅松动，老人坐着不安全"),
            (2, "金苑小区连体桌椅破损，下棋的地方没了"),
        ],
    ),
]


class DemoPeople:
    """The demo accounts by place, for owners and actors."""

    def __init__(self, street):
        self.officer_of = {}
        self.worker_of = {}
        for role in Role.objects.filter(street=street).select_related("user"):
            if role.kind == RoleKind.COMMUNITY_OFFICER:
                self.officer_of[role.community_id] = role.user
            elif role.kind == RoleKind.GRID_WORKER:
                self.worker_of[role.grid_id] = role.user


def build_cases(street, sessions, now=None) -> dict:
    """Create the year's cases once; on a street that has cases, do nothing.

    `sessions` places deliberated cases in meetings (meetings.demo.DemoSessions): it answers
    `slot(case, after, urgent)` with (meeting id, start) and is told what each item became.
    """
    if Case.objects.filter(street=street).exists():
        return {}
    now = now or timezone.now()
    rng = random.Random(RNG_SEED)
    people = DemoPeople(street)
    # The starting categories come with the migrations; a street may have renamed some.
    categories = {
        name: Category.objects.get_or_create(name=name, defaults={"position": position})[0]
        for position, name in enumerate(CATEGORY_WEIGHTS)
    }
    units = list(
        Unit.objects.filter(building__grid__community__street=street).values(
            "id",
            "building_id",
            "building__grid_id",
            "building__grid__community_id",
            "building__estate",
        )
    )
    community_ids = dict(street.communities.values_list("name", "pk"))
    builder = _Builder(rng, now, people, street, sessions)
    for _ in range(settings.DEMO_CASES_PER_YEAR):
        unit = rng.choice(units)
        category = rng.choices(list(CATEGORY_WEIGHTS), list(CATEGORY_WEIGHTS.values()))[0]
        description, plan = rng.choice(MATTERS[category])
        builder.add(unit, categories[category], description, plan, story=None)
    for community, estate, category, description, plan, tasks, urgent in STORIES:
        candidates = [
            u
            for u in units
            if u["building__grid__community_id"] == community_ids[community]
            and (estate is None or u["building__estate"] == estate)
        ]
        builder.add(
            candidates[0],
            categories[category],
            description,
            plan,
            story=(tasks, urgent),
        )
    for community, estate, category, moments in ECHOES:
        unit = next(
            u
            for u in units
            if u["building__grid__community_id"] == community_ids[community]
            and (estate is None or u["building__estate"] == estate)
        )
        for days_ago, description in moments:
            builder.add_echo(unit, categories[category], description, days_ago)
    chunguang_1 = next(
        u for u in units if u["building__grid__community_id"] == community_ids["春光社区"]
    )
    builder.add_waiting(chunguang_1, categories["安全隐患"])
    return builder.save()


class _Builder:
    def __init__(self, rng, now, people, street, sessions):
        self.rng, self.now, self.people, self.street = rng, now, people, street
        self.sessions = sessions
        self.cases, self.events, self.tasks, self.escalations = [], [], [], []
        self.water_company = Contact.objects.filter(
            street=street, kind=ContactKind.OUTSIDE_BODY, organisation__contains="供水"
        ).first()

    def _moment(self, start, min_hours, max_hours):
        return start + timedelta(hours=self.rng.uniform(min_hours, max_hours))

    def add(self, unit, category, description, plan, story):
        rng, now = self.rng, self.now
        grid_id = unit["building__grid_id"]
        community_id = unit["building__grid__community_id"]
        worker = self.people.worker_of[grid_id]
        officer = self.people.officer_of[community_id]
        if story:
            logged = now - timedelta(days=rng.randint(200, 300))
        else:
            day = now.date() - timedelta(days=rng.randint(0, 364))
            logged = timezone.make_aware(
                datetime.combine(day, time(rng.randint(7, 20), rng.randint(0, 59)))
            )
            if logged > now:
                logged = now - timedelta(minutes=rng.randint(5, 300))
        case = Case(
            resident_name=rng.choice(SURNAMES) + rng.choice(TITLES),
            resident_phone=f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
            street_id=self.street.pk,
            community_id=community_id,
            grid_id=grid_id,
            building_id=unit["building_id"],
            unit_id=unit["id"] if rng.random() < 0.8 else None,
            category=category,
            description=description,
            channel=rng.choices(list(CHANNEL_WEIGHTS), list(CHANNEL_WEIGHTS.values()))[0],
            urgency=Urgency.URGENT if (story and story[1]) or rng.random() < 0.08 else "routine",
            created_by=worker,
            created_at=logged,
            response_deadline=add_working_days(logged, self.street.response_working_days),
            accept_by=add_working_days(logged, self.street.response_working_days),
        )
        steps = [("log", "", State.SUBMITTED, worker, logged, "", {})]
        age_days = (now - logged).days
        deliberated = bool(story) or (bool(plan) and rng.random() < DELIBERATED_SHARE * 1.3)
        self._walk(case, steps, worker, officer, age_days, deliberated, plan, story)
        self.cases.append((case, steps, story))

    def add_echo(self, unit, category, description, days_ago):
        """A case at a story's place again (ECHOES): accepted by the grid worker, or still
        waiting when it came in the last days."""
        worker = self.people.worker_of[unit["building__grid_id"]]
        officer = self.people.officer_of[unit["building__grid__community_id"]]
        logged = self.now - timedelta(days=days_ago, hours=self.rng.randint(1, 6))
        case = Case(
            resident_name=self.rng.choice(SURNAMES) + self.rng.choice(TITLES),
            resident_phone=f"139{self.rng.randrange(10**8):08d}",
            street_id=self.street.pk,
            community_id=unit["building__grid__community_id"],
            grid_id=unit["building__grid_id"],
            building_id=unit["building_id"],
            unit_id=unit["id"],
            category=category,
            description=description,
            channel=Channel.WECHAT_GROUP,
            created_by=worker,
            created_at=logged,
            accept_by=add_working_days(logged, self.street.response_working_days),
            response_deadline=add_working_days(logged, self.street.response_working_days),
        )
        steps = [("log", "", State.SUBMITTED, worker, logged, "", {})]
        if days_ago > 3:
            accepted = logged + timedelta(hours=2)
            case.state = State.ACCEPTED
            case.owner = worker
            case.accepted_at = accepted
            case.response_deadline = self.now + timedelta(days=10)
            steps.append(
                (
                    "accept",
                    State.SUBMITTED,
                    State.ACCEPTED,
                    officer,
                    accepted,
                    "",
                    {"owner": worker.first_name},
                )
            )
        self.cases.append((case, steps, None))

    def add_waiting(self, unit, category):
        """Two cases of 春光社区 第1网格 that remind on the first scan after `make run`: one
        not accepted in time (its officer's bell) and one whose follow-up visit is due (its
        grid worker's bell)."""
        now = self.now
        worker = self.people.worker_of[unit["building__grid_id"]]
        officer = self.people.officer_of[unit["building__grid__community_id"]]
        place = {
            "street_id": self.street.pk,
            "community_id": unit["building__grid__community_id"],
            "grid_id": unit["building__grid_id"],
            "building_id": unit["building_id"],
            "unit_id": unit["id"],
            "category": category,
            "created_by": worker,
            "channel": Channel.WECHAT_GROUP,
        }
        logged = now - timedelta(days=4)
        late = Case(
            resident_name="刘阿姨",
            resident_phone="13904720001",
            description="楼道里有人给电动车充电，电线从窗户拉下来，担心起火",
            created_at=logged,
            response_deadline=min(add_working_days(logged, 1), now - timedelta(hours=1)),
            accept_by=min(add_working_days(logged, 1), now - timedelta(hours=1)),
            **place,
        )
        self.cases.append((late, [("log", "", State.SUBMITTED, worker, logged, "", {})], None))
        logged = now - timedelta(days=20)
        resolved_at = now - timedelta(days=12)
        done = Case(
            resident_name="赵大爷",
            resident_phone="13904720002",
            description="消防通道被私家车占用，救护车进不来",
            created_at=logged,
            state=State.RESOLVED,
            owner=worker,
            accepted_at=logged + timedelta(hours=3),
            response_deadline=logged + timedelta(days=7),
            outcome=Outcome.RESOLVED,
            resolved_by=officer,
            resolved_at=resolved_at,
            follow_up_due=min(add_working_days(resolved_at, 7), now - timedelta(hours=1)),
            **place,
        )
        steps = [
            ("log", "", State.SUBMITTED, worker, logged, "", {}),
            (
                "accept",
                State.SUBMITTED,
                State.ACCEPTED,
                officer,
                logged + timedelta(hours=3),
                "",
                {"owner": worker.first_name},
            ),
            (
                "handle_directly",
                State.ACCEPTED,
                State.IN_PROGRESS,
                officer,
                logged + timedelta(hours=4),
                "简单事项，直接办理",
                {},
            ),
            (
                "resolve",
                State.IN_PROGRESS,
                State.RESOLVED,
                officer,
                resolved_at,
                "划线禁停",
                {
                    "outcome": "resolved",
                    "explanation_method": "notice_board",
                    "explanation": "消防通道已划线禁停，物业每日巡查",
                    "referral": "",
                },
            ),
        ]
        self.cases.append((done, steps, None))

    def _walk(self, case, steps, worker, officer, age_days, deliberated, plan, story):
        """Move the case as far as its age allows, recording each step."""
        rng, now = self.rng, self.now
        at = case.created_at
        # The last days' cases are still waiting; a few are overdue.
        if age_days < 2 and rng.random() < 0.6:
            return  # past its 24 hours it shows as overdue
        if rng.random() < 0.04 and not story:
            at = self._moment(at, 2, 20)
            if at > now:  # logged this morning: not answered yet
                return
            steps.append(
                (
                    "decline",
                    State.SUBMITTED,
                    State.DECLINED,
                    officer,
                    at,
                    "不属于社区职责，已告知居民向物业公司反映",
                    {"explanation": "此事由小区物业公司负责，请拨打物业服务电话反映。"},
                )
            )
            case.state = State.DECLINED
            return
        at = self._moment(at, 1, 30 if rng.random() < 0.1 else 20)
        if at > now:  # still waiting to be accepted
            return
        case.owner = worker if not deliberated else officer
        case.accepted_at = at
        case.response_deadline = at + timedelta(days=7 if not deliberated else 40)
        steps.append(
            (
                "accept",
                State.SUBMITTED,
                State.ACCEPTED,
                officer,
                at,
                "",
                {"owner": case.owner.first_name},
            )
        )
        case.state = State.ACCEPTED
        if deliberated:
            at = self._moment(at, 2, 48)
            if at > now:
                return
            steps.append(("propose", State.ACCEPTED, State.PROPOSED, officer, at, "", {}))
            case.state = State.PROPOSED
            # 议 and 决 happen in a session: the community's next 17th, or an emergency
            # session for an urgent matter; the hoarding story is deferred once (再协商).
            urgent = bool(story and story[1]) or (story is None and rng.random() < EMERGENCY_SHARE)
            if urgent:
                case.urgency = Urgency.URGENT
            meeting_id, starts_at = self.sessions.slot(case, at, urgent)
            if story and "分步清理" in plan and starts_at < now:
                self.sessions.record(meeting_id, case, "deferred")
                at = starts_at + timedelta(minutes=5)
                steps.append(
                    (
                        "deliberate",
                        State.PROPOSED,
                        State.DELIBERATING,
                        officer,
                        at,
                        "自清速度过慢，再协商",
                        {"meeting": meeting_id},
                    )
                )
                case.state = State.DELIBERATING
                meeting_id, starts_at = self.sessions.slot(
                    case, starts_at + timedelta(days=1), False
                )
            if starts_at > now:
                self.sessions.record(meeting_id, case, "pending")
                return
            if case.state == State.PROPOSED:
                at = starts_at + timedelta(minutes=5)
                steps.append(
                    (
                        "deliberate",
                        State.PROPOSED,
                        State.DELIBERATING,
                        officer,
                        at,
                        "",
                        {"meeting": meeting_id},
                    )
                )
                case.state = State.DELIBERATING
            at = starts_at + timedelta(minutes=40)
            case.plan = plan
            steps.append(
                (
                    "decide",
                    State.DELIBERATING,
                    State.DECIDED,
                    officer,
                    at,
                    "",
                    {"plan": plan, "meeting": meeting_id},
                )
            )
            self.sessions.record(meeting_id, case, "decided", plan)
            case.state = State.DECIDED
            task_titles = story[0] if story else [plan.split("+")[0], plan.split("+")[-1]]
            case._demo_tasks = [(title, at) for title in task_titles]
            at = self._moment(at, 2, 72)
            if at > now:
                return
            steps.append(("start", State.DECIDED, State.IN_PROGRESS, officer, at, "", {}))
        else:
            at = self._moment(at, 1, 24)
            if at > now:
                return
            steps.append(
                (
                    "handle_directly",
                    State.ACCEPTED,
                    State.IN_PROGRESS,
                    officer,
                    at,
                    "简单事项，直接办理",
                    {},
                )
            )
        case.state = State.IN_PROGRESS
        at = self._moment(at, 24, 24 * (25 if deliberated else 8))
        if at > now:
            if case.response_deadline < now and rng.random() < 0.5:
                case._demo_escalate = True
            return
        outcome = (
            rng.choices(
                [Outcome.RESOLVED, Outcome.PARTLY, Outcome.CANNOT, Outcome.NOT_NEEDED],
                [88, 6, 3, 3],
            )[0]
            if not story
            else Outcome.RESOLVED
        )
        method = rng.choice(list(ExplanationMethod))
        details = {
            "outcome": outcome,
            "explanation_method": method,
            "explanation": "已入户向居民说明处理结果"
            if method == "home_visit"
            else "已公示处理结果",
            "referral": "已转介至区司法所" if outcome == Outcome.CANNOT else "",
        }
        steps.append(
            ("resolve", State.IN_PROGRESS, State.RESOLVED, case.owner, at, "已办结", details)
        )
        case.follow_up_due = add_working_days(at, self.street.follow_up_working_days)
        case.state, case.outcome, case.resolved_by, case.resolved_at = (
            State.RESOLVED,
            outcome,
            case.owner,
            at,
        )
        at = self._moment(at, 24 * 3, 24 * 7)
        if at > now:
            return
        satisfaction = rng.choices(list(Satisfaction), [85, 12, 3])[0]
        visitor = officer if case.owner == worker else worker
        steps.append(
            (
                "verify",
                State.RESOLVED,
                State.VERIFIED,
                visitor,
                at,
                "随访：居民反映问题已解决",
                {"satisfaction": satisfaction},
            )
        )
        case.state, case.satisfaction = State.VERIFIED, satisfaction

    def save(self) -> dict:
        Case.objects.bulk_create([case for case, _steps, _story in self.cases], batch_size=500)
        for case, steps, _story in self.cases:
            for move, source, target, actor, at, note, details in steps:
                self.events.append(
                    CaseEvent.of(
                        case,
                        move=move,
                        from_state=source,
                        to_state=target,
                        actor=actor,
                        at=at,
                        note=note,
                        details=details,
                    )
                )
            for title, at in getattr(case, "_demo_tasks", []):
                done = case.state in (State.RESOLVED, State.VERIFIED)
                contact_owner = "供水" in title and self.water_company is not None
                self.tasks.append(
                    Task(
                        case=case,
                        title=title,
                        owner_user=None if contact_owner else case.owner,
                        owner_contact=self.water_company if contact_owner else None,
                        due_date=(at + timedelta(days=14)).date(),
                        status=TaskStatus.DONE if done else TaskStatus.OPEN,
                        closed_at=case.resolved_at if done else None,
                        created_by=case.owner,
                        created_at=at,
                    )
                )
            if getattr(case, "_demo_escalate", False):
                self.escalations.append(
                    Escalation(
                        case=case,
                        reason="超过期限仍未办结，请街道督办",
                        raised_by=self.people.officer_of[case.community_id],
                        raised_at=case.response_deadline + timedelta(hours=6),
                    )
                )
        history.load(self.events)
        Task.objects.bulk_create(self.tasks, batch_size=1000)
        Escalation.objects.bulk_create(self.escalations)
        self.sessions.finish()
        return {
            "cases": len(self.cases),
            "history rows": len(self.events),
            "tasks": len(self.tasks),
            "escalations": len(self.escalations),
        }
