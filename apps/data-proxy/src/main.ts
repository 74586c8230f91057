import { bootstrapApp } from '@app/common';
import { DATA_PROXY_APP } from './data-proxy.app.js';

void bootstrapApp(DATA_PROXY_APP);
