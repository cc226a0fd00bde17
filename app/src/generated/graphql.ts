/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
/** P11: a person appointed to a post; name and phone are personal data. */
export type AppointStaffInput = {
  name: string;
  personId: string | number;
  phone: string;
  postId: string | number;
};

/** P11: 优秀 EXCELLENT, 称职 COMPETENT, 基本称职 BASICALLY_COMPETENT, 不称职 INCOMPETENT. */
export type AppraisalGrade =
  | 'BASICALLY_COMPETENT'
  | 'COMPETENT'
  | 'EXCELLENT'
  | 'INCOMPETENT';

/** P26: a secret ballot, by its receipt: COUNTED (released into the log), PENDING (in the ballot box until its batch is released), UNKNOWN (no such receipt). */
export type BallotStatus =
  | 'COUNTED'
  | 'PENDING'
  | 'UNKNOWN';

/** What a burden alert is about. */
export type BurdenAlertKind =
  | 'INSPECTION_CAP_EXCEEDED'
  | 'REPEATED_REFUSALS'
  | 'UNFUNDED_TASK';

export type CastEvaluationInput = {
  campaignId: string | number;
  comment?: string | null | undefined;
  satisfaction: Satisfaction;
  targetId: string | number;
};

export type CommunityKind =
  | 'RURAL'
  | 'URBAN';

/** P11: a post with its duties (at least one) and service procedures (up to 100 each). */
export type DefinePostInput = {
  communityCode: string | number;
  duties: Array<string>;
  procedures: Array<string>;
  title: string;
};

export type DelegateTaskInput = {
  agreementId?: string | number | null | undefined;
  communityCode: string | number;
  dueAt?: string | null | undefined;
  dutyItemCode?: string | null | undefined;
  fromDepartment: string;
  /** P1: a quota or ranking target (指标); refused (QUOTA_NOT_ALLOWED, recorded) unless the duty item or agreement provides for one. */
  quota?: string | null | undefined;
  title: string;
};

export type DutyListKind =
  | 'ASSIST_GOVERNMENT'
  | 'SELF_GOVERNANCE';

/** P5: a body to set up in a community; a DEPARTMENT_BODY needs a `legalBasis` naming a law or regulation in book-title marks (《…法》 or 《…条例》). */
export type EstablishWorkBodyInput = {
  communityCode: string | number;
  kind: WorkBodyKind;
  legalBasis?: string | null | undefined;
  name: string;
};

export type EvaluationTargetInput = {
  id: string | number;
  kind: EvaluationTargetKind;
  name: string;
};

export type EvaluationTargetKind =
  | 'GOVERNMENT_DEPARTMENT'
  | 'GOVERNMENT_STAFF'
  | 'MUNICIPAL_SERVICE'
  | 'RESIDENT_UNIT';

/** P6: a signboard to hang: its kind and its words (e.g. 长江路社区居民委员会). */
export type HangSignboardInput = {
  communityCode: string | number;
  kind: SignboardKind;
  text: string;
};

/** P7: a target-responsibility contract a department or street office would impose. */
export type ImposeTargetContractInput = {
  communityCode: string | number;
  targets?: Array<string> | null | undefined;
  title: string;
};

export type OpenEvaluationCampaignInput = {
  closesAt: string;
  communityCode: string | number;
  targets: Array<EvaluationTargetInput>;
  title: string;
};

export type OrganizationCategory =
  | 'COMMUNITY_SERVICE'
  | 'CULTURE_SPORTS'
  | 'LEGAL_SERVICE'
  | 'MEDIATION'
  | 'OTHER'
  | 'PUBLIC_WELFARE';

export type OrganizationStatus =
  | 'FILED'
  | 'REGISTERED';

export type RecordActivityInput = {
  communityCode: string | number;
  heldAt: string;
  organizerId?: string | number | null | undefined;
  participants: number;
  title: string;
  volunteerHours?: Array<VolunteerHoursInput> | null | undefined;
};

/** P11: a staff member's appraisal for a period (one per period). */
export type RecordAppraisalInput = {
  period: string;
  result: AppraisalGrade;
  reward?: string | null | undefined;
  sanction?: string | null | undefined;
  staffId: string | number;
};

/** P4: money paid to the community under an agreement (拨付). */
export type RecordDisbursementInput = {
  agreementId: string | number;
  /** A positive decimal with at most two places; the agreement's disbursements may not exceed its funding (OVER_DISBURSED). */
  amountYuan: string;
  /** When it was paid (default: now). */
  disbursedAt?: string | null | undefined;
  note?: string | null | undefined;
};

/** P8: an inspection of a community (by whom, of what, when, asking for what). */
export type RecordInspectionInput = {
  communityCode: string | number;
  date: string;
  inspectingBody: string;
  materialsRequested?: Array<string> | null | undefined;
  subject: string;
};

/** P9: a paper ledger a department demanded of a community (pages 0-1,000,000 if known). */
export type RecordLedgerDemandInput = {
  communityCode: string | number;
  demandedAt: string;
  department: string;
  ledger: string;
  pages?: number | null | undefined;
};

export type Role =
  | 'ADMIN'
  | 'AUDITOR'
  | 'COMMITTEE'
  | 'DEPARTMENT'
  | 'INTEGRATOR'
  | 'PARTY_COMMITTEE'
  | 'RESIDENT'
  | 'SOCIAL_ORGANIZATION'
  | 'STREET_OFFICE';

export type Satisfaction =
  | 'BASICALLY_SATISFIED'
  | 'DISSATISFIED'
  | 'SATISFIED';

/** P10: what a use of the community seal (社区公章) is for. */
export type SealUseKind =
  | 'ECONOMIC_LIABILITY_CERTIFICATE'
  | 'LEGAL_LIABILITY_CERTIFICATE'
  | 'SELF_GOVERNANCE';

export type SignServiceAgreementInput = {
  /** P1: its tasks may carry a quota or ranking target (default: no). */
  allowsQuota?: boolean | null | undefined;
  communityCode: string | number;
  department: string;
  fundingYuan: string;
  scope: string;
  validUntil: string;
};

/** P6: the kinds of signboard (牌子) a community's office may hang. */
export type SignboardKind =
  | 'COLLECTIVE_ECONOMIC_ORGANIZATION'
  | 'COMMUNITY_EMBLEM'
  | 'OTHER'
  | 'PARTY_ORGANIZATION'
  | 'RESIDENTS_COMMITTEE'
  | 'SERVICE_STATION'
  | 'VILLAGERS_COMMITTEE';

export type TaskBasis =
  | 'DUTY_LIST'
  | 'SERVICE_AGREEMENT';

export type TaskStatus =
  | 'ACCEPTED'
  | 'COMPLETED'
  | 'DECLINED'
  | 'DELEGATED';

/** P10: a use of the seal: its purpose, its kind, the document, and who asks for it (an organization; the actor's own when left out). A certification of legal or joint economic liability is refused (SEAL_USE_NOT_ALLOWED) and counted against the asker. */
export type UseSealInput = {
  communityCode: string | number;
  document: string;
  kind: SealUseKind;
  purpose: string;
  requestedBy?: string | null | undefined;
};

export type VolunteerHoursInput = {
  hours: number;
  volunteerId: string | number;
};

/** P5: the kinds of body working in a community (社区工作机构). */
export type WorkBodyKind =
  | 'COMMITTEE_SUBCOMMITTEE'
  | 'DEPARTMENT_BODY'
  | 'PARTY_ORGANIZATION'
  | 'RESIDENTS_COMMITTEE'
  | 'SERVICE_STATION'
  | 'VILLAGERS_COMMITTEE';

export type AcceptTaskMutationVariables = Exact<{
  id: string | number;
  expectedVersion?: number | null | undefined;
}>;


export type AcceptTaskMutation = { acceptTask: { __typename: 'TaskResult', task: { __typename: 'Task', id: string, status: TaskStatus, version: number, declineReason: string | null }, receipt: { __typename: 'Receipt', position: number, entityId: string, version: number } } };

export type ActivityRecordedSubscriptionVariables = Exact<{
  scope?: string | null | undefined;
}>;


export type ActivityRecordedSubscription = { activityRecorded: { __typename: 'Activity', id: string, communityCode: string, title: string, organizerId: string | null, heldAt: string, participants: number, volunteerHours: number } };

export type AgreementDetailQueryVariables = Exact<{
  id: string | number;
}>;


export type AgreementDetailQuery = { agreement: { __typename: 'ServiceAgreement', id: string, communityCode: string, scope: string, fundingYuan: string, disbursedYuan: string, outstandingYuan: string, disbursements: Array<{ __typename: 'Disbursement', position: number, amountYuan: string, disbursedAt: string, note: string | null, organization: string | null }>, tasks: Array<{ __typename: 'Task', id: string, title: string, status: TaskStatus }> } | null };

export type AppointStaffMutationVariables = Exact<{
  input: AppointStaffInput;
}>;


export type AppointStaffMutation = { appointStaff: { __typename: 'StaffResult', staff: { __typename: 'Staff', id: string, postId: string, personId: string, name: string | null, phone: string | null, appointedAt: string }, receipt: { __typename: 'Receipt', position: number, entityId: string, version: number } } };

export type BallotCountedQueryVariables = Exact<{
  receipt: string;
}>;


export type BallotCountedQuery = { ballotCounted: { __typename: 'BallotCheck', status: BallotStatus, position: number | null, batchSize: number | null, releasedAt: string | null } };

export type BurdenAlertsQueryVariables = Exact<{
  scope: string;
}>;


export type BurdenAlertsQuery = { burdenAlerts: Array<{ __typename: 'BurdenAlert', kind: BurdenAlertKind, communityCode: string | null, department: string | null, count: number, detail: string, quarter: string | null, taskId: string | null, agreementId: string | null, since: string | null, provisions: Array<string> | null, position: number | null }> };

export type BurdenReportQueryVariables = Exact<{
  scope: string;
  from?: unknown;
  to?: unknown;
  department?: string | null | undefined;
}>;


export type BurdenReportQuery = { burdenReport: { __typename: 'BurdenReport', tasksDelegated: number, onDutyList: number, underAgreement: number, refusedOffList: number, quotaRefused: number, declined: number, agreementFundingYuan: string, disbursedYuan: string, unfundedTasks: number, workBodiesRefused: number, signboardsRefused: number, targetContractsRefused: number, inspections: number, inspectionsOverCap: number, sealUsesRefused: number, paperLedgersDemanded: number, scope: string, from: unknown, to: unknown, department: string | null, byDepartment: Array<{ __typename: 'DepartmentBurden', tasksDelegated: number, onDutyList: number, underAgreement: number, refusedOffList: number, quotaRefused: number, declined: number, agreementFundingYuan: string, disbursedYuan: string, unfundedTasks: number, workBodiesRefused: number, signboardsRefused: number, targetContractsRefused: number, inspections: number, inspectionsOverCap: number, sealUsesRefused: number, paperLedgersDemanded: number, department: string }>, byCommunity: Array<{ __typename: 'CommunityBurden', tasksDelegated: number, onDutyList: number, underAgreement: number, refusedOffList: number, quotaRefused: number, declined: number, agreementFundingYuan: string, disbursedYuan: string, unfundedTasks: number, workBodiesRefused: number, signboardsRefused: number, targetContractsRefused: number, inspections: number, inspectionsOverCap: number, sealUsesRefused: number, paperLedgersDemanded: number, communityCode: string }> } };

export type CampaignDetailQueryVariables = Exact<{
  id: string | number;
}>;


export type CampaignDetailQuery = { evaluationCampaign: { __typename: 'EvaluationCampaign', id: string, communityCode: string, title: string, openedAt: string, closesAt: string, open: boolean, secret: boolean, targets: Array<{ __typename: 'EvaluationTarget', id: string, name: string, kind: EvaluationTargetKind }> } | null };

export type CastEvaluationMutationVariables = Exact<{
  input: CastEvaluationInput;
}>;


export type CastEvaluationMutation = { castEvaluation: { __typename: 'Receipt', position: number, entityId: string, version: number, ballotReceipt: string | null } };

export type CommitteeInboxQueryVariables = Exact<{
  scope?: string | null | undefined;
  status?: TaskStatus | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type CommitteeInboxQuery = { tasks: { __typename: 'TaskConnection', totalCount: number, edges: Array<{ __typename: 'TaskEdge', cursor: string, node: { __typename: 'Task', id: string, communityCode: string, title: string, fromDepartment: string, basis: TaskBasis, dutyItemCode: string | null, agreementId: string | null, status: TaskStatus, delegatedAt: string, dueAt: string | null, version: number, dutyListVersion: number, declineReason: string | null } }>, pageInfo: { __typename: 'PageInfo', hasNextPage: boolean, endCursor: string | null } } };

export type CommunitiesQueryVariables = Exact<{
  scope?: string | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type CommunitiesQuery = { communities: { __typename: 'CommunityConnection', totalCount: number, edges: Array<{ __typename: 'CommunityEdge', cursor: string, node: { __typename: 'Community', code: string, name: string, kind: CommunityKind, dutyListVersion: number, openTasks: number } }>, pageInfo: { __typename: 'PageInfo', hasNextPage: boolean, endCursor: string | null } } };

export type CommunityActivitiesQueryVariables = Exact<{
  scope: string;
  first?: number | null | undefined;
}>;


export type CommunityActivitiesQuery = { activities: { __typename: 'ActivityConnection', totalCount: number, edges: Array<{ __typename: 'ActivityEdge', node: { __typename: 'Activity', id: string, title: string, organizerId: string | null, heldAt: string, participants: number, volunteerHours: number } }>, pageInfo: { __typename: 'PageInfo', hasNextPage: boolean, endCursor: string | null } } };

export type CommunityAgreementsQueryVariables = Exact<{
  scope?: string | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type CommunityAgreementsQuery = { agreements: { __typename: 'ServiceAgreementConnection', totalCount: number, edges: Array<{ __typename: 'ServiceAgreementEdge', cursor: string, node: { __typename: 'ServiceAgreement', id: string, communityCode: string, department: string, scope: string, fundingYuan: string, validUntil: string, signedAt: string, current: boolean, allowsQuota: boolean, disbursedYuan: string, outstandingYuan: string } }>, pageInfo: { __typename: 'PageInfo', hasNextPage: boolean, endCursor: string | null } } };

export type CommunityCampaignsQueryVariables = Exact<{
  scope?: string | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type CommunityCampaignsQuery = { evaluationCampaigns: { __typename: 'EvaluationCampaignConnection', totalCount: number, edges: Array<{ __typename: 'EvaluationCampaignEdge', cursor: string, node: { __typename: 'EvaluationCampaign', id: string, communityCode: string, title: string, openedAt: string, closesAt: string, open: boolean, targets: Array<{ __typename: 'EvaluationTarget', id: string, name: string, kind: EvaluationTargetKind }> } }>, pageInfo: { __typename: 'PageInfo', hasNextPage: boolean, endCursor: string | null } } };

export type CommunityHomeQueryVariables = Exact<{
  code: string | number;
  scope: string;
  first?: number | null | undefined;
}>;


export type CommunityHomeQuery = { community: { __typename: 'Community', code: string, name: string, kind: CommunityKind, dutyListVersion: number, openTasks: number, organizations: number, activitiesHeld: number, dutyItems: Array<{ __typename: 'DutyItem', code: string, title: string, list: DutyListKind }> } | null, activities: { __typename: 'ActivityConnection', totalCount: number, edges: Array<{ __typename: 'ActivityEdge', node: { __typename: 'Activity', id: string, title: string, organizerId: string | null, heldAt: string, participants: number, volunteerHours: number } }>, pageInfo: { __typename: 'PageInfo', hasNextPage: boolean, endCursor: string | null } }, organizations: { __typename: 'OrganizationConnection', totalCount: number, edges: Array<{ __typename: 'OrganizationEdge', node: { __typename: 'Organization', id: string, name: string, category: OrganizationCategory, status: OrganizationStatus, hubId: string | null, registeredAt: string } }>, pageInfo: { __typename: 'PageInfo', hasNextPage: boolean, endCursor: string | null } } };

export type CommunitySeparationQueryVariables = Exact<{
  code: string | number;
}>;


export type CommunitySeparationQuery = { community: { __typename: 'Community', code: string, name: string, kind: CommunityKind, villageEnterpriseSeparated: boolean | null } | null };

export type CompleteTaskMutationVariables = Exact<{
  id: string | number;
  expectedVersion?: number | null | undefined;
}>;


export type CompleteTaskMutation = { completeTask: { __typename: 'TaskResult', task: { __typename: 'Task', id: string, status: TaskStatus, version: number, declineReason: string | null }, receipt: { __typename: 'Receipt', position: number, entityId: string, version: number } } };

export type CurrentDutyListQueryVariables = Exact<{
  code: string | number;
}>;


export type CurrentDutyListQuery = { community: { __typename: 'Community', code: string, name: string, dutyListVersion: number, dutyItems: Array<{ __typename: 'DutyItem', code: string, title: string, list: DutyListKind, allowsQuota: boolean }> } | null };

export type DeclineTaskMutationVariables = Exact<{
  id: string | number;
  reason: string;
  expectedVersion?: number | null | undefined;
}>;


export type DeclineTaskMutation = { declineTask: { __typename: 'TaskResult', task: { __typename: 'Task', id: string, status: TaskStatus, version: number, declineReason: string | null }, receipt: { __typename: 'Receipt', position: number, entityId: string, version: number } } };

export type DefinePostMutationVariables = Exact<{
  input: DefinePostInput;
}>;


export type DefinePostMutation = { definePost: { __typename: 'PostResult', post: { __typename: 'Post', id: string, communityCode: string, title: string, duties: Array<string>, procedures: Array<string>, definedAt: string }, receipt: { __typename: 'Receipt', position: number, entityId: string, version: number } } };

export type DelegateTaskMutationVariables = Exact<{
  input: DelegateTaskInput;
}>;


export type DelegateTaskMutation = { delegateTask: { __typename: 'TaskResult', task: { __typename: 'Task', id: string, communityCode: string, title: string, fromDepartment: string, basis: TaskBasis, dutyItemCode: string | null, agreementId: string | null, status: TaskStatus, delegatedAt: string, dueAt: string | null, version: number, dutyListVersion: number, quota: string | null }, receipt: { __typename: 'Receipt', position: number, entityId: string, version: number } } };

export type EntityAsOfQueryVariables = Exact<{
  entityId: string | number;
  asOf: string;
}>;


export type EntityAsOfQuery = { entityAsOf: unknown };

export type EntityHistoryQueryVariables = Exact<{
  entityId: string | number;
}>;


export type EntityHistoryQuery = { history: Array<{ __typename: 'Event', position: number, entityId: string, entityType: string, version: number, type: string, occurredAt: string, data: unknown, requestId: string | null, clientRequestId: string | null, communityCode: string | null, actor: { __typename: 'Actor', id: string, role: Role, scope: string } }> };

export type EstablishWorkBodyMutationVariables = Exact<{
  input: EstablishWorkBodyInput;
}>;


export type EstablishWorkBodyMutation = { establishWorkBody: { __typename: 'WorkBodyResult', workBody: { __typename: 'WorkBody', id: string, communityCode: string, name: string, kind: WorkBodyKind, legalBasis: string | null, establishedAt: string, establishedBy: { __typename: 'ActedBy', actorId: string, role: Role, organization: string | null } }, receipt: { __typename: 'Receipt', position: number, entityId: string, version: number } } };

export type EvaluationResultsQueryVariables = Exact<{
  campaignId: string | number;
}>;


export type EvaluationResultsQuery = { evaluationResults: Array<{ __typename: 'TargetResult', satisfied: number, basicallySatisfied: number, dissatisfied: number, total: number, satisfactionRate: number, target: { __typename: 'EvaluationTarget', id: string, name: string, kind: EvaluationTargetKind } }> };

export type EventLogQueryVariables = Exact<{
  after?: number | null | undefined;
  first?: number | null | undefined;
  types?: Array<string> | string | null | undefined;
}>;


export type EventLogQuery = { eventLog: Array<{ __typename: 'Event', position: number, entityId: string, entityType: string, version: number, type: string, occurredAt: string, data: unknown, requestId: string | null, clientRequestId: string | null, communityCode: string | null, actor: { __typename: 'Actor', id: string, role: Role, scope: string } }> };

export type FileOrganizationMutationVariables = Exact<{
  name: string;
  category: OrganizationCategory;
  communityCode: string | number;
  hubId?: string | number | null | undefined;
}>;


export type FileOrganizationMutation = { registerOrganization: { __typename: 'OrganizationResult', organization: { __typename: 'Organization', id: string, name: string, category: OrganizationCategory, status: OrganizationStatus, communityCode: string, hubId: string | null, registeredAt: string }, receipt: { __typename: 'Receipt', position: number, entityId: string, version: number } } };

export type HangSignboardMutationVariables = Exact<{
  input: HangSignboardInput;
}>;


export type HangSignboardMutation = { hangSignboard: { __typename: 'SignboardResult', signboard: { __typename: 'Signboard', id: string, communityCode: string, kind: SignboardKind, text: string, hungAt: string, removed: boolean, removedAt: string | null, removalReason: string | null, version: number, hungBy: { __typename: 'ActedBy', actorId: string, role: Role, organization: string | null } }, receipt: { __typename: 'Receipt', position: number, entityId: string, version: number } } };

export type ImposeTargetContractMutationVariables = Exact<{
  input: ImposeTargetContractInput;
}>;


export type ImposeTargetContractMutation = { imposeTargetContract: { __typename: 'TargetContractResult', contract: { __typename: 'TargetContract', communityCode: string, title: string, targets: Array<string> }, receipt: { __typename: 'Receipt', position: number, entityId: string, version: number } } };

export type InspectionCountsQueryVariables = Exact<{
  scope?: string | null | undefined;
  quarter?: string | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type InspectionCountsQuery = { inspectionCounts: { __typename: 'InspectionCountConnection', totalCount: number, edges: Array<{ __typename: 'InspectionCountEdge', cursor: string, node: { __typename: 'InspectionCount', communityCode: string, quarter: string, inspections: number, cap: number | null, capScope: string | null, alerts: number, exceeded: boolean, byBody: Array<{ __typename: 'InspectionBodyCount', inspectingBody: string, inspections: number }> } }>, pageInfo: { __typename: 'PageInfo', hasNextPage: boolean, endCursor: string | null } } };

export type InspectionsQueryVariables = Exact<{
  scope?: string | null | undefined;
  quarter?: string | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type InspectionsQuery = { inspections: { __typename: 'InspectionConnection', totalCount: number, edges: Array<{ __typename: 'InspectionEdge', cursor: string, node: { __typename: 'Inspection', id: string, communityCode: string, inspectingBody: string, subject: string, date: string, quarter: string, materialsRequested: Array<string>, ordinal: number, cap: number | null, capScope: string | null, exceeded: boolean, organization: string | null, recordedAt: string } }>, pageInfo: { __typename: 'PageInfo', hasNextPage: boolean, endCursor: string | null } } };

export type LiveEventsSubscriptionVariables = Exact<{
  after?: number | null | undefined;
  types?: Array<string> | string | null | undefined;
  scope?: string | null | undefined;
}>;


export type LiveEventsSubscription = { events: { __typename: 'Event', position: number, entityId: string, entityType: string, version: number, type: string, occurredAt: string, data: unknown, requestId: string | null, clientRequestId: string | null, communityCode: string | null, actor: { __typename: 'Actor', id: string, role: Role, scope: string } } };

export type MeQueryVariables = Exact<{ [key: string]: never; }>;


export type MeQuery = { me: { id: string, role: Role, scope: string } };

export type OpenEvaluationCampaignMutationVariables = Exact<{
  input: OpenEvaluationCampaignInput;
}>;


export type OpenEvaluationCampaignMutation = { openEvaluationCampaign: { __typename: 'CampaignResult', campaign: { __typename: 'EvaluationCampaign', id: string, communityCode: string, title: string, closesAt: string, targets: Array<{ __typename: 'EvaluationTarget', id: string, name: string, kind: EvaluationTargetKind }> }, receipt: { __typename: 'Receipt', position: number, entityId: string, version: number } } };

export type OrganizationRegisteredSubscriptionVariables = Exact<{
  scope?: string | null | undefined;
}>;


export type OrganizationRegisteredSubscription = { organizationRegistered: { __typename: 'Organization', id: string, name: string, category: OrganizationCategory, status: OrganizationStatus, communityCode: string, hubId: string | null, registeredAt: string } };

export type PostsQueryVariables = Exact<{
  communityCode: string | number;
}>;


export type PostsQuery = { posts: Array<{ __typename: 'Post', id: string, communityCode: string, title: string, duties: Array<string>, procedures: Array<string>, definedAt: string, staff: Array<{ __typename: 'Staff', id: string, postId: string, personId: string, name: string | null, phone: string | null, appointedAt: string, appraisals: Array<{ __typename: 'Appraisal', staffId: string, period: string, result: AppraisalGrade, reward: string | null, sanction: string | null, recordedAt: string }> }> }> };

export type RecordActivityMutationVariables = Exact<{
  input: RecordActivityInput;
}>;


export type RecordActivityMutation = { recordActivity: { __typename: 'ActivityResult', activity: { __typename: 'Activity', id: string, communityCode: string, title: string, organizerId: string | null, heldAt: string, participants: number, volunteerHours: number }, receipt: { __typename: 'Receipt', position: number, entityId: string, version: number } } };

export type RecordAppraisalMutationVariables = Exact<{
  input: RecordAppraisalInput;
}>;


export type RecordAppraisalMutation = { recordAppraisal: { __typename: 'RecordAppraisalResult', appraisal: { __typename: 'Appraisal', staffId: string, period: string, result: AppraisalGrade, reward: string | null, sanction: string | null, recordedAt: string }, receipt: { __typename: 'Receipt', position: number, entityId: string, version: number } } };

export type RecordDisbursementMutationVariables = Exact<{
  input: RecordDisbursementInput;
}>;


export type RecordDisbursementMutation = { recordDisbursement: { __typename: 'AgreementResult', agreement: { __typename: 'ServiceAgreement', id: string, fundingYuan: string, disbursedYuan: string, outstandingYuan: string }, receipt: { __typename: 'Receipt', position: number, entityId: string, version: number } } };

export type RecordInspectionMutationVariables = Exact<{
  input: RecordInspectionInput;
}>;


export type RecordInspectionMutation = { recordInspection: { __typename: 'InspectionResult', inspection: { __typename: 'Inspection', id: string, communityCode: string, inspectingBody: string, subject: string, date: string, quarter: string, materialsRequested: Array<string>, ordinal: number, cap: number | null, capScope: string | null, exceeded: boolean, organization: string | null, recordedAt: string }, receipt: { __typename: 'Receipt', position: number, entityId: string, version: number } } };

export type RecordLedgerDemandMutationVariables = Exact<{
  input: RecordLedgerDemandInput;
}>;


export type RecordLedgerDemandMutation = { recordLedgerDemand: { __typename: 'LedgerDemandResult', ledgerDemand: { __typename: 'LedgerDemand', id: string, communityCode: string, department: string, ledger: string, pages: number | null, demandedAt: string, recordedAt: string }, receipt: { __typename: 'Receipt', position: number, entityId: string, version: number } } };

export type RecordVillageEnterpriseSeparationMutationVariables = Exact<{
  communityCode: string | number;
  separated: boolean;
}>;


export type RecordVillageEnterpriseSeparationMutation = { recordVillageEnterpriseSeparation: { __typename: 'VillageEnterpriseSeparationResult', villageEnterpriseSeparated: boolean, community: { __typename: 'Community', code: string, kind: CommunityKind, villageEnterpriseSeparated: boolean | null }, receipt: { __typename: 'Receipt', position: number, entityId: string, version: number } } };

export type RefusalsQueryVariables = Exact<{
  scope?: string | null | undefined;
  provision?: string | null | undefined;
  department?: string | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type RefusalsQuery = { refusals: { __typename: 'RefusalConnection', totalCount: number, edges: Array<{ __typename: 'RefusalEdge', cursor: string, node: { __typename: 'Refusal', position: number, refusalId: string, type: string, communityCode: string, department: string, provision: string, code: string, reason: string, actorId: string, actorRole: string, occurredAt: string } }>, pageInfo: { __typename: 'PageInfo', hasNextPage: boolean, endCursor: string | null } } };

export type RemoveSignboardMutationVariables = Exact<{
  id: string | number;
  reason: string;
}>;


export type RemoveSignboardMutation = { removeSignboard: { __typename: 'SignboardResult', signboard: { __typename: 'Signboard', id: string, communityCode: string, kind: SignboardKind, text: string, hungAt: string, removed: boolean, removedAt: string | null, removalReason: string | null, version: number, hungBy: { __typename: 'ActedBy', actorId: string, role: Role, organization: string | null } }, receipt: { __typename: 'Receipt', position: number, entityId: string, version: number } } };

export type SealLedgerQueryVariables = Exact<{
  communityCode: string | number;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type SealLedgerQuery = { sealLedger: { __typename: 'SealUseConnection', totalCount: number, edges: Array<{ __typename: 'SealUseEdge', cursor: string, node: { __typename: 'SealUse', id: string, communityCode: string, purpose: string, kind: SealUseKind, document: string, requestedBy: string | null, usedAt: string, usedBy: { __typename: 'ActedBy', actorId: string, role: Role, organization: string | null } } }>, pageInfo: { __typename: 'PageInfo', hasNextPage: boolean, endCursor: string | null } } };

export type SetInspectionCapMutationVariables = Exact<{
  scope: string;
  maxPerQuarter: number;
}>;


export type SetInspectionCapMutation = { setInspectionCap: { __typename: 'InspectionCapResult', cap: { __typename: 'InspectionCap', scope: string, maxPerQuarter: number, setAt: string }, receipt: { __typename: 'Receipt', position: number, entityId: string, version: number } } };

export type SignServiceAgreementMutationVariables = Exact<{
  input: SignServiceAgreementInput;
}>;


export type SignServiceAgreementMutation = { signServiceAgreement: { __typename: 'AgreementResult', agreement: { __typename: 'ServiceAgreement', id: string, communityCode: string, department: string, scope: string, fundingYuan: string, validUntil: string }, receipt: { __typename: 'Receipt', position: number, entityId: string, version: number } } };

export type SignboardsQueryVariables = Exact<{
  communityCode: string | number;
  includeRemoved?: boolean | null | undefined;
}>;


export type SignboardsQuery = { signboards: Array<{ __typename: 'Signboard', id: string, communityCode: string, kind: SignboardKind, text: string, hungAt: string, removed: boolean, removedAt: string | null, removalReason: string | null, version: number, hungBy: { __typename: 'ActedBy', actorId: string, role: Role, organization: string | null } }> };

export type TaskDetailQueryVariables = Exact<{
  id: string | number;
}>;


export type TaskDetailQuery = { task: { __typename: 'Task', id: string, communityCode: string, title: string, fromDepartment: string, basis: TaskBasis, dutyItemCode: string | null, agreementId: string | null, status: TaskStatus, delegatedAt: string, dueAt: string | null, version: number, dutyListVersion: number, declineReason: string | null } | null };

export type TaskUpdatedSubscriptionVariables = Exact<{
  scope?: string | null | undefined;
}>;


export type TaskUpdatedSubscription = { taskUpdated: { __typename: 'Task', id: string, communityCode: string, title: string, fromDepartment: string, basis: TaskBasis, dutyItemCode: string | null, agreementId: string | null, status: TaskStatus, delegatedAt: string, dueAt: string | null, version: number, dutyListVersion: number, declineReason: string | null } };

export type UseSealMutationVariables = Exact<{
  input: UseSealInput;
}>;


export type UseSealMutation = { useSeal: { __typename: 'SealUseResult', sealUse: { __typename: 'SealUse', id: string, communityCode: string, purpose: string, kind: SealUseKind, document: string, requestedBy: string | null, usedAt: string, usedBy: { __typename: 'ActedBy', actorId: string, role: Role, organization: string | null } }, receipt: { __typename: 'Receipt', position: number, entityId: string, version: number } } };

export type WorkBodiesQueryVariables = Exact<{
  communityCode: string | number;
}>;


export type WorkBodiesQuery = { workBodies: Array<{ __typename: 'WorkBody', id: string, communityCode: string, name: string, kind: WorkBodyKind, legalBasis: string | null, establishedAt: string, establishedBy: { __typename: 'ActedBy', actorId: string, role: Role, organization: string | null } }> };


/** Every persisted operation by name: its result and its variables. */
export interface OperationTypes {
  AcceptTask: { kind: "mutation"; result: AcceptTaskMutation; variables: AcceptTaskMutationVariables };
  ActivityRecorded: { kind: "subscription"; result: ActivityRecordedSubscription; variables: ActivityRecordedSubscriptionVariables };
  AgreementDetail: { kind: "query"; result: AgreementDetailQuery; variables: AgreementDetailQueryVariables };
  AppointStaff: { kind: "mutation"; result: AppointStaffMutation; variables: AppointStaffMutationVariables };
  BallotCounted: { kind: "query"; result: BallotCountedQuery; variables: BallotCountedQueryVariables };
  BurdenAlerts: { kind: "query"; result: BurdenAlertsQuery; variables: BurdenAlertsQueryVariables };
  BurdenReport: { kind: "query"; result: BurdenReportQuery; variables: BurdenReportQueryVariables };
  CampaignDetail: { kind: "query"; result: CampaignDetailQuery; variables: CampaignDetailQueryVariables };
  CastEvaluation: { kind: "mutation"; result: CastEvaluationMutation; variables: CastEvaluationMutationVariables };
  CommitteeInbox: { kind: "query"; result: CommitteeInboxQuery; variables: CommitteeInboxQueryVariables };
  Communities: { kind: "query"; result: CommunitiesQuery; variables: CommunitiesQueryVariables };
  CommunityActivities: { kind: "query"; result: CommunityActivitiesQuery; variables: CommunityActivitiesQueryVariables };
  CommunityAgreements: { kind: "query"; result: CommunityAgreementsQuery; variables: CommunityAgreementsQueryVariables };
  CommunityCampaigns: { kind: "query"; result: CommunityCampaignsQuery; variables: CommunityCampaignsQueryVariables };
  CommunityHome: { kind: "query"; result: CommunityHomeQuery; variables: CommunityHomeQueryVariables };
  CommunitySeparation: { kind: "query"; result: CommunitySeparationQuery; variables: CommunitySeparationQueryVariables };
  CompleteTask: { kind: "mutation"; result: CompleteTaskMutation; variables: CompleteTaskMutationVariables };
  CurrentDutyList: { kind: "query"; result: CurrentDutyListQuery; variables: CurrentDutyListQueryVariables };
  DeclineTask: { kind: "mutation"; result: DeclineTaskMutation; variables: DeclineTaskMutationVariables };
  DefinePost: { kind: "mutation"; result: DefinePostMutation; variables: DefinePostMutationVariables };
  DelegateTask: { kind: "mutation"; result: DelegateTaskMutation; variables: DelegateTaskMutationVariables };
  EntityAsOf: { kind: "query"; result: EntityAsOfQuery; variables: EntityAsOfQueryVariables };
  EntityHistory: { kind: "query"; result: EntityHistoryQuery; variables: EntityHistoryQueryVariables };
  EstablishWorkBody: { kind: "mutation"; result: EstablishWorkBodyMutation; variables: EstablishWorkBodyMutationVariables };
  EvaluationResults: { kind: "query"; result: EvaluationResultsQuery; variables: EvaluationResultsQueryVariables };
  EventLog: { kind: "query"; result: EventLogQuery; variables: EventLogQueryVariables };
  FileOrganization: { kind: "mutation"; result: FileOrganizationMutation; variables: FileOrganizationMutationVariables };
  HangSignboard: { kind: "mutation"; result: HangSignboardMutation; variables: HangSignboardMutationVariables };
  ImposeTargetContract: { kind: "mutation"; result: ImposeTargetContractMutation; variables: ImposeTargetContractMutationVariables };
  InspectionCounts: { kind: "query"; result: InspectionCountsQuery; variables: InspectionCountsQueryVariables };
  Inspections: { kind: "query"; result: InspectionsQuery; variables: InspectionsQueryVariables };
  LiveEvents: { kind: "subscription"; result: LiveEventsSubscription; variables: LiveEventsSubscriptionVariables };
  Me: { kind: "query"; result: MeQuery; variables: MeQueryVariables };
  OpenEvaluationCampaign: { kind: "mutation"; result: OpenEvaluationCampaignMutation; variables: OpenEvaluationCampaignMutationVariables };
  OrganizationRegistered: { kind: "subscription"; result: OrganizationRegisteredSubscription; variables: OrganizationRegisteredSubscriptionVariables };
  Posts: { kind: "query"; result: PostsQuery; variables: PostsQueryVariables };
  RecordActivity: { kind: "mutation"; result: RecordActivityMutation; variables: RecordActivityMutationVariables };
  RecordAppraisal: { kind: "mutation"; result: RecordAppraisalMutation; variables: RecordAppraisalMutationVariables };
  RecordDisbursement: { kind: "mutation"; result: RecordDisbursementMutation; variables: RecordDisbursementMutationVariables };
  RecordInspection: { kind: "mutation"; result: RecordInspectionMutation; variables: RecordInspectionMutationVariables };
  RecordLedgerDemand: { kind: "mutation"; result: RecordLedgerDemandMutation; variables: RecordLedgerDemandMutationVariables };
  RecordVillageEnterpriseSeparation: { kind: "mutation"; result: RecordVillageEnterpriseSeparationMutation; variables: RecordVillageEnterpriseSeparationMutationVariables };
  Refusals: { kind: "query"; result: RefusalsQuery; variables: RefusalsQueryVariables };
  RemoveSignboard: { kind: "mutation"; result: RemoveSignboardMutation; variables: RemoveSignboardMutationVariables };
  SealLedger: { kind: "query"; result: SealLedgerQuery; variables: SealLedgerQueryVariables };
  SetInspectionCap: { kind: "mutation"; result: SetInspectionCapMutation; variables: SetInspectionCapMutationVariables };
  SignServiceAgreement: { kind: "mutation"; result: SignServiceAgreementMutation; variables: SignServiceAgreementMutationVariables };
  Signboards: { kind: "query"; result: SignboardsQuery; variables: SignboardsQueryVariables };
  TaskDetail: { kind: "query"; result: TaskDetailQuery; variables: TaskDetailQueryVariables };
  TaskUpdated: { kind: "subscription"; result: TaskUpdatedSubscription; variables: TaskUpdatedSubscriptionVariables };
  UseSeal: { kind: "mutation"; result: UseSealMutation; variables: UseSealMutationVariables };
  WorkBodies: { kind: "query"; result: WorkBodiesQuery; variables: WorkBodiesQueryVariables };
}
