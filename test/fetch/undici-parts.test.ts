import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { undiciParts } from '../../src/fetch/undici-parts.js';

// undici-parts.ts loads undici's own files by path: an undici upgrade that
// moves or renames them must fail here, not in an operator's packaging run.
describe('undici parts', () => {
  it('are the very classes and functions undici exports from its index', () => {
    const parts = undiciParts();
    const undici = createRequire(import.meta.url)('undici') as typeof import('undici');
    expect(parts.EnvHttpProxyAgent).toBe(undici.EnvHttpProxyAgent);
    expect(parts.Pool).toBe(undici.Pool);
    expect(parts.redirect).toBe(undici.interceptors.redirect);
    expect(typeof new parts.Pool('http://127.0.0.1:9').request).toBe('function');
  });

  it('refuses a URL undici itself refuses, with undici\'s error', async () => {
    const { EnvHttpProxyAgent, request } = undiciParts();
    const agent = new EnvHttpProxyAgent();
    try {
      await expect(request(agent, 'ftp://127.0.0.1/x', { method: 'GET' })).rejects.toThrow(/protocol/i);
    } finally {
      await agent.destroy();
    }
  });
});
