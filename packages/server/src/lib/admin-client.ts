/**
 * Calls a running server's /admin API with the operator's token. The CLI commands use it when the
 * server holds the embedded database (one process at a time can open it): the same operations,
 * over HTTP instead of in-process.
 */
export interface AdminClient {
  /** `path` is below /admin (e.g. `/partners`); the body, when given, is sent as JSON. */
  call<T = any>(method: string, path: string, body?: unknown): Promise<AdminResponse<T>>;
}

export interface AdminResponse<T> {
  status: number;
  ok: boolean;
  /** The parsed JSON body; undefined when the server sent none. */
  body: T;
}

export function createAdminClient(options: { baseUrl: string; adminToken: string }): AdminClient {
  return {
    async call(method, path, body) {
      const response = await fetch(`${options.baseUrl}/admin${path}`, {
        method,
        headers: { authorization: `Bearer ${options.adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, ok: response.ok, body: text === '' ? undefined : JSON.parse(text) };
    },
  };
}
