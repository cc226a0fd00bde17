/**
 * Each role's screens (frontend-spec/screens.md): its bottom navigation and its routes under /app. A role missing
 * here (INTEGRATOR, ADMIN) has no screens: the app says so after sign-in. The shell (app.tsx) adds the screens every
 * role shares (待发送 pending, 设置 settings).
 */
import type { ComponentType } from "preact";
import { Inbox } from "./screens/inbox";
import { TaskScreen } from "./screens/task";
import { CampaignScreen, Campaigns } from "./screens/campaign";
import { CommunityHome, homeWith } from "./screens/home";
import { OpenCampaignScreen } from "./screens/open-campaign";
import { FileOrganizationScreen } from "./screens/organization";
import { ResultsScreen } from "./screens/results";
import { AgreementScreen } from "./screens/agreement";
import { AsOfScreen } from "./screens/as-of";
import { BurdenScreen } from "./screens/burden";
import { CommunitiesScreen } from "./screens/communities";
import { DelegateScreen } from "./screens/delegate";
import { HistoryScreen } from "./screens/history";
import { LogScreen } from "./screens/log";
import { TasksScreen } from "./screens/tasks";
import { StandingScreen } from "./screens/standing";
import { PostsScreen } from "./screens/posts";
import type { Role } from "./types";

export interface NavItem {
  /** The path under /app the item opens. */
  path: string;
  /** The message key of its label (msg:nav.*). */
  label: string;
}

export interface RoleScreens {
  nav: NavItem[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  routes: { path: string; component: ComponentType<any> }[];
  /** The screen at /app itself. */
  home: ComponentType<any>;
}

/** Street office and department (frontend-spec/screens.md): the same screens; the refusal's record is the history
 * screen (reached from the refusal card, not the navigation). The street office also has 岗位和人员 (it may define
 * posts, appoint staff and record appraisals, P11), reached from above its communities list; the department may not. */
const GOVERNMENT_ROUTES = [{ path: "/app/delegate", component: DelegateScreen },
  { path: "/app/agreements", component: AgreementScreen }, { path: "/app/burden", component: BurdenScreen },
  { path: "/app/tasks", component: TasksScreen }, { path: "/app/history", component: HistoryScreen },
  { path: "/app/standing", component: StandingScreen }];
const DEPARTMENT: RoleScreens = {
  nav: [{ path: "/app", label: "nav.communities" }, { path: "/app/delegate", label: "nav.delegate" },
    { path: "/app/agreements", label: "nav.agreements" }, { path: "/app/burden", label: "nav.burden" },
    { path: "/app/tasks", label: "nav.tasks" }],
  routes: GOVERNMENT_ROUTES,
  home: CommunitiesScreen,
};
const STREET_OFFICE: RoleScreens = { ...DEPARTMENT,
  routes: [...GOVERNMENT_ROUTES, { path: "/app/posts", component: PostsScreen }] };

/** The committee's, residents' and community roles' screens (frontend-spec/screens.md): the community home (with the
 * committee's 社会组织备案 button), the campaigns, a campaign's link (/app/campaign/<id>) and its results. */
const CAMPAIGN_ROUTES = [{ path: "/app/campaigns", component: Campaigns },
  { path: "/app/campaign/:id", component: CampaignScreen }, { path: "/app/campaign/:id/results", component: ResultsScreen }];
const COMMITTEE_HOME = homeWith([{ path: "/app/activities", label: "activity.title" },
  { path: "/app/organization/new", label: "org.title" }, { path: "/app/standing", label: "standing.title" },
  { path: "/app/posts", label: "posts.title" }]);
const RECORDING_HOME = homeWith([{ path: "/app/activities", label: "activity.title" }]);
/** The party committee may hang signboards and set up work bodies (P5, P6): 社区事务 with those two tabs. */
const PARTY_HOME = homeWith([{ path: "/app/activities", label: "activity.title" },
  { path: "/app/standing", label: "standing.title" }]);

export const ROLE_SCREENS: Partial<Record<Role, RoleScreens>> = {
  STREET_OFFICE,
  DEPARTMENT,
  AUDITOR: {
    nav: [{ path: "/app", label: "nav.log" }, { path: "/app/history", label: "nav.history" },
      { path: "/app/as-of", label: "nav.asOf" }, { path: "/app/burden", label: "nav.burden" }],
    routes: [{ path: "/app/history", component: HistoryScreen }, { path: "/app/as-of", component: AsOfScreen },
      { path: "/app/burden", component: BurdenScreen }],
    home: LogScreen,
  },
  COMMITTEE: {
    // 活动 (记录活动) is the shell's route (app.tsx); the order is screens.md's: 待办, 活动, 评议, 减负, 首页.
    nav: [{ path: "/app", label: "nav.inbox" }, { path: "/app/activities", label: "nav.activities" },
      { path: "/app/campaigns", label: "nav.evaluate" }, { path: "/app/burden", label: "nav.burden" },
      { path: "/app/home", label: "nav.home" }],
    routes: [{ path: "/app/task/:id", component: TaskScreen }, { path: "/app/home", component: COMMITTEE_HOME },
      { path: "/app/organization/new", component: FileOrganizationScreen },
      { path: "/app/campaigns/new", component: OpenCampaignScreen }, ...CAMPAIGN_ROUTES,
      { path: "/app/burden", component: BurdenScreen }, { path: "/app/standing", component: StandingScreen },
      { path: "/app/posts", component: PostsScreen }],
    home: Inbox,
  },
  RESIDENT: {
    nav: [{ path: "/app", label: "nav.home" }, { path: "/app/campaigns", label: "nav.evaluate" }],
    routes: CAMPAIGN_ROUTES,
    home: CommunityHome,
  },
  PARTY_COMMITTEE: {
    nav: [{ path: "/app", label: "nav.home" }, { path: "/app/activities", label: "nav.activities" },
      { path: "/app/burden", label: "nav.burden" }],
    routes: [...CAMPAIGN_ROUTES, { path: "/app/burden", component: BurdenScreen },
      { path: "/app/standing", component: StandingScreen }],
    home: PARTY_HOME,
  },
  SOCIAL_ORGANIZATION: {
    nav: [{ path: "/app", label: "nav.home" }, { path: "/app/activities", label: "nav.activities" }],
    routes: CAMPAIGN_ROUTES,
    home: RECORDING_HOME,
  },
};
