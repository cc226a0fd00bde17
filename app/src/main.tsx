/** The app's entry. `./take-token` comes first: the token leaves the address bar before anything else runs. */
import "./take-token";
import { start } from "./app";

void start(document.getElementById("app")!);
