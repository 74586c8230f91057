import { bootstrapApp } from '@app/common';
import { ENGINE_SIM_APP } from './engine-sim.app.js';

void bootstrapApp(ENGINE_SIM_APP);
