/** Imported first by main.tsx: the link's token leaves the address bar before any other module of the app runs. */
import { takeTokenFromFragment } from "./session";

takeTokenFromFragment();
