import { bootstrapApp } from '@app/common';
import { CONTROLLER_APP } from './controller.app.js';

void bootstrapApp(CONTROLLER_APP);
