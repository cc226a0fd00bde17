/** A rule's refusal on the record (P1, P5, P6, P7, P10), as a card that stays until the user goes back: the title,
 * the reason in the catalog's words, the rule, that the refusal is on the record at its log position
 * (extensions.position), and for the roles that read the raw log a link to the record (op:EntityHistory of
 * extensions.refusalId). */
import type { CombinedError } from "@urql/core";
import type { ComponentChildren } from "preact";
import { t } from "../messages";
import { useSession } from "../state";
import type { Role } from "../types";
import "./forms.css";
import "./delegate.css";

/** The roles that may read the raw log (history), so the card links to the refusal's record. */
const READS_LOG: Role[] = ["STREET_OFFICE", "DEPARTMENT", "AUDITOR"];

export interface Refused {
  error: CombinedError;
  message: string;
  position: number | null;
}

/** The refusal's id (extensions.refusalId), or null. */
export function refusalIdOf(error: CombinedError): string | null {
  const id = error.graphQLErrors[0]?.extensions?.refusalId;
  return typeof id === "string" ? id : null;
}

export function RefusalCard({ id, refused, title, reason, rule, onBack, children }: {
  id: string; refused: Refused; title?: string; reason?: string; rule?: string; onBack: () => void;
  children?: ComponentChildren;
}) {
  const { me } = useSession();
  const refusalId = refusalIdOf(refused.error);
  return (
    <section class="panel refused" role="alert" aria-labelledby={id} data-refusal={refusalId ?? ""}>
      <h3 id={id}>{title ?? t("standing.refusedTitle")}</h3>
      <p class="refusal-reason">{reason ?? refused.message}</p>
      {rule ? <p>{rule}</p> : null}
      {refused.position !== null ? (
        <p class="refusal-record" data-position={refused.position}>
          {t("standing.recorded", { position: refused.position })}
        </p>
      ) : null}
      <div class="row">
        {refusalId && READS_LOG.includes(me.role) ? (
          <a class="button-link" href={`/app/history?entity=${encodeURIComponent(refusalId)}`}>
            {t("refusal.viewRecord")}
          </a>
        ) : null}
        {children}
        <button type="button" onClick={onBack}>{t("common.back")}</button>
      </div>
    </section>
  );
}
