import { Module } from '@nestjs/common';
import { APP_OPTIONS } from '@app/common';
import type { ReasoningParserName, ToolCallParserName } from '../chat/parsers/parser-registry.js';
import type { DataProxyOptions } from '../config/data-proxy-options.js';
import { DataProxyModel } from './data-proxy-model.js';

/** The served model's tokenizer and chat template, loaded once before the app listens. */
@Module({
  providers: [
    {
      provide: DataProxyModel,
      inject: [APP_OPTIONS],
      useFactory: (o: DataProxyOptions) =>
        DataProxyModel.load({
          tokenizerPath: o['tokenizer-path'],
          chatTemplate: o['chat-template'],
          // Both are refused at start unless they are among the declared choices.
          toolCallParser: o['tool-call-parser'] as ToolCallParserName,
          reasoningParser: o['reasoning-parser'] as ReasoningParserName,
          incrementalTemplating: o['incremental-templating'],
        }),
    },
  ],
  exports: [DataProxyModel],
})
export class TokenizationModule {}
