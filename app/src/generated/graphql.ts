/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
export type CastEvaluationInput = {
  campaignId: string | number;
  comment?: string | null | undefined;
  satisfaction: Satisfaction;
  targetId: string | number;
};

export type CommunityKind =
  | 'RURAL'
  | 'URBAN';

export type DelegateTaskInput = {
  agreementId?: string | number | null | undefined;
  communityCode: string | number;
  dueAt?: string | null | undefined;
  dutyItemCode?: string | null | undefined;
  fromDepartment: string;
  title: string;
};

export type DutyListKind =
  | 'ASSIST_GOVERNMENT'
  | 'SELF_GOVERNANCE';

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

export type SignServiceAgreementInput = {
  communityCode: string | number;
  department: string;
  fundingYuan: string;
  scope: string;
  validUntil: string;
};

export type TaskBasis =
  | 'DUTY_LIST'
  | 'SERVICE_AGREEMENT';

export type TaskStatus =
  | 'ACCEPTED'
  | 'COMPLETED'
  | 'DECLINED'
  | 'DELEGATED';

export type VolunteerHoursInput = {
  hours: number;
  volunteerId: string | number;
};

export type AcceptTaskMutationVariables = Exact<{
  id: string | number;
  expectedVersion?: number | null | undefined;
}>;


export type AcceptTaskMutation = { acceptTask: { __typename: 'TaskResult', task: { __typename: 'Task', id: string, status: TaskStatus, version: number, declineReason: string | null }, receipt: { __typename: 'Receipt', position: number, entityId: string, version: number } } };

export type ActivityRecordedSubscriptionVariables = Exact<{
  scope?: string | null | undefined;
}>;


export type ActivityRecordedSubscription = { activityRecorded: { __typename: 'Activity', id: string, communityCode: string, title: string, organizerId: string | null, heldAt: string, participants: number, volunteerHours: number } };

export type BurdenReportQueryVariables = Exact<{
  scope: string;
}>;


export type BurdenReportQuery = { burdenReport: { __typename: 'BurdenReport', scope: string, tasksDelegated: number, onDutyList: number, underAgreement: number, refusedOffList: number, declined: number, agreementFundingYuan: string } };

export type CampaignDetailQueryVariables = Exact<{
  id: string | number;
}>;


export type CampaignDetailQuery = { evaluationCampaign: { __typename: 'EvaluationCampaign', id: string, communityCode: string, title: string, openedAt: string, closesAt: string, open: boolean, targets: Array<{ __typename: 'EvaluationTarget', id: string, name: string, kind: EvaluationTargetKind }> } | null };

export type CastEvaluationMutationVariables = Exact<{
  input: CastEvaluationInput;
}>;


export type CastEvaluationMutation = { castEvaluation: { __typename: 'Receipt', position: number, entityId: string, version: number } };

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


export type CommunityAgreementsQuery = { agreements: { __typename: 'ServiceAgreementConnection', totalCount: number, edges: Array<{ __typename: 'ServiceAgreementEdge', cursor: string, node: { __typename: 'ServiceAgreement', id: string, communityCode: string, department: string, scope: string, fundingYuan: string, validUntil: string, signedAt: string, current: boolean } }>, pageInfo: { __typename: 'PageInfo', hasNextPage: boolean, endCursor: string | null } } };

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

export type CompleteTaskMutationVariables = Exact<{
  id: string | number;
  expectedVersion?: number | null | undefined;
}>;


export type CompleteTaskMutation = { completeTask: { __typename: 'TaskResult', task: { __typename: 'Task', id: string, status: TaskStatus, version: number, declineReason: string | null }, receipt: { __typename: 'Receipt', position: number, entityId: string, version: number } } };

export type CurrentDutyListQueryVariables = Exact<{
  code: string | number;
}>;


export type CurrentDutyListQuery = { community: { __typename: 'Community', code: string, name: string, dutyListVersion: number, dutyItems: Array<{ __typename: 'DutyItem', code: string, title: string, list: DutyListKind }> } | null };

export type DeclineTaskMutationVariables = Exact<{
  id: string | number;
  reason: string;
  expectedVersion?: number | null | undefined;
}>;


export type DeclineTaskMutation = { declineTask: { __typename: 'TaskResult', task: { __typename: 'Task', id: string, status: TaskStatus, version: number, declineReason: string | null }, receipt: { __typename: 'Receipt', position: number, entityId: string, version: number } } };

export type DelegateTaskMutationVariables = Exact<{
  input: DelegateTaskInput;
}>;


export type DelegateTaskMutation = { delegateTask: { __typename: 'TaskResult', task: { __typename: 'Task', id: string, communityCode: string, title: string, fromDepartment: string, basis: TaskBasis, dutyItemCode: string | null, agreementId: string | null, status: TaskStatus, delegatedAt: string, dueAt: string | null, version: number, dutyListVersion: number }, receipt: { __typename: 'Receipt', position: number, entityId: string, version: number } } };

export type EntityAsOfQueryVariables = Exact<{
  entityId: string | number;
  asOf: string;
}>;


export type EntityAsOfQuery = { entityAsOf: unknown };

export type EntityHistoryQueryVariables = Exact<{
  entityId: string | number;
}>;


export type EntityHistoryQuery = { history: Array<{ __typename: 'Event', position: number, entityId: string, entityType: string, version: number, type: string, occurredAt: string, data: unknown, requestId: string | null, clientRequestId: string | null, communityCode: string | null, actor: { __typename: 'Actor', id: string, role: Role, scope: string } }> };

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

export type RecordActivityMutationVariables = Exact<{
  input: RecordActivityInput;
}>;


export type RecordActivityMutation = { recordActivity: { __typename: 'ActivityResult', activity: { __typename: 'Activity', id: string, communityCode: string, title: string, organizerId: string | null, heldAt: string, participants: number, volunteerHours: number }, receipt: { __typename: 'Receipt', position: number, entityId: string, version: number } } };

export type SignServiceAgreementMutationVariables = Exact<{
  input: SignServiceAgreementInput;
}>;


export type SignServiceAgreementMutation = { signServiceAgreement: { __typename: 'AgreementResult', agreement: { __typename: 'ServiceAgreement', id: string, communityCode: string, department: string, scope: string, fundingYuan: string, validUntil: string }, receipt: { __typename: 'Receipt', position: number, entityId: string, version: number } } };

export type TaskDetailQueryVariables = Exact<{
  id: string | number;
}>;


export type TaskDetailQuery = { task: { __typename: 'Task', id: string, communityCode: string, title: string, fromDepartment: string, basis: TaskBasis, dutyItemCode: string | null, agreementId: string | null, status: TaskStatus, delegatedAt: string, dueAt: string | null, version: number, dutyListVersion: number, declineReason: string | null } | null };

export type TaskUpdatedSubscriptionVariables = Exact<{
  scope?: string | null | undefined;
}>;


export type TaskUpdatedSubscription = { taskUpdated: { __typename: 'Task', id: string, communityCode: string, title: string, fromDepartment: string, basis: TaskBasis, dutyItemCode: string | null, agreementId: string | null, status: TaskStatus, delegatedAt: string, dueAt: string | null, version: number, dutyListVersion: number, declineReason: string | null } };


/** Every persisted operation by name: its result and its variables. */
export interface OperationTypes {
  AcceptTask: { kind: "mutation"; result: AcceptTaskMutation; variables: AcceptTaskMutationVariables };
  ActivityRecorded: { kind: "subscription"; result: ActivityRecordedSubscription; variables: ActivityRecordedSubscriptionVariables };
  BurdenReport: { kind: "query"; result: BurdenReportQuery; variables: BurdenReportQueryVariables };
  CampaignDetail: { kind: "query"; result: CampaignDetailQuery; variables: CampaignDetailQueryVariables };
  CastEvaluation: { kind: "mutation"; result: CastEvaluationMutation; variables: CastEvaluationMutationVariables };
  CommitteeInbox: { kind: "query"; result: CommitteeInboxQuery; variables: CommitteeInboxQueryVariables };
  Communities: { kind: "query"; result: CommunitiesQuery; variables: CommunitiesQueryVariables };
  CommunityActivities: { kind: "query"; result: CommunityActivitiesQuery; variables: CommunityActivitiesQueryVariables };
  CommunityAgreements: { kind: "query"; result: CommunityAgreementsQuery; variables: CommunityAgreementsQueryVariables };
  CommunityCampaigns: { kind: "query"; result: CommunityCampaignsQuery; variables: CommunityCampaignsQueryVariables };
  CommunityHome: { kind: "query"; result: CommunityHomeQuery; variables: CommunityHomeQueryVariables };
  CompleteTask: { kind: "mutation"; result: CompleteTaskMutation; variables: CompleteTaskMutationVariables };
  CurrentDutyList: { kind: "query"; result: CurrentDutyListQuery; variables: CurrentDutyListQueryVariables };
  DeclineTask: { kind: "mutation"; result: DeclineTaskMutation; variables: DeclineTaskMutationVariables };
  DelegateTask: { kind: "mutation"; result: DelegateTaskMutation; variables: DelegateTaskMutationVariables };
  EntityAsOf: { kind: "query"; result: EntityAsOfQuery; variables: EntityAsOfQueryVariables };
  EntityHistory: { kind: "query"; result: EntityHistoryQuery; variables: EntityHistoryQueryVariables };
  EvaluationResults: { kind: "query"; result: EvaluationResultsQuery; variables: EvaluationResultsQueryVariables };
  EventLog: { kind: "query"; result: EventLogQuery; variables: EventLogQueryVariables };
  FileOrganization: { kind: "mutation"; result: FileOrganizationMutation; variables: FileOrganizationMutationVariables };
  LiveEvents: { kind: "subscription"; result: LiveEventsSubscription; variables: LiveEventsSubscriptionVariables };
  Me: { kind: "query"; result: MeQuery; variables: MeQueryVariables };
  OpenEvaluationCampaign: { kind: "mutation"; result: OpenEvaluationCampaignMutation; variables: OpenEvaluationCampaignMutationVariables };
  OrganizationRegistered: { kind: "subscription"; result: OrganizationRegisteredSubscription; variables: OrganizationRegisteredSubscriptionVariables };
  RecordActivity: { kind: "mutation"; result: RecordActivityMutation; variables: RecordActivityMutationVariables };
  SignServiceAgreement: { kind: "mutation"; result: SignServiceAgreementMutation; variables: SignServiceAgreementMutationVariables };
  TaskDetail: { kind: "query"; result: TaskDetailQuery; variables: TaskDetailQueryVariables };
  TaskUpdated: { kind: "subscription"; result: TaskUpdatedSubscription; variables: TaskUpdatedSubscriptionVariables };
}
