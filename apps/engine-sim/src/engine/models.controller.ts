import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { APP_OPTIONS } from '@app/common';
import type { EngineSimOptions } from '../config/engine-sim-options.js';
import { OpenAiModelListDto } from '@app/contracts';

/**
 * `GET /v1/models`, which both SGLang and vLLM serve: the one place either engine states its
 * context length (`max_model_len`), and a cheap check that neither generates nor waits behind a pause.
 */
@ApiTags('models')
@Controller()
export class EngineModelsController {
  private readonly created = Math.floor(Date.now() / 1000);

  constructor(@Inject(APP_OPTIONS) private readonly options: EngineSimOptions) {}

  @Get('v1/models')
  @ApiOkResponse({ type: OpenAiModelListDto })
  models(): OpenAiModelListDto {
    const name = this.options['served-model-name'];
    return {
      object: 'list',
      data: [
        {
          id: name,
          object: 'model',
          created: this.created,
          owned_by: 'engine-sim',
          root: name,
          parent: null,
          max_model_len: this.options['context-length'],
        },
      ],
    };
  }
}
