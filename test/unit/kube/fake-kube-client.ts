/** An in-memory KubeClient for unit tests: canned GET answers per path, scripted watches, and a call log. */
import { readFileSync } from 'node:fs';
import { KubeApiError, type KubeClient, type WatchEvent } from '../../../src/kube/contract.js';

/** A GET answer: a body, an error to reject with, or a function computing either (may be async). */
export type Answer = unknown;

/** One open watch as the test drives it. */
export interface ScriptedWatch {
  path: string;
  query: Record<string, string>;
  send(event: WatchEvent): void;
  /** Ends the stream as the server does (the watch resolves). */
  end(): void;
  /** Fails the stream (the watch rejects). */
  fail(error: Error): void;
  signal: AbortSignal;
}

export class FakeKubeClient implements KubeClient {
  readonly answers = new Map<string, Answer>();
  readonly calls: Array<{ path: string; query?: Record<string, string> }> = [];
  readonly watches: ScriptedWatch[] = [];

  static notFound(path: string): KubeApiError {
    return new KubeApiError(
      'http',
      `GET ${path}: HTTP 404: the server could not find the requested resource`,
      404,
    );
  }

  async getJson(
    path: string,
    options?: { query?: Record<string, string>; signal?: AbortSignal },
  ): Promise<unknown> {
    this.calls.push({ path, ...(options?.query === undefined ? {} : { query: options.query }) });
    let answer: unknown = this.answers.has(path) ? this.answers.get(path) : FakeKubeClient.notFound(path);
    if (typeof answer === 'function')
      answer = await (answer as (query?: Record<string, string>) => unknown)(options?.query);
    if (answer instanceof Error) throw answer;
    return structuredClone(answer);
  }

  postJson(): Promise<unknown> {
    return Promise.reject(new Error('postJson is not used by these tests'));
  }

  watch(
    path: string,
    query: Record<string, string>,
    onEvent: (event: WatchEvent) => void,
    signal: AbortSignal,
  ): Promise<void> {
    this.calls.push({ path, query: { ...query, watch: 'true' } });
    return new Promise<void>((resolve, reject) => {
      let open = true;
      const close = () => {
        open = false;
        const index = this.watches.indexOf(watch);
        if (index >= 0) this.watches.splice(index, 1);
      };
      const watch: ScriptedWatch = {
        path,
        query,
        signal,
        send: (event) => {
          if (!open) return;
          try {
            onEvent(event);
          } catch (error) {
            close();
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        },
        end: () => {
          close();
          resolve();
        },
        fail: (error) => {
          close();
          reject(error);
        },
      };
      signal.addEventListener('abort', () => watch.end(), { once: true });
      this.watches.push(watch);
    });
  }

  /** GET calls of `path` that were not watches. */
  lists(path: string): number {
    return this.calls.filter((c) => c.path === path && c.query?.watch === undefined).length;
  }
}

/** A recorded document from test/fixtures/kube/, parsed. */
export function recorded(path: string): unknown {
  return JSON.parse(readFileSync(new URL(`../../fixtures/kube/${path}`, import.meta.url), 'utf8')) as unknown;
}
