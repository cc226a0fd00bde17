// A GraphQL Code Generator plugin: `OperationTypes`, each operation's name mapped to its kind, result and variables
// (the types typescript-operations generates, `<Name><Query|Mutation|Subscription>` and `...Variables`).
module.exports = {
  plugin(_schema, documents) {
    const rows = [];
    for (const { document } of documents) {
      for (const def of document.definitions) {
        if (def.kind !== "OperationDefinition" || !def.name) continue;
        const name = def.name.value;
        const kind = def.operation[0].toUpperCase() + def.operation.slice(1);
        rows.push(`  ${name}: { kind: "${def.operation}"; result: ${name}${kind}; variables: ${name}${kind}Variables };`);
      }
    }
    rows.sort();
    return `\n/** Every persisted operation by name: its result and its variables. */\nexport interface OperationTypes {\n${rows.join("\n")}\n}\n`;
  },
};
