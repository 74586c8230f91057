import { bootstrapApp } from '@app/common';
import { GATEWAY_APP } from './gateway.app.js';

void bootstrapApp(GATEWAY_APP);
