/**
 * Each role's screens (frontend-spec/screens.md): its bottom navigation and its routes under /app. A role missing
 * here (INTEGRATOR, ADMIN) has no screens: the app says so after sign-in. The shell (app.tsx) adds the screens every
 * role shares (待发送 pending, 设置 settings).
 */
import type { ComponentType } from "preact";
import { Inbox } from "./screens/inbox";
import { TaskScreen } from "./screens/task";
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

export const ROLE_SCREENS: Partial<Record<Role, RoleScreens>> = {
  COMMITTEE: {
    nav: [{ path: "/app", label: "nav.inbox" }],
    routes: [{ path: "/app/task/:id", component: TaskScreen }],
    home: Inbox,
  },
};
