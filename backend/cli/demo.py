"""Demo data: a realistic district, made through the application's commands (never tables)."""
from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from backend.application.governance import Gongzhi
from backend.domain.access import Actor, Role
from backend.domain.errors import GongzhiError, OffListTask
from backend.domain.stamp import Stamp

DISTRICT = "320102"
STREETS = {"320102001": "梅园新村街道", "320102002": "新街口街道", "320102003": "玄武门街道"}
COMMUNITY_NAMES = ["长江路社区", "大悲巷社区", "雍园社区", "西华门社区", "成贤街社区", "碑亭巷社区",
                   "洪武北路社区", "丹凤街社区", "湖南路社区", "莲花桥社区", "兰园社区", "唱经楼社区"]
DUTY_ITEMS = [
    {"code": "SG-01", "title": "居民会议召集与议事协商", "list": "SELF_GOVERNANCE"},
    {"code": "SG-02", "title": "居民公约制定与修订", "list": "SELF_GOVERNANCE"},
    {"code": "SG-03", "title": "社区志愿服务组织", "list": "SELF_GOVERNANCE"},
    {"code": "AG-01", "title": "协助开展人口普查登记", "list": "ASSIST_GOVERNMENT"},
    {"code": "AG-02", "title": "协助做好社会救助对象核查", "list": "ASSIST_GOVERNMENT"},
    {"code": "AG-03", "title": "协助开展防汛防台宣传", "list": "ASSIST_GOVERNMENT"},
]
DEPARTMENTS = ["区民政局", "区卫生健康委", "区城市管理局", "区市场监督管理局"]
HOME = f"{DISTRICT}001001"  # the demo's first community: its committee, residents and campaigns
#: The actor of each role whose app link `serve` prints (role, scope, actor id), the committee's first.
APP_ACTORS = (
    (Role.COMMITTEE, HOME, f"committee-{HOME}"),
    (Role.RESIDENT, HOME, "resident-demo-1"),
    (Role.PARTY_COMMITTEE, HOME, f"party-{HOME}"),
    (Role.STREET_OFFICE, HOME[:9], f"street-{HOME[:9]}"),
    (Role.DEPARTMENT, DISTRICT, "dept-civil-affairs"),
    (Role.SOCIAL_ORGANIZATION, HOME, f"org-{HOME}"),
    (Role.AUDITOR, DISTRICT, "auditor"),
)
#: The demo's evaluation campaigns (P26), all of HOME: the first has ballots (its results), the second none yet
#: (a resident's flow: every target still to evaluate). Both stay open 30 and 14 days after the demo is loaded.
CAMPAIGN_WITH_BALLOTS = "2026年度民主评议"
CAMPAIGN_TO_EVALUATE = "2026年第四季度物业服务评议"


def stamp(actor_id: str, role: Role, scope: str) -> Stamp:
    return Stamp(Actor(actor_id, role, scope), "demo")


def is_seeded(app: Gongzhi) -> bool:
    try:
        app.community(f"{DISTRICT}001001")
        return True
    except GongzhiError:
        return False


def seed(app: Gongzhi) -> int:
    """Load the demo district; returns how many communities it registered (0 if already there)."""
    if is_seeded(app):
        return 0
    rng = random.Random(2026)
    now = datetime.now(UTC)
    codes = [f"{street}{n:03d}" for street in STREETS for n in range(1, 5)]
    for code, name in zip(codes, COMMUNITY_NAMES):
        street = code[:9]
        office = stamp(f"street-{street}", Role.STREET_OFFICE, street)
        department = stamp("dept-civil-affairs", Role.DEPARTMENT, DISTRICT)
        committee = stamp(f"committee-{code}", Role.COMMITTEE, code)
        app.register_community(office, code, name, "URBAN" if code[-1] != "4" else "RURAL")
        app.publish_duty_list(office, code, DUTY_ITEMS)
        agreement, _ = app.sign_service_agreement(department, code, rng.choice(DEPARTMENTS), "老旧小区加装电梯意见征询",
                                                  f"{rng.randint(5, 50) * 1000}.00", now + timedelta(days=365))
        tasks = []
        for item in ("SG-01", "AG-01", "AG-02", "AG-03"):
            task, _ = app.delegate_task(department, code, f"{item} 年度工作", rng.choice(DEPARTMENTS), item,
                                        due_at=now + timedelta(days=30))
            tasks.append(task)
        task, _ = app.delegate_task(department, code, "加装电梯入户意见征询", "区住房保障局",
                                    agreement_id=str(agreement.id))
        tasks.append(task)
        app.accept_task(committee, str(tasks[0].id))
        app.accept_task(committee, str(tasks[1].id))
        app.complete_task(committee, str(tasks[1].id))
        app.decline_task(committee, str(tasks[2].id), "该事项属于居民自治范围，由居民会议决定")
        for title in ("创建文明城市考核指标分解", "招商引资任务"):  # P1: refused, and the refusal recorded
            try:
                app.delegate_task(department, code, title, rng.choice(DEPARTMENTS))
            except OffListTask:
                pass
        hub, _ = app.register_organization(office, code, f"{name}社会组织服务中心", "COMMUNITY_SERVICE", "REGISTERED")
        app.register_organization(committee, code, f"{name}夕阳红志愿服务队", "PUBLIC_WELFARE", "FILED", str(hub.id))
        app.register_organization(committee, code, f"{name}邻里调解室", "MEDIATION", "FILED", str(hub.id))
        for title in ("垃圾分类宣传", "重阳节敬老活动"):
            app.record_activity(committee, code, title, str(hub.id), now - timedelta(days=rng.randint(1, 60)),
                                rng.randint(10, 120),
                                [{"volunteer_id": f"v{n}", "hours": rng.choice([1.5, 2.0, 3.0])} for n in range(5)])
    code = codes[0]
    assert code == HOME
    committee = stamp(f"committee-{code}", Role.COMMITTEE, code)
    campaign, _ = app.open_evaluation_campaign(
        committee, code, CAMPAIGN_WITH_BALLOTS, [
            {"id": "street-office", "name": "梅园新村街道办事处", "kind": "GOVERNMENT_DEPARTMENT"},
            {"id": "property", "name": "物业服务企业", "kind": "RESIDENT_UNIT"},
            {"id": "water", "name": "供水服务", "kind": "MUNICIPAL_SERVICE"}],
        now + timedelta(days=30))
    for n in range(30):
        resident = stamp(f"resident-{n:03d}", Role.RESIDENT, code)
        for target in ("street-office", "property", "water"):
            app.cast_evaluation(resident, str(campaign.id), target,
                                rng.choices(["SATISFIED", "BASICALLY_SATISFIED", "DISSATISFIED"], [6, 3, 1])[0])
    app.open_evaluation_campaign(
        committee, code, CAMPAIGN_TO_EVALUATE, [
            {"id": "property", "name": "物业服务企业", "kind": "RESIDENT_UNIT"},
            {"id": "sanitation", "name": "环卫保洁服务", "kind": "MUNICIPAL_SERVICE"},
            {"id": "community-police", "name": "社区民警", "kind": "GOVERNMENT_STAFF"}],
        now + timedelta(days=14))
    return len(codes)
