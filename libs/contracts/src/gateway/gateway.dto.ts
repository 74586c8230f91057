import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class GatewayHealthResponseDto {
  @ApiProperty({ example: 'ok' }) status!: string;
  @ApiProperty({ example: 'http://127.0.0.1:8081' }) router_addr!: string;
}

/** One data proxy's answer to a per-worker control call relayed by the gateway. */
export class WorkerResultDto {
  @ApiProperty() worker_addr!: string;
  @ApiProperty({ description: "The data proxy's HTTP status (502 when unreachable)" }) status!: number;
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
