// Records, in the shipped build, the hash of the sources it was built from and of each file it holds
// (build-stamp.json). tests/test_app.py recomputes both in Python, so a source changed without a rebuild,
// or a build edited by hand, fails the tests. Keep SOURCES in step with tests/test_app.py.
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BUILD = join(ROOT, "backend", "api", "static", "app");
const SOURCES = ["app/index.html", "app/package.json", "app/package-lock.json", "app/tsconfig.json",
  "app/vite.config.ts", "app/stamp.mjs", "app/codegen.ts", "app/codegen-names.cjs", "app/public", "app/src",
  "frontend-spec/messages/zh-CN.json", "frontend-spec/operations", "schema/schema.graphql"];
const STAMP = "build-stamp.json";

function files(path) {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).flatMap((name) => files(join(path, name)));
}

const sha256 = (data) => createHash("sha256").update(data).digest("hex");
const posix = (path) => relative(ROOT, path).split(sep).join("/");

function digest(paths) {
  const lines = paths.map(posix).sort().map((path) => `${sha256(readFileSync(join(ROOT, path)))}  ${path}\n`);
  return sha256(lines.join(""));
}

const sources = digest(SOURCES.flatMap((path) => files(join(ROOT, path))));
const outputs = Object.fromEntries(files(BUILD).map((path) => [relative(BUILD, path).split(sep).join("/"), path])
  .filter(([name]) => name !== STAMP).sort(([a], [b]) => (a < b ? -1 : 1))
  .map(([name, path]) => [name, sha256(readFileSync(path))]));
writeFileSync(join(BUILD, STAMP), JSON.stringify({ sources, outputs }, null, 2) + "\n");
console.log(`${STAMP}: sources ${sources}`);
