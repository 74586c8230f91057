import { Injectable } from '@nestjs/common';
import type { RecentErrorDto } from '@app/contracts';

/** One server error a service answered (5xx): the contract of `/health`'s `recent_errors`. */
export type RecentError = RecentErrorDto;

const KEPT = 10;

/**
 * The last few 5xx answers of this process (newest last), filled by the exception filter: a
 * service's `/health` can show what went wrong lately without anyone reading its logs.
 */
@Injectable()
export class RecentErrors {
  private readonly errors: RecentError[] = [];

  add(error: RecentError): void {
    this.errors.push(error);
    if (this.errors.length > KEPT) this.errors.shift();
  }

  list(): RecentError[] {
    return [...this.errors];
  }
}
