import { describe, expect, it } from '@jest/globals';
import { ModelRegistry } from './model-registry.js';

const entry = (name: string, addrs: string[] = ['http://w1']) => ({
  name,
  url: '',
  apiKey: null,
  dataProxyAddrs: addrs,
});

describe(ModelRegistry.name, () => {
  it('registers, gets, lists and removes', () => {
    const models = new ModelRegistry();
    models.register({ name: 'ext-a', url: 'http://ext', apiKey: 'k', dataProxyAddrs: ['http://w1'] });
    expect(models.get('ext-a')).toEqual({
      name: 'ext-a',
      url: 'http://ext',
      apiKey: 'k',
      dataProxyAddrs: ['http://w1'],
    });
    expect(models.names()).toEqual(['ext-a']);
    expect(models.remove('ext-a')).toBe(true);
    expect(models.get('ext-a')).toBeNull();
    expect(models.remove('ext-a')).toBe(false);
  });

  it('keeps the position on overwrite; remove then add moves to the end', () => {
    const models = new ModelRegistry();
    models.register(entry('a'));
    models.register(entry('b'));
    models.register(entry('a', ['http://w2']));
    expect(models.names()).toEqual(['a', 'b']);
    expect(models.first()?.dataProxyAddrs).toEqual(['http://w2']);
    models.remove('a');
    models.register(entry('a'));
    expect(models.names()).toEqual(['b', 'a']);
    expect(models.first()?.name).toBe('b');
  });

  it('prunes an address from every model', () => {
    const models = new ModelRegistry();
    models.register(entry('a', ['http://w1', 'http://w2']));
    models.pruneAddr('http://w1');
    expect(models.get('a')?.dataProxyAddrs).toEqual(['http://w2']);
  });
});
