import { BodyRules } from '../common/body-rules.js';
import { RegisterModelRequestDto } from '../router/models.dto.js';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class GatewayHealthResponseDto {
  @ApiProperty({ example: 'ok' }) status!: string;
  @ApiProperty({ example: 'http://127.0.0.1:8081' }) router_addr!: string;
}

/** One data proxy's answer to a per-worker control call relayed by the gateway. */
export class WorkerResultDto {
  @ApiProperty({ example: 'http://127.0.0.1:18082' }) worker_addr!: string;
  @ApiProperty({ example: 200, description: "The data proxy's HTTP status (502 when unreachable)" }) status!: number;
  @ApiProperty() ok!: boolean;
  @ApiProperty({ nullable: true, type: String, description: 'The start of the error body' }) error!: string | null;
}

/** Always 200: a failed worker is `ok: false`, never a gateway error. */
export class WorkerResultsResponseDto {
  @ApiProperty({ type: [WorkerResultDto] }) results!: WorkerResultDto[];
}

/** One data proxy's part of a `/register_model`. */
export class ProxyRegistrationResultDto {
  @ApiProperty() addr!: string;
  @ApiProperty() ok!: boolean;
  @ApiProperty({ description: "The data proxy's HTTP status (502 when unreachable)" }) status!: number;
  @ApiProperty({ nullable: true, type: String }) error!: string | null;
}

/** A failed data proxy registration of `/register_model` (the call was rolled back). */
export class RegisterModelFailureDto {
  @ApiProperty() error!: string;
  @ApiProperty({ example: 'UPSTREAM_UNAVAILABLE' }) code!: string;
  @ApiProperty({ type: [String] }) details!: string[];
  @ApiProperty({ type: [ProxyRegistrationResultDto] }) results!: ProxyRegistrationResultDto[];
}

export class GrantCapacityResponseDto {
  @ApiProperty({ example: 'ok' }) status!: string;
  @ApiProperty({ description: 'Permits available now' }) capacity!: number;
  @ApiPropertyOptional() detail?: string;
}

/**
 * `register_model` on the gateway, and on the controller, which relays it to the gateway (there
 * `data_proxy_addrs` defaults to every data proxy of the stack). The router's body; a bad field is a
 * 400 naming it, as the gateway has always answered.
 */
@BodyRules({ invalidFieldStatus: 400 })
export class GatewayRegisterModelRequestDto extends RegisterModelRequestDto {}
