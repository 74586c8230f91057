import { Injectable } from '@nestjs/common';
import { AppException, ErrorCode, type SessionKeyValidator } from '@app/common';
import { SessionStore } from './session-store.service.js';

/** A session key is live while its session exists here (checked without creating anything). */
@Injectable()
export class DataProxySessionKeys implements SessionKeyValidator {
  constructor(private readonly sessions: SessionStore) {}

  assertLive(key: string): void {
    if (!this.sessions.accepts(key))
      throw new AppException(401, ErrorCode.UNKNOWN_API_KEY, 'Invalid or expired session API key.');
  }
}
