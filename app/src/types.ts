/** The API's shapes this slice reads (as schema/schema.graphql has them). */

export type TaskStatus = "DELEGATED" | "ACCEPTED" | "DECLINED" | "COMPLETED";

export interface Task {
  __typename?: "Task";
  id: string;
  communityCode: string;
  title: string;
  fromDepartment: string;
  basis: "DUTY_LIST" | "SERVICE_AGREEMENT";
  dutyItemCode: string | null;
  agreementId: string | null;
  status: TaskStatus;
  delegatedAt: string;
  dueAt: string | null;
  version: number;
  dutyListVersion: number | null;
  declineReason: string | null;
}

export interface TaskConnection {
  totalCount: number;
  edges: { cursor: string; node: Task }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

export interface Me {
  id: string;
  role: string;
  scope: string;
}
