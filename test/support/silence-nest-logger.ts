import { Logger } from '@nestjs/common';

// Unit tests construct services directly; their log lines would only clutter the test output.
Logger.overrideLogger(false);
