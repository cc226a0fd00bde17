/** Friendly names for the shapes the app reads: each is a type GraphQL Code Generator made from an operation of
 * frontend-spec/operations/ (src/generated/graphql.ts), never written by hand. */
import type { CommitteeInboxQuery, MeQuery, Role as ApiRole, TaskStatus as ApiTaskStatus } from "./generated/graphql";

export type Role = ApiRole;
export type TaskStatus = ApiTaskStatus;
export type Me = MeQuery["me"];
export type TaskConnection = CommitteeInboxQuery["tasks"];
/** A task as the inbox, the task screen and op:TaskUpdated read it (the same selection). */
export type Task = TaskConnection["edges"][number]["node"];

// Street office, department and auditor screens (H5).
import type {
  BurdenReportQuery, CommunitiesQuery, CommunityAgreementsQuery, CurrentDutyListQuery, EntityHistoryQuery,
} from "./generated/graphql";
/** A log event as op:EntityHistory, op:EventLog and op:LiveEvents read it (the same selection). */
export type LogEvent = EntityHistoryQuery["history"][number];
export type BurdenFigures = BurdenReportQuery["burdenReport"];
export type CommunityRow = CommunitiesQuery["communities"]["edges"][number]["node"];
export type DutyItemRow = NonNullable<CurrentDutyListQuery["community"]>["dutyItems"][number];
export type AgreementRow = CommunityAgreementsQuery["agreements"]["edges"][number]["node"];

// The shell and 记录活动 (H3).
import type { ActivityRecordedSubscription } from "./generated/graphql";
/** An activity as op:ActivityRecorded delivers it (op:RecordActivity answers the same fields). */
export type Activity = ActivityRecordedSubscription["activityRecorded"];
