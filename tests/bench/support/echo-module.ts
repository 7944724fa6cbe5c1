import 'reflect-metadata';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { RpcHandler, StewardBusServer, type BusCredentials } from '@steward/messaging';
import type { z } from 'zod';
import { echoRpc } from './echo-rpc.js';

type EchoBody = z.infer<typeof echoRpc.request>;

@Controller()
class EchoController {
  @RpcHandler(echoRpc)
  echo(input: EchoBody): EchoBody {
    return input;
  }
}

@Module({ controllers: [EchoController] })
class EchoModule {}

/** fs-service as production builds it: a Nest microservice on Steward's bus transport. */
export async function startEchoMicroservice(credentials: BusCredentials): Promise<INestMicroservice> {
  const app = await NestFactory.createMicroservice(EchoModule, {
    strategy: new StewardBusServer('fs-service', credentials),
    logger: ['error', 'warn'],
    abortOnError: false,
  });
  await app.listen();
  return app;
}
