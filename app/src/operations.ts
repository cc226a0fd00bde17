/**
 * The app's operations: only the persisted documents of frontend-spec/operations/, as the server serves their
 * manifest (Apollo's persisted query manifest, also served at /app/persisted-documents.json). Each is sent by its id.
 * Their types are generated from the same files by GraphQL Code Generator (src/generated/graphql.ts).
 */
import { gql, type TypedDocumentNode } from "@urql/core";
import manifest from "../../frontend-spec/operations/manifest.json";
import type { OperationTypes } from "./generated/graphql";

/** The name of a persisted operation (a file of frontend-spec/operations/). */
export type OperationName = keyof OperationTypes;
/** What the operation `N` answers. */
export type ResultOf<N extends OperationName> = OperationTypes[N]["result"];
/** The variables of the operation `N`. */
export type VariablesOf<N extends OperationName> = OperationTypes[N]["variables"];

interface ManifestOperation {
  id: string;
  name: string;
  type: string;
  body: string;
}

export interface Operations {
  /** The document of the persisted operation `name`, typed by its generated result and variables. */
  document<N extends OperationName>(name: N): TypedDocumentNode<ResultOf<N>, VariablesOf<N>>;
  /** The persisted id (SHA-256 of the file's text) of the operation named `name`. */
  idOf(name: string): string | undefined;
}

/**
 * The persisted documents the server trusts. Their manifest (the same file the server serves) is part of the build,
 * so the first screen does not wait for a round trip to fetch it; the server refuses an id it does not know
 * (PERSISTED_QUERY_NOT_FOUND), so a build and a server out of step show as an error, not as a wrong answer.
 */
export async function loadOperations(): Promise<Operations> {
  const byName = new Map((manifest as { operations: ManifestOperation[] }).operations.map((op) => [op.name, op]));
  const documents = new Map<string, TypedDocumentNode>();
  return {
    document<N extends OperationName>(name: N) {
      let document = documents.get(name);
      if (!document) {
        const op = byName.get(name);
        if (!op) throw new Error(`no persisted operation ${name}`);
        document = gql(op.body);
        documents.set(name, document);
      }
      return document as TypedDocumentNode<ResultOf<N>, VariablesOf<N>>;
    },
    idOf: (name) => byName.get(name)?.id,
  };
}
