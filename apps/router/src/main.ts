import { bootstrapApp } from '@app/common';
import { ROUTER_APP } from './router.app.js';

void bootstrapApp(ROUTER_APP);
