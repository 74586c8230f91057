import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsOptional, IsString, IsUrl, MaxLength, MinLength, ValidateIf } from 'class-validator';
import { OptionalString } from '../common/field-validators.js';
import { HTTP_ADDRESS_OPTIONS } from './workers.dto.js';

export class RegisterModelRequestDto {
  @ApiProperty({ description: 'Model name agents send in `model`' })
  @IsString()
  @MinLength(1)
  @MaxLength(512)
  model!: string;

  @ApiPropertyOptional({
    description: 'External OpenAI-compatible provider base URL; empty for the internal engines',
    default: '',
  })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  @ValidateIf((o: RegisterModelRequestDto) => typeof o.url === 'string' && o.url.length > 0)
  @IsUrl(HTTP_ADDRESS_OPTIONS, { message: 'url must be an http(s) URL or empty' })
  url?: string;

  @ApiPropertyOptional({ description: 'Provider API key (external models)', nullable: true, type: String })
  @OptionalString(4096)
  api_key?: string | null;

  @ApiPropertyOptional({
    description: 'Data proxies serving the model; empty means every healthy worker now',
    type: [String],
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(4096)
  @IsString({ each: true })
  @MaxLength(2048, { each: true })
  data_proxy_addrs?: string[];
}

export class RegisterModelResponseDto {
  @ApiProperty({ example: 'ok' }) status!: string;
  @ApiProperty() model!: string;
  @ApiProperty({ type: [String] }) data_proxy_addrs!: string[];
}

export class RemoveModelRequestDto {
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(512) name!: string;
}

export class RemoveModelResponseDto {
  @ApiProperty({ example: 'ok' }) status!: string;
  @ApiProperty() name!: string;
}

export class ModelsResponseDto {
  @ApiProperty({ example: ['Qwen/Qwen3-0.6B'], type: [String], description: 'Names in registration order' })
  models!: string[];
}

/** One model entry (`GET /models/{name}`): what the gateway restores when it rolls a registration back. */
export class ModelEntryResponseDto {
  @ApiProperty({ example: 'gpt-4o-mini' }) model!: string;
  @ApiProperty({
    example: 'https://api.openai.com/v1',
    description: 'External provider base URL; empty for the internal engines',
  })
  url!: string;
  @ApiProperty({ nullable: true, type: String }) api_key!: string | null;
  @ApiProperty({ type: [String] }) data_proxy_addrs!: string[];
}
