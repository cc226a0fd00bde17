/** 社会组织备案 File an organization (P28): name, category, optional hub organization (picked from the community's
 * organizations, op:CommunityHome); op:FileOrganization files it with status FILED (registration 登记 is the
 * government's, not on this screen). */
import { useQuery } from "@urql/preact";
import { useLocation } from "preact-iso";
import { useState } from "preact/hooks";
import { useCommand } from "../commands";
import { errorMessage } from "../errors";
import { t } from "../messages";
import type { ResultOf, VariablesOf } from "../operations";
import { useSession } from "../state";
import { ownCommunity, refusalMessage, refusedField } from "./fields";
import { rememberFiled } from "./recent";
import "./parts.css";

type Category = VariablesOf<"FileOrganization">["category"];
type Filed = ResultOf<"FileOrganization">["registerOrganization"]["organization"];
const CATEGORIES: Category[] = ["COMMUNITY_SERVICE", "PUBLIC_WELFARE", "CULTURE_SPORTS", "LEGAL_SERVICE", "MEDIATION",
  "OTHER"];

export function FileOrganizationScreen() {
  const { me, operations } = useSession();
  const { route } = useLocation();
  const code = ownCommunity(me.scope) ?? "";
  const [{ data: home, error: homeError }] = useQuery({
    query: operations.document("CommunityHome"), variables: { code, scope: code, first: 100 }, pause: !code,
  });
  const [filing, file] = useCommand("FileOrganization");
  const [name, setName] = useState("");
  const [category, setCategory] = useState<Category>("COMMUNITY_SERVICE");
  const [hubId, setHubId] = useState("");
  const [nameError, setNameError] = useState<string | null>(null);
  const [filed, setFiled] = useState<Filed | null>(null);
  const [queued, setQueued] = useState(false);
  const hubs = home?.organizations.edges.map((edge) => edge.node) ?? [];

  async function submit() {
    if (!name.trim()) {
      setNameError(t("org.nameRequired"));
      return;
    }
    setNameError(null);
    const outcome = await file({ name: name.trim(), category, communityCode: code, hubId: hubId || null });
    if (outcome.state === "done") {
      setFiled(outcome.data.registerOrganization.organization);
      rememberFiled(outcome.data.registerOrganization.organization);
      setName("");
      setHubId("");
    } else if (outcome.state === "queued") {
      setQueued(true);
    }
  }

  const refusal = filing.state === "refused" ? filing : null;
  const refusedAt = refusal ? (refusal.code === "NOT_FOUND" ? "hubId" : refusedField(refusal.error)) : null;
  const message = refusal ? refusalMessage(refusal) : null;
  return (
    <main class="screen">
      <button type="button" class="link back" onClick={() => route("/app/home")}>{t("common.back")}</button>
      <h2>{t("org.title")}</h2>
      {filed ? (
        <div class="success" role="status" data-filed={filed.id}>
          <p>{t("org.filedName", { name: filed.name })}</p>
          <p>{t(`orgCategory.${filed.category}`)} · {t(`orgStatus.${filed.status}`)}</p>
        </div>
      ) : null}
      {queued ? <p class="note" role="status">{t("state.queued")}</p> : null}
      {homeError ? <p role="alert" class="error">{errorMessage(homeError)}</p> : null}
      <form class="entry" noValidate onSubmit={(event) => { event.preventDefault(); void submit(); }}>
        <label for="org-name">{t("org.name")}</label>
        <input id="org-name" type="text" maxLength={200} required aria-required="true" value={name}
          aria-invalid={nameError || refusedAt === "name" ? "true" : undefined}
          aria-describedby={nameError || refusedAt === "name" ? "org-name-error" : undefined}
          onInput={(event) => setName((event.target as HTMLInputElement).value)} />
        {nameError || refusedAt === "name" ? (
          <p id="org-name-error" role="alert" class="error">{nameError ?? message}</p>
        ) : null}
        <label for="org-category">{t("org.category")}</label>
        <select id="org-category" value={category}
          onChange={(event) => setCategory((event.target as HTMLSelectElement).value as Category)}>
          {CATEGORIES.map((c) => <option key={c} value={c}>{t(`orgCategory.${c}`)}</option>)}
        </select>
        <label for="org-hub">{t("org.hub")}</label>
        <select id="org-hub" value={hubId} aria-invalid={refusedAt === "hubId" ? "true" : undefined}
          aria-describedby={refusedAt === "hubId" ? "org-hub-error" : undefined}
          onChange={(event) => setHubId((event.target as HTMLSelectElement).value)}>
          <option value="">{t("org.noHub")}</option>
          {hubs.map((hub) => <option key={hub.id} value={hub.id}>{hub.name}</option>)}
        </select>
        {refusedAt === "hubId" ? <p id="org-hub-error" role="alert" class="error">{message}</p> : null}
        {refusal && refusedAt !== "name" && refusedAt !== "hubId" ? <p role="alert" class="error">{message}</p> : null}
        <div class="actions">
          <button type="submit" class="primary" disabled={filing.state === "sending"}>{t("org.submit")}</button>
        </div>
      </form>
    </main>
  );
}
