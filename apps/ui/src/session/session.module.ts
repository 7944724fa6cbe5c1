import { Module, type DynamicModule } from '@nestjs/common';
import { SessionController } from './session.controller.js';
import { UI_TOKEN } from './session.tokens.js';

@Module({})
export class SessionModule {
  static withToken(token: string): DynamicModule {
    return {
      module: SessionModule,
      controllers: [SessionController],
      providers: [{ provide: UI_TOKEN, useValue: token }],
    };
  }
}
