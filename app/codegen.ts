// GraphQL Code Generator: the types of every operation in frontend-spec/operations/ (checked against
// schema/schema.graphql), and the map from an operation's name to its result and variables that
// src/operations.ts uses to type `operations.document(name)`. Run by `npm run codegen` (part of `npm run build`).
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "../schema/schema.graphql",
  documents: "../frontend-spec/operations/*.graphql",
  generates: {
    "src/generated/graphql.ts": {
      plugins: ["typescript-operations", "./codegen-names.cjs"],
      config: {
        scalars: { DateTime: "string", JSON: "unknown", Position: "number", _Any: "unknown" },
        enumsAsTypes: true,
        avoidOptionals: { field: true, inputValue: false, object: true, defaultValue: false },
        skipTypename: false,
        nonOptionalTypename: false,
        useTypeImports: true,
      },
    },
  },
  hooks: {},
};

export default config;
