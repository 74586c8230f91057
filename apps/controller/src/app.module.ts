import { Module } from '@nestjs/common';
import { ControllerMetrics } from './metrics/controller-metrics.js';
import { ControllerDashboardController } from './dashboard/dashboard.controller.js';
import { DashboardService } from './dashboard/dashboard.service.js';
import { ControllerControlController } from './control/control.controller.js';
import { ControlService } from './control/control.service.js';
import { StackService } from './launcher/stack.service.js';
import { ReadyQueueService } from './online/ready-queue.service.js';
import { TrajectoryDeliveryService } from './online/trajectory-delivery.service.js';
import { ControllerStateService } from './persistence/controller-state.service.js';
import { EpisodeRunner } from './rollout/episode.js';
import { DataProxyClient } from './clients/data-proxy-client.js';
import { GatewayClient } from './clients/gateway-client.js';
import { RouterClient } from './clients/router-client.js';
import { RolloutController } from './rollout/rollout.controller.js';
import { RolloutExecutor } from './rollout/rollout-executor.service.js';
import { RolloutService } from './rollout/rollout.service.js';

/** The controller: launches (or attaches to) the stack and gives the trainer one control API. */
@Module({
  controllers: [ControllerControlController, RolloutController, ControllerDashboardController],
  providers: [
    ControllerStateService,
    StackService,
    ControlService,
    ReadyQueueService,
    TrajectoryDeliveryService,
    EpisodeRunner,
    GatewayClient,
    RouterClient,
    DataProxyClient,
    RolloutExecutor,
    RolloutService,
    ControllerMetrics,
    DashboardService,
  ],
})
export class ControllerAppModule {}
