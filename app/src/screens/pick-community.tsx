/** A community picked from the actor's scope (op:Communities, first 100): the government's 社区事务 and 岗位和人员
 * (a committee's is its own). A code given in the address that is not among them stays choosable. */
import { useQuery } from "@urql/preact";
import { errorMessage } from "../errors";
import { t } from "../messages";
import { useSession } from "../state";
import "./forms.css";

export function PickCommunity({ id, value, onPick }: { id: string; value: string; onPick: (code: string) => void }) {
  const { me, operations } = useSession();
  const [{ data, error }] = useQuery({
    query: operations.document("Communities"), variables: { scope: me.scope, first: 100 },
    requestPolicy: "cache-and-network",
  });
  const rows = data?.communities.edges.map((edge) => edge.node) ?? [];
  return (
    <div class="form">
      <label for={id}>{t("standing.community")}</label>
      <select id={id} value={value} onChange={(e) => onPick((e.target as HTMLSelectElement).value)}>
        <option value="">{t("standing.pick")}</option>
        {value && !rows.some((row) => row.code === value) ? <option value={value}>{value}</option> : null}
        {rows.map((row) => <option key={row.code} value={row.code}>{row.name}（{row.code}）</option>)}
      </select>
      {error ? <p role="alert" class="error">{errorMessage(error)}</p> : null}
    </div>
  );
}
