import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post } from '@nestjs/common';
import {
  orchestratorProjectCreate,
  orchestratorProjectDelete,
  orchestratorProjectGet,
  orchestratorProjectList,
  orchestratorProjectUpdate,
  type RpcResponse,
} from '@steward/contracts';
import { BusClient } from '@steward/messaging';
import { parseBody } from '../http/zod-body.js';
import { parseProjectId } from '../tasks/task-input.js';

const updateBodySchema = orchestratorProjectUpdate.request.omit({ projectId: true });

/** Projects for the page (ARCHITECTURE §5): validated here, kept by the orchestrator. */
@Controller('api/projects')
export class ProjectsController {
  constructor(@Inject(BusClient) private readonly bus: BusClient) {}

  /** `{ name, instructions?, folders? }` → 201 with the project. */
  @Post()
  create(@Body() body: unknown): Promise<RpcResponse<typeof orchestratorProjectCreate>> {
    return this.bus.request(orchestratorProjectCreate, parseBody(orchestratorProjectCreate.request, body));
  }

  @Get()
  list(): Promise<RpcResponse<typeof orchestratorProjectList>> {
    return this.bus.request(orchestratorProjectList, {});
  }

  /** One project; its tasks are `GET /api/tasks?projectId=`. */
  @Get(':id')
  get(@Param('id') id: string): Promise<RpcResponse<typeof orchestratorProjectGet>> {
    return this.bus.request(orchestratorProjectGet, { projectId: parseProjectId(id) });
  }

  /** `{ name?, instructions?, folders? }`. */
  @Patch(':id')
  update(
    @Param('id') id: string,
    @Body() body: unknown,
  ): Promise<RpcResponse<typeof orchestratorProjectUpdate>> {
    const projectId = parseProjectId(id);
    return this.bus.request(orchestratorProjectUpdate, { projectId, ...parseBody(updateBodySchema, body) });
  }

  /** Refused (409) while a task of the project runs; its tasks stay, outside any project. */
  @Delete(':id')
  @HttpCode(200)
  delete(@Param('id') id: string): Promise<RpcResponse<typeof orchestratorProjectDelete>> {
    return this.bus.request(orchestratorProjectDelete, { projectId: parseProjectId(id) });
  }
}
