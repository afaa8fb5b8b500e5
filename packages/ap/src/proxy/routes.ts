/**
 * Which application server a request goes to (`ap.routes`): the route whose path prefix is the longest one
 * the path starts with (at a segment boundary: /services matches /services/x, not /servicesx), among the
 * routes for the request's host, then the routes for any host.
 */

export interface Route {
  pathPrefix: string;
  /** http(s) origin of the application server */
  upstream: string;
  /** only for requests to this host (the Host header without port); any host when absent */
  host?: string;
}

function under(path: string, prefix: string): boolean {
  const p = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  return path === p || path.startsWith(p + '/') || p === '';
}

export function selectRoute(
  routes: readonly Route[],
  host: string | undefined,
  path: string,
): Route | undefined {
  const h = host
    ?.replace(/:\d+$/, '')
    .replace(/^\[(.*)\]$/, '$1')
    .toLowerCase();
  const best = (candidates: readonly Route[]) =>
    candidates
      .filter((r) => under(path, r.pathPrefix))
      .sort((a, b) => b.pathPrefix.length - a.pathPrefix.length)[0];
  return (
    best(routes.filter((r) => r.host !== undefined && r.host.toLowerCase() === h)) ??
    best(routes.filter((r) => r.host === undefined))
  );
}
