// Client-side routes under /console/: the History API, links that stay in the page, and a hook that re-renders on navigation.
import { useEffect, useState } from "preact/hooks";

export const BASE = "/console/";

export interface Place {
  /** The path below /console/ without slashes at either end: "keys", "admin/users", "" for the root. */
  readonly page: string;
  readonly query: URLSearchParams;
}

const CHANGE = "aik:navigate";

export function currentPlace(): Place {
  const path = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : "";
  return { page: path.replace(/\/+$/, ""), query: new URLSearchParams(location.search) };
}

/** `to` is relative to /console/ ("keys", "usage?user_id=…"). */
export function navigate(to: string, replace = false): void {
  const target = BASE + to;
  if (replace) history.replaceState(null, "", target);
  else history.pushState(null, "", target);
  dispatchEvent(new Event(CHANGE));
}

export function usePlace(): Place {
  const [place, setPlace] = useState(currentPlace);
  useEffect(() => {
    const update = (): void => setPlace(currentPlace());
    addEventListener("popstate", update);
    addEventListener(CHANGE, update);
    return () => {
      removeEventListener("popstate", update);
      removeEventListener(CHANGE, update);
    };
  }, []);
  return place;
}

/** A plain click on an in-console link navigates without a reload; modified clicks (new tab...) keep the browser's meaning. */
export function followLink(e: MouseEvent, to: string): void {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  navigate(to);
}
