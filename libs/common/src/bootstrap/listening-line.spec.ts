import { describe, expect, it } from '@jest/globals';
import { listeningPort } from './listening-line.js';

describe(listeningPort.name, () => {
  it('reads the port of the JSON listening line and nothing else', () => {
    expect(listeningPort('{"level":30,"msg":"listening","port":41234,"url":"http://127.0.0.1:41234"}')).toBe(41234);
    expect(listeningPort('{"level":30,"msg":"listening"}')).toBeNull();
    expect(listeningPort('{"level":30,"msg":"started","port":1}')).toBeNull();
    expect(listeningPort('[router] {"msg":"listening","port":1}')).toBeNull();
    expect(listeningPort('{"msg":"listening", broken')).toBeNull();
  });
});
