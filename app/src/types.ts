/** Friendly names for the shapes the app reads: each is a type GraphQL Code Generator made from an operation of
 * frontend-spec/operations/ (src/generated/graphql.ts), never written by hand. */
import type { CommitteeInboxQuery, MeQuery, Role as ApiRole, TaskStatus as ApiTaskStatus } from "./generated/graphql";

export type Role = ApiRole;
export type TaskStatus = ApiTaskStatus;
export type Me = MeQuery["me"];
export type TaskConnection = CommitteeInboxQuery["tasks"];
/** A task as the inbox, the task screen and op:TaskUpdated read it (the same selection). */
export type Task = TaskConnection["edges"][number]["node"];
