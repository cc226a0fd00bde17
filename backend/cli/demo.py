"""Demo data: a realistic district, made through the application's commands (never tables)."""
from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from backend.application.governance import Gongzhi
from backend.domain.access import Actor, Role
from backend.domain.errors import GongzhiError, OffListTask, RuleRefusal
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
#: Each department's actor in the demo (its token's `org` claim is the department: "by department" in the log).
DEPARTMENT_ACTORS = {"区民政局": "dept-civil-affairs", "区卫生健康委": "dept-health", "区城市管理局": "dept-urban",
                     "区市场监督管理局": "dept-market"}
#: The organization (所属单位) of each demo actor that has one: the street offices' and the departments'.
ORGANIZATIONS = {**{actor: name for name, actor in DEPARTMENT_ACTORS.items()},
                 **{f"street-{code}": f"{name}办事处" for code, name in STREETS.items()}}
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
    return Stamp(Actor(actor_id, role, scope, ORGANIZATIONS.get(actor_id)), "demo")


def by_department(name: str) -> Stamp:
    return stamp(DEPARTMENT_ACTORS[name], Role.DEPARTMENT, DISTRICT)


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
        department = stamp("dept-civil-affairs", Role.DEPARTMENT, DISTRICT)  # 区民政局: agreements
        committee = stamp(f"committee-{code}", Role.COMMITTEE, code)
        app.register_community(office, code, name, "URBAN" if code[-1] != "4" else "RURAL")
        app.publish_duty_list(office, code, DUTY_ITEMS)
        agreement, _ = app.sign_service_agreement(department, code, rng.choice(DEPARTMENTS), "老旧小区加装电梯意见征询",
                                                  f"{rng.randint(5, 50) * 1000}.00", now + timedelta(days=365))
        tasks = []
        for item in ("SG-01", "AG-01", "AG-02", "AG-03"):
            name = rng.choice(DEPARTMENTS)
            task, _ = app.delegate_task(by_department(name), code, f"{item} 年度工作", name, item,
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
            name = rng.choice(DEPARTMENTS)
            try:
                app.delegate_task(by_department(name), code, title, name)
            except OffListTask:
                pass
        hub, _ = app.register_organization(office, code, f"{name}社会组织服务中心", "COMMUNITY_SERVICE", "REGISTERED")
        app.register_organization(committee, code, f"{name}夕阳红志愿服务队", "PUBLIC_WELFARE", "FILED", str(hub.id))
        app.register_organization(committee, code, f"{name}邻里调解室", "MEDIATION", "FILED", str(hub.id))
        for title in ("垃圾分类宣传", "重阳节敬老活动"):
            app.record_activity(committee, code, title, str(hub.id), now - timedelta(days=rng.randint(1, 60)),
                                rng.randint(10, 120),
                                [{"volunteer_id": f"v{n}", "hours": rng.choice([1.5, 2.0, 3.0])} for n in range(5)])
    burden(app, codes, now)
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


def refused(command: Callable[..., object], *args: object, **kwargs: object) -> None:
    """Run a command whose rule refuses it (the refusal is on the record)."""
    try:
        command(*args, **kwargs)
    except RuleRefusal:
        return
    raise AssertionError(f"{command} was not refused")


def burden(app: Gongzhi, codes: list[str], now: datetime) -> None:
    """Issue 9's burden reduction in the demo district: HOME's agreement half disbursed (P4); 区城市管理局 refused
    signboards at two communities and a target-responsibility contract (P6, P7); a quota refused (P1); 区卫生健康委's
    own work body refused (P5); 320102001002 over its street's inspection cap this quarter (P8); a paper ledger
    demanded (P9); at HOME the lawful signboards, the seal ledger with a use refused (P10) and its posts (P11)."""
    home, second = codes[0], codes[1]
    committee = stamp(f"committee-{home}", Role.COMMITTEE, home)
    office = stamp(f"street-{home[:9]}", Role.STREET_OFFICE, home[:9])
    civil, health, urban = (by_department(name) for name in DEPARTMENTS[:3])
    agreement, _ = app.sign_service_agreement(civil, home, "区民政局", "社区养老服务需求调查", "20000.00",
                                              now + timedelta(days=180))
    app.delegate_task(civil, home, "社区养老服务需求入户调查", "区民政局", agreement_id=str(agreement.id))
    app.record_disbursement(civil, agreement_id=str(agreement.id), amount_yuan="10000.00", note="首期拨付")
    refused(app.delegate_task, health, home, "家庭医生签约率排名", "区卫生健康委", "AG-02", quota="签约率排名全区前三")
    for code in (home, second):
        refused(app.hang_signboard, urban, community_code=code, kind="OTHER", text="城市管理工作站")
    refused(app.impose_target_contract, urban, community_code=home, title="2026年度市容环境目标责任书",
            targets=["门前三包达标率100%", "违建零增长"])
    refused(app.establish_work_body, health, community_code=second, name="健康服务工作站", kind="DEPARTMENT_BODY")
    for kind, text in (("PARTY_ORGANIZATION", "中共长江路社区委员会"), ("RESIDENTS_COMMITTEE", "长江路社区居民委员会"),
                       ("SERVICE_STATION", "长江路社区党群服务中心"), ("COMMUNITY_EMBLEM", "中国社区")):
        app.hang_signboard(committee, community_code=home, kind=kind, text=text)
    app.use_seal(committee, community_code=home, purpose="居民会议决议公示", kind="SELF_GOVERNANCE",
                 document="关于加装电梯的居民会议决议")
    refused(app.use_seal, committee, community_code=home, purpose="个体工商户经营场所证明",
            kind="LEGAL_LIABILITY_CERTIFICATE", document="经营场所无违建证明", requested_by="区市场监督管理局")
    app.set_inspection_cap(office, scope=home[:9], max_per_quarter=2)
    for body, subject in (("区卫生健康委", "病媒生物防制检查"), ("区城市管理局", "市容环境检查"), ("区市场监督管理局", "食品安全检查")):
        inspector = by_department(body)
        app.record_inspection(inspector, community_code=second, inspecting_body=body, subject=subject, date=now,
                              materials_requested=["工作台账", "照片资料"])
    app.record_ledger_demand(committee, community_code=home, department="区卫生健康委", ledger="爱国卫生工作台账",
                             pages=120, demanded_at=now)
    post, _ = app.define_post(committee, community_code=home, title="社区综合服务岗",
                              duties=["居民事务受理", "社会救助政策咨询"], procedures=["受理", "审核", "办结", "回访"])
    staff, _ = app.appoint_staff(committee, post_id=str(post.id), person_id="staff-demo-1", name="李静",
                                 phone="13905140001")
    app.record_appraisal(office, staff_id=str(staff.id), period="2025", result="EXCELLENT", reward="年度优秀社区工作者")
