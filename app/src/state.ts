/** The signed-in session the screens share: who (op:Me), the token for commands, the trusted operations. */
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { Operations } from "./operations";
import type { Me } from "./types";

export interface SessionValue {
  me: Me;
  token: string;
  operations: Operations;
}

export const Session = createContext<SessionValue | null>(null);

export function useSession(): SessionValue {
  const value = useContext(Session);
  if (!value) throw new Error("useSession outside a signed-in session");
  return value;
}
