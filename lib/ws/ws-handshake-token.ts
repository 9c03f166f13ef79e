import type { IncomingMessage } from 'node:http';

/** The `Sec-WebSocket-Protocol` a browser offers with its token, `new WebSocket(url, ['bearer', token])`. */
export const BEARER_PROTOCOL = 'bearer';

/**
 * The handshake token of a native WebSocket: the `Authorization: Bearer` header (servers and native
 * apps), else the `token` query parameter, else the value offered after the `bearer` subprotocol
 * (browsers, which cannot set headers on a WebSocket).
 */
export function handshakeToken(request: IncomingMessage): string | undefined {
  const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
  if (bearer) return bearer[1];
  // The request target is the client's: parsed as a query string only (a URL parser throws on `//[`).
  const url = request.url ?? '';
  const fromQuery = url.includes('?') ? new URLSearchParams(url.slice(url.indexOf('?') + 1)).get('token') : null;
  if (fromQuery) return fromQuery;
  const protocols = (request.headers['sec-websocket-protocol'] ?? '').split(',').map((protocol) => protocol.trim());
  const offered = protocols.indexOf(BEARER_PROTOCOL);
  return offered !== -1 ? protocols[offered + 1] || undefined : undefined;
}

/**
 * Answers a browser that offered `bearer, <token>` with `bearer` (a browser drops a connection whose
 * answer names no protocol it offered); no protocol otherwise.
 */
export function selectBearerProtocol(protocols: Set<string>): string | false {
  return protocols.has(BEARER_PROTOCOL) ? BEARER_PROTOCOL : false;
}
