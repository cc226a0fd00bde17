/** The app: sign-in, then the screens of the signed-in role (this first slice: the committee's inbox and task). */
import type { Client, CombinedError } from "@urql/core";
import { Provider } from "@urql/preact";
import { render } from "preact";
import { useEffect, useMemo, useState } from "preact/hooks";
import { LocationProvider, Route, Router } from "preact-iso";
import { makeCheckClient, makeClient } from "./client";
import { errorCode, errorMessage } from "./errors";
import { t } from "./messages";
import { loadOperations, type Operations } from "./operations";
import { sessionToken, signIn, signOut } from "./session";
import { ROLE_SCREENS } from "./roles";
import { SignIn } from "./screens/sign-in";
import { Session } from "./state";
import type { Me } from "./types";
import "./styles.css";

/** Starts the app in `root`: loads the trusted operations, then shows sign-in or the role's screens. */
export async function start(root: HTMLElement): Promise<void> {
  let operations: Operations;
  try {
    operations = await loadOperations();
  } catch {
    render(<main class="screen"><p role="alert">{t("error.network")}</p></main>, root);
    return;
  }
  render(<App operations={operations} />, root);
}

function App({ operations }: { operations: Operations }) {
  const [token, setToken] = useState(sessionToken());
  const client = useMemo(() => (token ? makeClient(token, operations) : null), [token, operations]);
  const leave = () => {
    signOut();
    setToken(null);
  };
  if (!token || !client) {
    return <SignIn onToken={(value) => { signIn(value); setToken(value); }} />;
  }
  return (
    <Provider value={client as Client}>
      <Signed token={token} operations={operations} onSignOut={leave} />
    </Provider>
  );
}

/** Checks the token with op:Me, then opens the role's screens. */
function Signed({ token, operations, onSignOut }: { token: string; operations: Operations; onSignOut: () => void }) {
  const [{ data, error }, setCheck] = useState<{ data?: { me: Me }; error?: CombinedError }>({});
  useEffect(() => {
    makeCheckClient(token, operations).query<{ me: Me }>(operations.document("Me"), {}).toPromise()
      .then(({ data, error }) => setCheck({ data, error }));
  }, [token, operations]);
  if (!data && !error) return <main class="screen" aria-busy="true"><p>{t("common.loading")}</p></main>;
  if (error && errorCode(error) === "UNAUTHENTICATED") {
    return <SignIn error={errorMessage(error)} onToken={(value) => { signIn(value); location.reload(); }} />;
  }
  if (error || !data) return <main class="screen"><p role="alert">{error ? errorMessage(error) : ""}</p></main>;
  const me = data.me;
  const header = (
    <header class="bar">
      <h1>{t("app.name")}</h1>
      <span class="who">{t("signIn.signedInAs", { role: t(`role.${me.role}`), actor: me.id })}</span>
      <button type="button" class="link" onClick={onSignOut}>{t("signIn.signOut")}</button>
    </header>
  );
  const screens = ROLE_SCREENS[me.role];
  if (!screens) {
    return <>{header}<main class="screen"><p>{t("signIn.noScreens")}</p></main></>;
  }
  return (
    <Session.Provider value={{ me, token, operations }}>
      {header}
      <LocationProvider scope="/app">
        <Router>
          {screens.routes.map(({ path, component }) => <Route key={path} path={path} component={component} />)}
          <Route default component={screens.home} />
        </Router>
        {screens.nav.length > 1 ? (
          <nav class="bottom" aria-label={t("nav.label")}>
            {screens.nav.map((item) => <a key={item.path} href={item.path}>{t(item.label)}</a>)}
          </nav>
        ) : null}
      </LocationProvider>
    </Session.Provider>
  );
}
