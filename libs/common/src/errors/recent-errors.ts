import { Injectable } from '@nestjs/common';

/** One server error a service answered (5xx), as the dashboard shows it. */
export interface RecentError {
  at: string;
  status: number;
  code: string;
  message: string;
  path: string;
}

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
