/**
 * The app's operations: only the persisted documents of frontend-spec/operations/, as the server serves their
 * manifest (Apollo's persisted query manifest, at /app/persisted-documents.json). Each is sent by its id.
 */
import { gql, type TypedDocumentNode } from "@urql/core";

/** The operations this slice of the app sends, by name (each a file in frontend-spec/operations/). */
export type OperationName = "Me" | "CommitteeInbox" | "TaskDetail" | "AcceptTask" | "CompleteTask" | "TaskUpdated";

interface ManifestOperation {
  id: string;
  name: string;
  type: string;
  body: string;
}

export interface Operations {
  /** The document of the persisted operation `name`. */
  document(name: OperationName): TypedDocumentNode;
  /** The persisted id (SHA-256 of the file's text) of the operation named `name`. */
  idOf(name: string): string | undefined;
}

/** Loads the persisted documents the server trusts. */
export async function loadOperations(): Promise<Operations> {
  const response = await fetch("/app/persisted-documents.json", { credentials: "omit" });
  if (!response.ok) throw new Error(`persisted documents: HTTP ${response.status}`);
  const manifest = (await response.json()) as { operations: ManifestOperation[] };
  const byName = new Map(manifest.operations.map((op) => [op.name, op]));
  const documents = new Map<string, TypedDocumentNode>();
  return {
    document(name) {
      let document = documents.get(name);
      if (!document) {
        const op = byName.get(name);
        if (!op) throw new Error(`no persisted operation ${name}`);
        document = gql(op.body);
        documents.set(name, document);
      }
      return document;
    },
    idOf: (name) => byName.get(name)?.id,
  };
}
