/** 设置 Settings (every role): 长辈版 (elder mode, frontend-spec/budgets.md), who is signed in, sign out. Local only.
 *
 * Elder mode is a preference of the phone, not a secret: localStorage['gongzhi.elder'] = '1' (read before the first
 * render by main.tsx), shown as `data-elder` on <html>, which styles.css reads: a larger root type (20 px body,
 * everything in rem grows with it), 60 px targets, one column. */
import { createContext } from "preact";
import { useContext, useState } from "preact/hooks";
import { t } from "../messages";
import { useSession } from "../state";
import "./settings.css";

const ELDER_KEY = "gongzhi.elder";

/** Whether elder mode is on (remembered on the phone). */
export function elderMode(): boolean {
  try {
    return localStorage.getItem(ELDER_KEY) === "1";
  } catch {
    return false;
  }
}

/** Shows the page in elder mode or not (the `data-elder` attribute on <html>). */
export function applyElderMode(on: boolean = elderMode()): void {
  if (on) document.documentElement.setAttribute("data-elder", "");
  else document.documentElement.removeAttribute("data-elder");
}

export function setElderMode(on: boolean): void {
  try {
    if (on) localStorage.setItem(ELDER_KEY, "1");
    else localStorage.removeItem(ELDER_KEY);
  } catch {
    // private mode: on for this page only
  }
  applyElderMode(on);
}

/** Signs out (the shell's: forgets the token, drops the cache, keeps the queue). */
export const SignOut = createContext<() => void>(() => undefined);

/** The 长辈版 switch (settings; a home screen may show it too). */
export function ElderSwitch() {
  const [on, setOn] = useState(elderMode());
  const [said, setSaid] = useState<string | null>(null);
  return (
    <div class="elder-switch">
      <button type="button" role="switch" aria-checked={on} aria-describedby="elder-hint" class="switch"
        onClick={() => {
          setElderMode(!on);
          setOn(!on);
          setSaid(t(!on ? "settings.elderModeOn" : "settings.elderModeOff"));
        }}>
        <span class="switch-label">{t("settings.elderMode")}</span>
        <span class="switch-track" aria-hidden="true"><span class="switch-thumb" /></span>
      </button>
      <p id="elder-hint" class="note">{t("settings.elderModeHint")}</p>
      <p class="note" role="status">{said ?? ""}</p>
    </div>
  );
}

export function SettingsScreen() {
  const { me } = useSession();
  const signOut = useContext(SignOut);
  return (
    <main class="screen settings">
      <h2>{t("settings.title")}</h2>
      <ElderSwitch />
      {!("serviceWorker" in navigator && typeof indexedDB !== "undefined") ? (
        <p class="note" data-state="no-offline">{t("state.noOffline")}</p>
      ) : null}
      <section class="signed-in" aria-labelledby="signed-in">
        <h3 id="signed-in">{t("settings.signedInAs")}</h3>
        <p class="wrap">{t("signIn.signedInAs", { role: t(`role.${me.role}`), actor: me.id })}</p>
        <p class="note">{t("settings.signOutHint")}</p>
        <button type="button" class="sign-out" onClick={signOut}>{t("signIn.signOut")}</button>
      </section>
    </main>
  );
}
